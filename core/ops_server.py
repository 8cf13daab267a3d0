"""The operations endpoint every long-running process (bot, worker) starts from its entry point when
AVATARBOT_METRICS_PORT is set: GET /metrics (Prometheus text format, from the registry the entry point
built and passed in) and GET /healthz (200 "ok" when every HealthCheck passes, 503 with the reasons)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from core.health import HealthCheck

log = logging.getLogger(__name__)


def health_report(checks: Sequence[HealthCheck]) -> tuple[bool, str]:
    """(all passed, one line per check: `name: ok` or `name: <reason>`)."""
    lines, healthy = [], True
    for check in checks:
        try:
            check.probe()
        except Exception as exc:  # the reason is the answer; nothing is raised out of a probe
            healthy = False
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            lines.append(f"{check.name}: unreachable ({type(exc).__name__}: {reason})")
        else:
            lines.append(f"{check.name}: ok")
    return healthy, "\n".join(lines) + "\n"


class OpsServer:
    """/metrics and /healthz on `port` in a daemon thread; `stop()` closes it."""

    def __init__(
        self, registry: CollectorRegistry, checks: Sequence[HealthCheck], port: int, *, host: str = "0.0.0.0"
    ) -> None:
        self.registry = registry
        self.checks = tuple(checks)
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: Optional[threading.Thread] = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, generate_latest(server.registry), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    healthy, report = health_report(server.checks)
                    self._send(200 if healthy else 503, report.encode(), "text/plain; charset=utf-8")
                else:
                    self._send(404, b"not found: try /metrics or /healthz\n", "text/plain; charset=utf-8")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # scrapes are not news
                return

        return Handler

    def start(self) -> OpsServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="ops-server", daemon=True)
        self._thread.start()
        log.info("metrics on :%d/metrics, health on :%d/healthz", self.port, self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
