"""The contract between bot and worker: spec, vocabulary, models, repositories, image store."""
