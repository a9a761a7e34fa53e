"""Service settings: flags > environment (RETOUCH_*) > TOML config file > defaults."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Tier(BaseModel):
    """Per-key limits; 0 means unlimited."""

    requests_per_minute: int = 60
    images_per_minute: int = 120
    concurrent_jobs: int = 4


class Price(BaseModel):
    """Credits per one million tokens, per token kind (GPT Image's token model)."""

    input_text: float = 5_000
    input_image: float = 10_000
    output: float = 40_000


class S3Settings(BaseModel):
    """An S3-compatible object store for blobs (`[s3]` in config.toml, RETOUCH_S3__BUCKET=...)."""

    bucket: str
    endpoint_url: str | None = Field(default=None, description="e.g. http://minio:9000; default: AWS")
    region: str | None = None
    access_key_id: str | None = Field(default=None, description="default: boto3's credential chain")
    secret_access_key: str | None = None
    prefix: str = Field(default="", description="key prefix inside the bucket, e.g. 'retouch/'")
    addressing_style: str = Field(default="auto", pattern="^(auto|path|virtual)$")
    presign: bool = Field(default=True, description="output URLs are presigned GETs to the store")
    create_bucket: bool = Field(default=False, description="create the bucket at start if missing")


DEFAULT_TIERS = {
    "free": Tier(requests_per_minute=20, images_per_minute=20, concurrent_jobs=1),
    "standard": Tier(requests_per_minute=120, images_per_minute=240, concurrent_jobs=4),
    "pro": Tier(requests_per_minute=600, images_per_minute=1200, concurrent_jobs=16),
    "unlimited": Tier(requests_per_minute=0, images_per_minute=0, concurrent_jobs=0),
}

#: The default price table: `*` applies to any model without its own row. The local
#: builtin engine costs nothing per token to run, but operators meter it like a hosted
#: model so that quotas and statements mean the same thing across engines.
DEFAULT_PRICES = {"*": Price()}
#: The shortest server secret accepted (a generated one has 64 characters).
MIN_SECRET_CHARS = 16


class ServiceSettings(BaseSettings):
    """Everything `retouch serve` can be told. See docs/deployment.md for each setting."""

    model_config = SettingsConfigDict(env_prefix="RETOUCH_", env_nested_delimiter="__", extra="ignore")

    #: Set by `load_settings` before construction so that the TOML source knows its file.
    config_file: ClassVar[Path | None] = None

    data_dir: Path = Field(default=Path(".retouch"), description="Database, blobs and secrets live here")
    database_url: str | None = Field(default=None, description="Default: SQLite in data_dir (WAL)")
    blob_dir: Path | None = Field(default=None, description="Default: data_dir/blobs")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None, description="Base URL for signed links; default http://host:port"
    )
    secret_key: str | None = Field(
        default=None, description="Signs URLs and hashes keys; default: generated once"
    )
    node_name: str = Field(
        default_factory=socket.gethostname, description="Identifies this process's workers"
    )

    workers: int = Field(
        default_factory=lambda: max(1, min(4, os.cpu_count() or 1)),
        ge=0,
        le=64,
        description="Job worker threads; 0: an API-only node (its edits run on worker nodes)",
    )
    worker_engines: list[str] = Field(
        default=["*"], description="Engines this process's workers run ('*': every installed one)"
    )
    engines: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Options per engine: [engines.diffusers] device = 'cuda:0'"
    )
    redis_url: str | None = Field(
        default=None, description="Redis for shared rate limits and cluster events, e.g. redis://host:6379/0"
    )
    redis_prefix: str = Field(default="retouch:", description="Prefix of every Redis key and channel")
    s3: S3Settings | None = Field(default=None, description="Blobs in an S3-compatible store instead of blob_dir")
    progress_write_s: float = Field(
        default=0.5,
        ge=0,
        description="A running job's progress is written to its row at most this often (events are live)",
    )
    no_worker_timeout_s: float = Field(
        default=60, gt=0, description="A queued job no live worker can run fails after this"
    )
    orphan_blob_grace_s: float = Field(
        default=3600, gt=0, description="Blobs without a row older than this are deleted by the janitor"
    )
    job_max_attempts: int = Field(
        default=2, ge=1, description="Runs of a job interrupted by a crash, at most"
    )
    job_lease_s: float = Field(
        default=120, gt=0, description="A running job without heartbeat this long is dead"
    )
    sync_timeout_s: float = Field(default=600, gt=0, description="Longest `Prefer: wait` / sync_mode wait")
    malloc_keep_mb: int = Field(
        default=64,
        ge=0,
        description="Freed memory glibc keeps per heap for reuse by the next edits (0: glibc's defaults)",
    )

    allow_private_urls: bool = Field(
        default=False, description="Let URL inputs/webhooks reach private networks"
    )
    blocked_networks: list[str] = Field(
        default=["169.254.169.254/32", "fd00:ec2::254/128", "100.100.100.200/32"],
        description="Always refused, even with allow_private_urls (cloud metadata endpoints)",
    )
    fetch_timeout_s: float = 20.0
    fetch_max_redirects: int = 5
    max_image_bytes: int = 50 * 1024 * 1024
    max_images: int = 16
    max_prompt_chars: int = 32000
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="Longest pause while a request body arrives (then 408)"
    )

    url_ttl_s: int = Field(default=3600, description="Lifetime of signed output URLs")
    output_retention_h: float = Field(
        default=24 * 7, description="Outputs and uploads are deleted after this"
    )
    idempotency_ttl_h: float = 24.0

    webhook_retry_schedule_s: list[float] = Field(
        default=[5, 30, 120, 600, 1800, 7200], description="Delays between webhook attempts"
    )
    webhook_timeout_s: float = 10.0

    key_cache_s: float = Field(
        default=2.0, ge=0, description="Verified keys are cached this long; revocations elsewhere lag by it"
    )
    default_tier: str = "standard"
    tiers: dict[str, Tier] = Field(default_factory=lambda: dict(DEFAULT_TIERS))
    prices: dict[str, Price] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    admin_credits: int = Field(default=10_000_000, description="Credits granted to the first admin account")
    new_account_credits: int = Field(default=0, description="Credits granted to accounts created with a key")

    bootstrap_admin: bool = Field(default=True, description="Create an admin key on first start")
    login_link: bool = Field(default=True, description="Print a one-time login link on start")
    log_json: bool = True
    log_level: str = "INFO"
    access_log: bool = True

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.config_file))
        return tuple(sources)

    # ---- derived values

    @property
    def resolved_database_url(self) -> str:
        url = self.database_url or f"sqlite:///{(self.data_dir / 'retouch.db').resolve()}"
        # psycopg (v3) is the driver we ship; plain postgresql:// would pick psycopg2.
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @property
    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def tier(self, name: str | None) -> Tier:
        return self.tiers.get(name or self.default_tier) or self.tiers.get(self.default_tier) or Tier()

    def price(self, model: str) -> Price:
        return self.prices.get(model) or self.prices.get("*") or Price()

    def resolved_secret(self) -> bytes:
        """The server secret: configured, else generated once into data_dir/secret_key (mode 0600).
        An empty or short one is refused: everything it signs could be forged."""
        from .errors import StartupError

        if self.secret_key is not None:
            if len(self.secret_key.strip()) < MIN_SECRET_CHARS:
                raise StartupError(
                    f"the secret_key setting has {len(self.secret_key.strip())} characters; it needs at least "
                    f"{MIN_SECRET_CHARS} random ones "
                    "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
            return self.secret_key.encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
        secret = path.read_text(errors="replace").strip()
        if len(secret) < MIN_SECRET_CHARS:
            raise StartupError(
                f"{path} is {'empty' if not secret else 'too short'}: restore it from a backup, or delete it "
                "to have a new one made (every API key, signed link and webhook secret then stops working)"
            )
        return secret.encode()


def load_settings(config_file: str | os.PathLike | None = None, **overrides: Any) -> ServiceSettings:
    """Settings from flags (`overrides`, None values ignored), env, and the TOML config file.

    The config file is `config_file`, else $RETOUCH_CONFIG, else data_dir/config.toml if present.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    path = config_file or os.environ.get("RETOUCH_CONFIG")
    if path is None:
        data_dir = Path(given.get("data_dir") or os.environ.get("RETOUCH_DATA_DIR") or ".retouch")
        if (data_dir / "config.toml").exists():
            path = data_dir / "config.toml"
    ServiceSettings.config_file = Path(path) if path else None
    try:
        return ServiceSettings(**given)
    finally:
        ServiceSettings.config_file = None
