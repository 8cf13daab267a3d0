"""The worker's Prometheus metrics, registered on the registry its entry point builds and passes in
(no global registry). Labels are bounded: backend, kind, outcome, batch size (1..64), device."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Optional

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Seconds: a tiny CPU render takes ~0.1 s, a big SD batch a minute.
RENDER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900)


class WorkerMetrics:
    def __init__(self, registry: CollectorRegistry, *, backend: str) -> None:
        self.backend = backend
        self.jobs_finished = Counter(
            "avatarbot_worker_jobs_finished_total",
            "Jobs this worker finished, by backend, kind and outcome (done, flagged, failed, retried)",
            ["backend", "kind", "outcome"],
            registry=registry,
        )
        self.render_seconds = Histogram(
            "avatarbot_worker_render_seconds",
            "Seconds one backend.render call took, by backend and batch size",
            ["backend", "batch_size"],
            buckets=RENDER_BUCKETS,
            registry=registry,
        )
        self.queue_wait_seconds = Histogram(
            "avatarbot_worker_queue_wait_seconds",
            "Seconds from a job's last enqueue to this worker starting it",
            ["backend"],
            buckets=WAIT_BUCKETS,
            registry=registry,
        )
        self.batch_size = Gauge(
            "avatarbot_worker_batch_size", "Jobs in the batch being rendered now (0: idle)", ["backend"],
            registry=registry,
        )
        self.model_load_seconds = Gauge(
            "avatarbot_worker_model_load_seconds", "Seconds the backend took to load", ["backend"], registry=registry
        )
        self.heartbeat_age_seconds = Gauge(
            "avatarbot_worker_heartbeat_age_seconds",
            "Seconds since this worker last wrote its heartbeat row",
            registry=registry,
        )
        self.device_memory_bytes = Gauge(
            "avatarbot_worker_device_memory_bytes",
            "Device memory held by torch on this worker's CUDA device (allocated, reserved)",
            ["device", "kind"],
            registry=registry,
        )
        self.batch_size.labels(backend).set(0)
        self._last_heartbeat: Optional[float] = None
        self.heartbeat_age_seconds.set_function(self._heartbeat_age)

    def heartbeat_written(self) -> None:
        self._last_heartbeat = time.monotonic()

    def _heartbeat_age(self) -> float:
        return float("nan") if self._last_heartbeat is None else time.monotonic() - self._last_heartbeat

    def finished(self, kind: str, outcome: str) -> None:
        self.jobs_finished.labels(self.backend, kind, outcome).inc()

    def watch_cuda_memory(self, device: str, allocated: Callable[[], float], reserved: Callable[[], float]) -> None:
        """Report torch's CUDA memory on each scrape (only a CUDA worker calls this)."""
        self.device_memory_bytes.labels(device, "allocated").set_function(allocated)
        self.device_memory_bytes.labels(device, "reserved").set_function(reserved)
