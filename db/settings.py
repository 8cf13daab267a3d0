"""Settings for every entry point, read from AVATARBOT_* environment variables.

Only entry points (the CLI, `python -m bot`, the worker, training scripts)
build a Settings; everything below them receives it as an argument.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Weights shipped in the repository; the worker's default backend loads them.
SHIPPED_WEIGHTS = Path(__file__).resolve().parent.parent / "generator" / "weights" / "chibi"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AVATARBOT_", env_file=None, extra="ignore")

    # Where the embedded default keeps its SQLite file, broker folders and images.
    data_dir: Path = Path("var")

    # Database: SQLite file under data_dir unless a URL is given (postgresql+psycopg://...).
    database_url: Optional[str] = None

    # Broker: "filesystem" (embedded, no server) or a redis:// URL.
    broker_url: str = "filesystem"
    # Redis for finished-job notifications; falls back to the broker URL when that is Redis.
    redis_url: Optional[str] = None
    # Redis redelivers unacknowledged messages after this many seconds: keep it above the longest render.
    visibility_timeout_s: int = 3 * 3600

    # Images: content-addressed PNGs under this folder (default data_dir/images).
    image_dir: Optional[Path] = None

    # Generator backend of this worker, and where its weights are.
    backend: Literal["builtin", "stable-diffusion"] = "builtin"
    builtin_weights: Path = SHIPPED_WEIGHTS
    sd_checkpoint: Optional[Path] = None
    device: str = "cpu"
    num_inference_steps: Optional[int] = None  # None: the backend's default
    guidance_scale: Optional[float] = None

    # Worker behaviour.
    batch_size: int = Field(default=1, ge=1, le=64)
    task_soft_time_limit_s: int = 300
    task_time_limit_s: int = 360
    max_attempts: int = Field(default=3, ge=1)
    retry_backoff_s: int = 5
    worker_heartbeat_s: float = 5.0
    worker_dead_after_s: float = 30.0
    # A queued job with no message in flight for this long is re-enqueued.
    queued_lease_s: float = 120.0
    reconcile_every_s: float = 30.0

    # Discord.
    discord_token: Optional[SecretStr] = None
    discord_application_id: Optional[int] = None

    log_level: str = "INFO"

    @model_validator(mode="after")
    def _time_limits(self) -> Settings:
        if self.task_time_limit_s <= self.task_soft_time_limit_s:
            raise ValueError("task_time_limit_s must be larger than task_soft_time_limit_s")
        return self

    # -- derived -------------------------------------------------------------

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'avatarbot.sqlite3').resolve()}"

    @property
    def resolved_image_dir(self) -> Path:
        return (self.image_dir or self.data_dir / "images").resolve()

    @property
    def broker_dir(self) -> Path:
        """Folder of the filesystem transport's messages (embedded default)."""
        return (self.data_dir / "broker").resolve()

    @property
    def uses_redis_broker(self) -> bool:
        return self.broker_url.startswith(("redis://", "rediss://"))

    @property
    def notification_redis_url(self) -> Optional[str]:
        if self.redis_url:
            return self.redis_url
        return self.broker_url if self.uses_redis_broker else None

    @property
    def queue_name(self) -> str:
        """One Celery queue per backend, so jobs reach workers that have it."""
        return f"avatars.{self.backend}"
