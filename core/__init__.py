"""The contract between the bot and the worker: what an avatar request is (spec, vocabulary),
how it travels (settings, Celery dispatch by task name, finished-job notifications), the image
store and upload checks, and the database (core.db). Imports no other room, and never discord,
torch or diffusers."""
