"""Health checks for /healthz: can this process reach its database, its broker and its image store? Each
check raises with a readable reason when it cannot (core.ops_server answers 503 with it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, text

from core.images import ImageStore
from core.settings import Settings


@dataclass(frozen=True)
class HealthCheck:
    """One thing the process needs; `probe()` returns when it is reachable and raises when not."""

    name: str
    probe: Callable[[], None]


def database_check(engine: Engine) -> HealthCheck:
    def probe() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return HealthCheck("database", probe)


def broker_check(settings: Settings, *, timeout_s: float = 2.0) -> HealthCheck:
    from core.dispatch import broker_url, filesystem_queue_dir, uses_filesystem_broker

    def probe() -> None:
        if uses_filesystem_broker(settings):
            folder = filesystem_queue_dir(settings)
            if not folder.is_dir():
                raise FileNotFoundError(f"the broker folder {folder} is missing")
            return
        from kombu import Connection

        with Connection(broker_url(settings), connect_timeout=timeout_s) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout_s)

    return HealthCheck("broker", probe)


def image_store_check(store: ImageStore) -> HealthCheck:
    """The image store is reachable (its folder writable, or its bucket there)."""
    return HealthCheck("images", store.check)


def process_checks(settings: Settings, engine: Engine, store: ImageStore) -> list[HealthCheck]:
    """What /healthz of the bot and of each worker answers for: database, broker, images."""
    return [database_check(engine), broker_check(settings), image_store_check(store)]
