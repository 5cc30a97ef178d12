"""The one settings object: defaults here, a TOML file over them, environment variables on top.

The file is `mikrobot.toml` in the working directory, or the path in `MIKROBOT_CONFIG`.
Environment variables are `MIKROBOT_<NAME>`, nested with `__`
(`MIKROBOT_LIMITS__MAX_PAGES=20`). Secrets come only from the environment.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.classify.model import DEFAULT_MODEL_DIR
from bot.reply_policy import ReplyMode
from bot.requirements import DEFAULT_REQUIREMENTS_FILE
from bot.rules import DEFAULT_RULES_FILE
from parsers.attachments import ExtractionLimits
from parsers.mail import MailLimits


class Limits(BaseModel):
    """Bounds on one mail and each attachment: hostile input must not stall the bot."""

    max_attachment_bytes: int = 30_000_000
    max_pages: int = 60
    max_chars: int = 200_000
    max_cells: int = 200_000
    max_seconds_per_attachment: float = 10.0
    """CPU seconds (not wall-clock) the extractors spend on one attachment before they stop
    with what they have read: a loaded server gives the same verdict as a quiet one."""
    layout_pages: int = 2
    max_mime_depth: int = 12
    max_mime_parts: int = 1_000
    max_headers: int = 2_000
    max_attachments: int = 200
    max_mail_bytes: int = 50_000_000
    """Larger mail is read up to here (its text comes first); the cut is shown on the ticket."""
    max_header_chars: int = 20_000
    isolate_extraction: bool = True
    """Extract each attachment in a worker process that is killed when it overruns."""
    max_worker_memory_mb: int = 1024
    kill_extraction_after_seconds: float = 30.0
    """Hard wall-clock limit of one isolated extraction (`max_seconds_per_attachment` is the
    limit the extractors keep themselves)."""
    ocr_workers: int = Field(default=1, ge=1)
    """Scans (scanned PDFs, images) read by OCR at once per process; the rest wait."""
    ocr_niceness: int = Field(default=5, ge=0, le=19)
    """How much lower the OCR workers' CPU priority is (`os.nice`): on a busy server the next
    applicant's triage goes before a scan's OCR."""
    ocr_parallel_pages: int = Field(default=2, ge=1)
    """Pages of one scan read at once, as far as idle cores allow."""
    logo_max_bytes: int = Field(default=20_000, ge=0)
    logo_max_pixels: int = Field(default=250_000, ge=0)
    """An inline image the mail's HTML shows by `cid:` at or under either size is a
    signature logo and is not read by OCR; a readable page is far larger in both."""

    def extraction(self) -> ExtractionLimits:
        return ExtractionLimits(
            max_bytes=self.max_attachment_bytes,
            max_pages=self.max_pages,
            max_chars=self.max_chars,
            max_cells=self.max_cells,
            max_seconds=self.max_seconds_per_attachment,
            layout_pages=self.layout_pages,
            isolate=self.isolate_extraction,
            max_memory_mb=self.max_worker_memory_mb,
            kill_after_seconds=self.kill_extraction_after_seconds,
            ocr_workers=self.ocr_workers,
            ocr_niceness=self.ocr_niceness,
            ocr_parallel_pages=self.ocr_parallel_pages,
            logo_max_bytes=self.logo_max_bytes,
            logo_max_pixels=self.logo_max_pixels,
        )

    def mail(self) -> MailLimits:
        return MailLimits(
            max_depth=self.max_mime_depth,
            max_parts=self.max_mime_parts,
            max_headers=self.max_headers,
            max_header_chars=self.max_header_chars,
            max_attachments=self.max_attachments,
            max_mail_bytes=self.max_mail_bytes,
        )


class LoginSettings(BaseModel):
    """Failed logins (`MIKROBOT_WEB__LOGIN__<NAME>`): counted per account and per client
    address in the server's memory; after the free ones each attempt waits twice as long
    as the one before (1 s, 2 s, 4 s …, at most a minute), then the account or address is
    locked (`bot/web/throttle.py`)."""

    free_failures: int = Field(default=5, ge=0)
    """Failed logins an account may have before the waiting starts."""
    lock_after: int = Field(default=10, ge=1)
    """Failed logins that lock an account."""
    address_free_failures: int = Field(default=20, ge=0)
    """Failed logins from one client address (any accounts) before the waiting starts: an
    office behind one address shares it."""
    address_lock_after: int = Field(default=50, ge=1)
    """Failed logins that lock a client address."""
    lock_minutes: float = Field(default=15.0, gt=0)
    """How long the first lock lasts; each later lock of the same account or address lasts
    twice as long, up to a day."""


class WebSettings(BaseModel):
    """`mikrobot serve`: the caseworkers' web pages (`MIKROBOT_WEB__<NAME>`)."""

    host: str = "127.0.0.1"
    port: int = 8080
    secret_key: SecretStr | None = None
    """`MIKROBOT_WEB__SECRET_KEY`: signs the login form's CSRF token; random per start if unset."""
    secure_cookies: bool | None = None
    """Cookies marked Secure: None means when the request came over https (behind TLS)."""
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies trusted for X-Forwarded-Proto (the TLS-terminating one in front)."""
    low_confidence: float = 0.8
    """Tickets below this confidence are listed under the "low confidence" filter. The
    confidence is calibrated (`bot/classify/calibration.py`): below 0.8, one verdict in five
    or more is wrong."""
    answer_within_days: int = Field(default=14, ge=1, le=365)
    """An open ticket whose first mail arrived longer ago than this many days (calendar days,
    counted from the mailbox's arrival time) is marked overdue in the queue, which can list
    only those. Forvaltningsloven § 11 a asks for a preliminary reply when a case cannot be
    answered within a month; two weeks flags a case well before that."""
    session_hours: float = 10.0
    evaluation_file: Path = Path("var/evaluation.json")
    """`mikrobot evaluate --json > …`: the figures the admin page shows."""
    preview_pages: int = Field(default=10, ge=1, le=100)
    """Attachment preview: only the first pages of a PDF (or a TIFF) can be looked at."""
    preview_max_width: int = Field(default=1400, ge=100)
    preview_max_height: int = Field(default=2000, ge=100)
    preview_max_pixels: int = Field(default=2_000_000, ge=10_000)
    """Pixels of one previewed page (about an A4 page at 120 dpi)."""
    preview_cache_dir: Path | None = None
    """Rendered preview pages; None: `previews/` beside `raw_mail_dir`."""
    preview_cache_hours: float = Field(default=24.0, ge=0)
    """How long a rendered page is kept for the next look (0: no cache)."""
    login: LoginSettings = LoginSettings()
    """How failed logins are slowed down and locked."""
    public_url: str | None = None
    """The pages' address as caseworkers reach them (`https://mikrobot.ssb.no`): an
    assignment notice links to the ticket there. Unset: the notice names the ticket only."""

    @field_validator("public_url")
    @classmethod
    def _an_http_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(?::\d{1,5})?(?:/[\w.\-/]*)?", value):
            raise ValueError("public_url is an http(s) address: https://host[:port][/path]")
        return value.rstrip("/")


class TuningSettings(BaseModel):
    """What admins tune from the web: model versions, retraining, the rules' backtest
    (`MIKROBOT_TUNING__<NAME>`)."""

    model_versions_dir: Path = Path("var/models")
    """Each retrained model is a folder here, named by when it was trained; which one the
    bot runs with is recorded in the database (`model_activations`)."""
    training_labels: Path = Path("fixtures/labels.jsonl")
    """Labelled mail retraining starts from: its `train` split is learned together with the
    caseworkers' corrections, its `test` split is the held-out set every version's figures
    are measured on (so versions compare)."""
    calibration_labels: Path = Path("fixtures/handwritten/dev/labels.jsonl")
    """Labelled mail no model learns from, for the confidence calibration."""
    epochs: int = Field(default=4, ge=1, le=50)
    """Training passes (as `mikrobot train --epochs`)."""
    job_stale_after: float = 120.0
    """Seconds without a heartbeat after which a retraining job counts as dead."""
    backtest_mails: int = Field(default=200, ge=1, le=5000)
    """How many of the newest filed mails a rules change is tried on before it is saved."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MIKROBOT_", env_nested_delimiter="__", extra="forbid"
    )

    rules_file: Path = DEFAULT_RULES_FILE
    requirements_file: Path = DEFAULT_REQUIREMENTS_FILE
    model_dir: Path = DEFAULT_MODEL_DIR
    from_address: str = Field(
        default="mikrodata@ssb.no", validation_alias=AliasChoices("MIKROBOT_FROM", "from_address")
    )
    """The inbox's own address: replies come from it, and mail from it is never answered."""
    limits: Limits = Limits()
    web: WebSettings = WebSettings()
    tuning: TuningSettings = TuningSettings()

    source: str = "var/inbox"
    """`MIKROBOT_SOURCE`: a Maildir path, or `imap://user:password@host:port/Folder`, `imaps://…`."""
    smtp: str = "var/outbox"
    """`MIKROBOT_SMTP`: `smtp://user:password@host:port`, `smtps://…`, or an .eml folder."""
    database: str = "sqlite:///var/mikrobot.db"
    """`MIKROBOT_DATABASE`: any SQLAlchemy URL (SQLite or PostgreSQL)."""
    raw_mail_dir: Path = Path("var/mail")
    done_action: Literal["move", "flag"] = "move"
    folder_template: str = "Triaged/{category}"
    poll_interval: float = 30.0
    idle: bool = True
    wait_timeout: float = 300.0
    """Longest single IDLE/poll wait: each wake-up proves the connection is alive."""
    max_replies_per_sender_per_day: int = 5
    max_replies_per_hour: int = Field(default=200, ge=0)
    """Auto-replies a whole hour may queue, to anybody: a flood of forged senders (each under
    its own daily limit) cannot turn the bot into a mail cannon. SSB's inbox gets a few
    dozen mails on a busy day; over the cap a mail is still filed, just not answered."""
    reply_mode: ReplyMode = ReplyMode.AUTO
    """Who lets an automatic reply go: `auto` (the bot, at once), `review` (every reply waits
    in the web's "Til godkjenning" queue until a caseworker approves, edits or discards it)
    or `review_uncertain` (only replies that ask for missing items, or answer a verdict
    below `review_confidence`, wait). Replies a caseworker writes or asks for never wait."""
    review_confidence: float = Field(default=0.8, ge=0.0, le=1.0)
    """`review_uncertain`: a verdict less confident than this has its reply approved first.
    The confidence is calibrated: below 0.8, one verdict in five or more is wrong."""
    resend_guard_minutes: float = Field(default=60.0, ge=0.0)
    """A caseworker's "send the missing-items reply again" within this many minutes of the
    case's previous reply is refused (two clicks used to send two identical reminders).
    0 turns the guard off."""
    retention_days: int = Field(default=365, ge=1)
    """How long a closed ticket keeps its mail, attachments and texts (`mikrobot purge`).

    While a case is open its documents are the case: the caseworker needs them. Once it
    is closed, SSB's archive (the case management system) holds the record, and GDPR's
    storage limitation says the bot's copy must go; a year leaves room for a late change
    request or a question about the decision. What happened (category, dates, status,
    history) is kept without the personal details."""
    personal_data_retention_hours: int = Field(default=72, ge=1)
    """How long a mail that held national ID numbers is kept, open ticket or not (issue #11).

    Such data must not come by e-mail; the caseworker gets three days to read the mail and
    ask for the data through the secure file-transfer area. Then the running service (and
    `mikrobot purge`) deletes its raw bytes, its texts and its copy in the mailbox."""
    delivery_copy: bool = True
    """Also address each SMTP reply to `from_address`, the watched inbox, with no header
    naming it. The relay's copy comes back through the inbox and proves the reply was
    accepted: after a crash mid-send that proof, not a guess, decides whether to send again."""
    delivery_copy_wait: float = 600.0
    """How long, after a send cut off by a crash, to wait for that copy before sending again.
    Longer than the relay's usual delivery delay; the reply is late only in that rare case."""
    reply_cutoff: datetime | None = None
    """Mail that arrived (the server's INTERNALDATE, not the Date header) before this time is
    filed but not answered. Unset: the bot's first start for the mailbox, so a first import
    of a 10,000-mail backlog does not answer mail that is months old."""
    claim_timeout: float = 600.0
    """Seconds after which a worker's claim on a mail counts as abandoned (the worker died)."""
    max_attempts: int = 5
    """Claims before a mail that keeps stopping workers is filed unread, with the error."""
    worker_poll_interval: float = 0.2
    """How often an idle worker process looks for queued mail (`--workers N`)."""
    reload_check_seconds: float = 5.0
    """How often, between mails, the bot looks whether an admin activated another model
    version or saved the rules (`bot.context.ContextWatch`): it then triages with them
    without a restart."""
    metrics_address: str | None = None
    """`host:port` where `mikrobot run` serves Prometheus `/metrics` (e.g. `127.0.0.1:9108`)."""

    @property
    def stale_fetch_after(self) -> float:
        """A mailbox not fetched for this long is stale: the longest healthy IDLE wait, twice,
        plus a minute for a reconnect."""
        return 2 * self.wait_timeout + 60

    oauth2_token: SecretStr | None = None
    """XOAUTH2 access token for IMAP, from the environment only (`MIKROBOT_OAUTH2_TOKEN`)."""

    @field_validator("reply_cutoff")
    @classmethod
    def _cutoff_in_utc(cls, value: datetime | None) -> datetime | None:
        """A time written without a zone is UTC (INTERNALDATE is compared in UTC)."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    @property
    def message_id_domain(self) -> str:
        return self.from_address.rpartition("@")[2] or "mikrobot.invalid"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("MIKROBOT_CONFIG", "mikrobot.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )
