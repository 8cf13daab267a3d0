"""Celery app and tasks, generator backends, and the built-in model's tools."""
