"""Process settings, read from ``FRONTDESK_*`` environment variables."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of a Frontdesk process. See the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./var")
    database_url: str | None = None
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    sqlite_wal_autocheckpoint: int = Field(
        default=4000, ge=0, description="WAL pages (4 KiB) before a commit checkpoints; 0: never"
    )
    db_pool_size: int = Field(default=10, ge=1)
    master_key: SecretStr | None = None
    master_key_previous: SecretStr | None = Field(
        default=None, description="the master key being rotated away from (still readable)"
    )

    redis_url: str | None = Field(
        default=None,
        description="Redis for the scaled shape: rate limits shared by every node (redis://host/db)",
    )

    log_level: str = "INFO"
    log_json: bool | None = None

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_text_chars: int = Field(default=4096, ge=1)

    workers: int = Field(default=4, ge=0, description="in-process worker tasks for `serve`")
    worker_give_way_writes: int = Field(
        default=8,
        ge=0,
        description="in-process workers run one job at a time while this many API writes are"
        " being served (intake first; 0: never give way)",
    )
    queue_batch: int = Field(default=32, ge=1)
    queue_lease_seconds: float = Field(default=30.0, gt=0)
    queue_poll_seconds: float = Field(default=0.5, gt=0)
    queue_max_attempts: int = Field(default=5, ge=1)
    queue_backoff_base_seconds: float = Field(default=1.0, gt=0)
    queue_backoff_max_seconds: float = Field(default=300.0, gt=0)
    queue_keep_done_hours: float = Field(default=24.0, ge=0)

    public_rate_per_ip: float = Field(default=10.0, gt=0, description="requests/s per tenant+IP")
    public_burst_per_ip: int = Field(default=30, ge=1)
    public_rate_per_tenant: float = Field(default=500.0, gt=0, description="requests/s per tenant")
    public_burst_per_tenant: int = Field(default=1000, ge=1)

    webchat_cors_origins: list[str] = Field(
        default=["*"], description="origins whose pages may embed the widget (JSON list)"
    )
    widget_dir: Path = Field(
        default=Path(__file__).parent / "widget_dist",
        description="where `make widget` builds widget.js",
    )

    session_hours: float = Field(default=12.0, gt=0, description="console login lifetime")
    cookie_secure: bool = Field(default=False, description="send console cookies over HTTPS only")
    login_max_failures: int = Field(default=5, ge=1, description="per account, then a lockout")
    login_max_failures_per_ip: int = Field(default=20, ge=1, description="per client IP")
    login_lockout_minutes: float = Field(default=15.0, gt=0)
    console_dir: Path | None = Field(default=None, description="built console (default: packaged)")

    tenant_cache_seconds: float = Field(default=5.0, ge=0)
    default_retention_days: int = Field(default=365, ge=1)

    http_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="host or host:port exempt from the SSRF guard (local model server, fakes)",
    )
    http_timeout_seconds: float = Field(default=10.0, gt=0)

    languages: list[str] = Field(
        default=["en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da"],
        description="ISO 639-1 codes the language detector weighs (JSON list)",
    )

    public_base_url: str | None = Field(
        default=None,
        description="external URL of this server (webhook URLs, Twilio signatures behind a proxy)",
    )
    webhook_rate_per_tenant: float = Field(default=500.0, gt=0, description="webhooks/s")
    webhook_burst_per_tenant: int = Field(default=1000, ge=1)
    webhook_rate_per_channel: float = Field(default=200.0, gt=0, description="webhooks/s")
    webhook_burst_per_channel: int = Field(default=400, ge=1)
    media_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, description="inbound file cap")
    media_link_seconds: int = Field(
        default=24 * 3600, ge=60, description="how long a link to a file we send stays valid"
    )
    ocr_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="larger images and PDFs are not OCRed"
    )
    ocr_max_pixels: int = Field(
        default=40_000_000, ge=1, description="larger images are refused (decompression bombs)"
    )
    ocr_timeout_seconds: float = Field(default=20.0, gt=0, description="per image OCRed")
    ocr_languages: str = Field(
        default="eng", description="tesseract languages, e.g. eng+deu (traineddata installed)"
    )
    transcribe_max_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1024, description="larger audio is not transcribed"
    )
    transcribe_model: str = Field(default="whisper-1", description="the transcription model")
    transcribe_timeout_seconds: float = Field(default=60.0, gt=0)
    webhook_form_max_bytes: int = Field(
        default=26 * 1024 * 1024,
        ge=1024,
        description="multipart webhooks (e-mail with its attachments; Mailgun takes up to 25 MB)",
    )
    channel_api_urls: dict[str, str] = Field(
        default_factory=dict,
        description="per channel type, the provider API base URL (defaults: the providers')",
    )
    embedding_backend: Literal["local", "api"] = "local"
    embedding_batch_size: int = Field(default=64, ge=1)
    embedding_threads: int = Field(
        default=2, ge=1, description="ONNX Runtime threads for local batches (queries take one)"
    )
    model_cache_dir: Path | None = Field(
        default=None, description="where the local model's ONNX export is kept (data dir/models)"
    )
    embedding_api_base_url: str = "https://api.openai.com/v1"
    embedding_api_key: SecretStr | None = None
    embedding_api_model: str = "text-embedding-3-small"

    llm_default_providers: list[str] = Field(
        default_factory=list,
        description="provider kinds for tenants without LLM settings (keys from the environment)",
    )
    llm_max_tokens: int = Field(default=500, ge=1, description="default max_tokens cap")
    llm_timeout_seconds: float = Field(default=30.0, gt=0, description="per provider call")
    llm_max_attempts: int = Field(default=3, ge=1, description="tries per provider per call")
    llm_backoff_base_seconds: float = Field(default=0.25, ge=0)
    llm_backoff_max_seconds: float = Field(default=4.0, ge=0)
    llm_retry_after_cap_seconds: float = Field(default=10.0, ge=0)
    llm_breaker_failures: int = Field(default=5, ge=1, description="failures that open it")
    llm_breaker_cooldown_seconds: float = Field(default=30.0, gt=0)
    llm_breaker_refresh_seconds: float = Field(default=1.0, ge=0, description="state re-read")
    llm_cache_enabled: bool = True
    llm_cache_threshold: float = Field(default=0.95, ge=0, le=1)
    llm_cache_ttl_seconds: float = Field(default=86_400.0, gt=0)
    llm_cache_refresh_seconds: float = Field(default=5.0, ge=0)
    llm_budget_alert_ratio: float = Field(default=0.8, gt=0, le=1)
    llm_price_overrides: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="model -> (USD per million input, output tokens)"
    )
    vault_token_seconds: int = Field(default=300, ge=1, description="decrypt token lifetime")
    vault_max_value_bytes: int = Field(default=65536, ge=1024, description="per credential value")
    vault_expiry_warning_days: int = Field(default=7, ge=1)
    vault_purge_days: int = Field(default=90, ge=1, description="archived credentials kept")
    vault_anomaly_per_minute: int = Field(default=30, ge=1, description="decrypts/min alert")
    vault_rate_per_tenant: float = Field(default=20.0, gt=0, description="vault requests/s")
    vault_burst_per_tenant: int = Field(default=100, ge=1)
    vault_check_seconds: float = Field(default=3600.0, gt=0, description="lifecycle check period")
    faq_semantic: bool = Field(
        default=True, description="match FAQ questions by meaning too (loads the MiniLM model)"
    )
    kb_vector_store: Literal["sql", "qdrant"] = "sql"
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    qdrant_collection: str = "frontdesk_kb"
    kb_max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    kb_max_unzipped_bytes: int = Field(
        default=200 * 1024 * 1024, ge=1024, description="uncompressed cap for DOCX/XLSX/PPTX"
    )
    kb_ocr: bool = Field(default=True, description="OCR scanned PDF pages with tesseract")
    kb_folder_roots: list[str] = Field(
        default_factory=list, description="server folders the API may ingest from"
    )
    kb_crawl_max_pages: int = Field(default=50, ge=1)
    kb_crawl_max_depth: int = Field(default=2, ge=0)
    kb_hybrid_alpha: float = Field(
        default=0.6, ge=0, le=1, description="weight of the vector score in hybrid fusion"
    )
    kb_hybrid_margin: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description="keyword evidence counts for chunks within this cosine of the best vector hit",
    )
    kb_answer_floor: float = Field(
        default=0.35, ge=0, le=1, description="below this fused score the bot says it doesn't know"
    )

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production" and self.master_key is None:
            raise ValueError("FRONTDESK_MASTER_KEY must be set when FRONTDESK_ENV=production")
        return self

    @cached_property
    def db_url(self) -> str:
        """The SQLAlchemy URL: the configured one, or SQLite under the data dir."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+asyncpg://" + url.split("://", 1)[1]
            return url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'frontdesk.db').resolve()}"

    @property
    def models_dir(self) -> Path:
        """The configured model cache, or ``models/`` under the data dir."""
        return self.model_cache_dir or self.data_dir / "models"

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.db_url.startswith("sqlite")
