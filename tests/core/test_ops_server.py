"""/metrics and /healthz: served from the registry an entry point passes in, health from real checks."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter

from core.db.engine import make_engine
from core.health import HealthCheck, broker_check, database_check
from core.ops_server import OpsServer
from core.settings import Settings


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_metrics_come_from_the_registry_passed_in(migrated_sqlite_url: str, tmp_path: Path) -> None:
    registry = CollectorRegistry()
    Counter("avatarbot_test_things_total", "things", registry=registry).inc(3)
    engine = make_engine(migrated_sqlite_url)
    (tmp_path / "broker" / "queue").mkdir(parents=True)
    checks = [database_check(engine), broker_check(Settings(data_dir=tmp_path))]
    server = OpsServer(registry, checks, 0, host="127.0.0.1").start()
    try:
        status, body = _get(f"http://127.0.0.1:{server.port}/metrics")
        assert status == 200 and "avatarbot_test_things_total 3.0" in body
        status, body = _get(f"http://127.0.0.1:{server.port}/healthz")
        assert status == 200 and body == "database: ok\nbroker: ok\n"
    finally:
        server.stop()
        engine.dispose()


def test_healthz_is_503_with_the_reason_when_the_broker_is_down(migrated_sqlite_url: str) -> None:
    engine = make_engine(migrated_sqlite_url)
    checks = [database_check(engine), broker_check(Settings(broker_url="redis://127.0.0.1:9/0"), timeout_s=0.5)]
    server = OpsServer(CollectorRegistry(), checks, 0, host="127.0.0.1").start()
    try:
        status, body = _get(f"http://127.0.0.1:{server.port}/healthz")
        assert status == 503
        assert body.startswith("database: ok\nbroker: unreachable (") and "Connection refused" in body
    finally:
        server.stop()
        engine.dispose()


def test_a_failing_database_is_named() -> None:
    def down() -> None:
        raise ConnectionRefusedError("connection to server at 127.0.0.1:5 refused")

    server = OpsServer(CollectorRegistry(), [HealthCheck("database", down)], 0, host="127.0.0.1").start()
    try:
        status, body = _get(f"http://127.0.0.1:{server.port}/healthz")
        assert status == 503 and "database: unreachable (ConnectionRefusedError: connection to server" in body
    finally:
        server.stop()
