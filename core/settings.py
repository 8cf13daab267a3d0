"""Settings for every entry point, read from AVATARBOT_* environment variables.

Only entry points (the CLI, `python -m bot`, the worker, training scripts)
build a Settings; everything below them receives it as an argument.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.shards import ShardPlan, ShardSettingError, shard_plan

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

    # Images: "local" keeps content-addressed PNGs under image_dir (default data_dir/images);
    # "s3" keeps them in an S3-compatible bucket, so bot and workers may run on different hosts.
    image_backend: Literal["local", "s3"] = "local"
    image_dir: Optional[Path] = None
    s3_bucket: Optional[str] = None
    s3_endpoint_url: Optional[str] = None  # None: AWS S3; e.g. http://minio:9000 for MinIO
    s3_region: Optional[str] = None  # None: us-east-1
    s3_prefix: str = ""  # objects are <prefix>/ab/cd/<key>.png
    # None: boto3's own chain (AWS_* variables, ~/.aws, an instance role).
    s3_access_key_id: Optional[SecretStr] = None
    s3_secret_access_key: Optional[SecretStr] = None

    # Generator backend of this worker, and where its weights are.
    backend: Literal["builtin", "stable-diffusion"] = "builtin"
    builtin_weights: Path = SHIPPED_WEIGHTS
    sd_checkpoint: Optional[Path] = None
    # Stable Diffusion backend
    # sd_checkpoint is a diffusers folder or one .safetensors/.ckpt file; a single file needs a local
    # diffusers folder with the configs of its family (model_index.json, unet/, tokenizer/, ...).
    sd_config_dir: Optional[Path] = None
    # None: detect from model_index.json (and "turbo" in the name).
    sd_family: Optional[Literal["sd15", "sdxl", "sd-turbo", "sdxl-turbo"]] = None
    sd_image_size: Optional[int] = Field(default=None, ge=16, le=2048)  # None: the family's default
    sd_scheduler: Optional[str] = None  # e.g. "euler-a", "dpm++-2m-karras"; None: the checkpoint's own
    # LoRA adapter files and their weights, as JSON in the environment: {"/models/chibi.safetensors": 0.8}
    sd_loras: dict[str, float] = Field(default_factory=dict)
    sd_compile: bool = False  # torch.compile the UNet (slow first render, faster after)
    sd_channels_last: bool = False
    # Safety hook "package.module:function" (PIL images -> list of bools, True = flagged); runs as well
    # as the checkpoint's own safety checker, and alone when the checkpoint has none.
    sd_safety_hook: Optional[str] = None
    sd_photo_strength: float = Field(default=0.6, gt=0.0, le=1.0)  # photo -> avatar, when a job gives none
    sd_banned_words: list[str] = Field(default_factory=list)  # removed from details, on top of the built-in list
    device: str = "cpu"
    num_inference_steps: Optional[int] = None  # None: the backend's default
    guidance_scale: Optional[float] = None
    # CPU threads torch may use in a worker (None: torch's default, one per core). Set it to
    # cores / workers when several CPU workers share a host: oversubscribed threads crawl.
    torch_threads: Optional[int] = Field(default=None, ge=1)

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
    # Sharding (core/shards.py): how many shards in all (None: Discord's recommendation) and which of
    # them this bot process runs ("0,1" or "0-3"; None: all). Several processes share one database.
    shard_count: Optional[int] = None
    shard_ids: Optional[str] = None
    # A finished job whose guild is on another process's shards is left to that process this long
    # after it finished; then any bot process's sweep delivers it (that process may be down).
    delivery_takeover_s: float = Field(default=60.0, ge=0.0)

    log_level: str = "INFO"
    # "json": one JSON object a line (time, level, logger, message, job_id / interaction_id when known),
    # for log collectors; "text": the human format.
    log_format: Literal["text", "json"] = "text"
    # Operations: /metrics (Prometheus) and /healthz on this port, in the bot and in each worker. None: off.
    metrics_port: Optional[int] = Field(default=None, ge=1, le=65535)

    @model_validator(mode="after")
    def _time_limits(self) -> Settings:
        if self.task_time_limit_s <= self.task_soft_time_limit_s:
            raise ValueError("task_time_limit_s must be larger than task_soft_time_limit_s")
        return self

    @model_validator(mode="after")
    def _shards(self) -> Settings:
        try:
            shard_plan(self.shard_count, self.shard_ids)
        except ShardSettingError as exc:
            raise ValueError(str(exc)) from None
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
    def shards(self) -> ShardPlan:
        """This bot process's shards (checked when the settings were read)."""
        return shard_plan(self.shard_count, self.shard_ids)

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
