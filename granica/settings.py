"""Every tunable of a Granica node, read from GRANICA_* environment variables and nowhere else."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """One node's configuration. `GRANICA_DATABASE_URL=postgresql+psycopg://...` selects PostgreSQL."""

    model_config = SettingsConfigDict(env_prefix="GRANICA_", env_file=None, extra="ignore")

    # identity of the node
    country: str = Field(default="RS", description="ISO 3166 alpha-2 code of the country running this node")
    bureau_code: str = Field(default="RS", description="SIRENE bureau code of this node")
    document_country: str = Field(
        default="SRB", description="this node's country as travel documents write it (ICAO 9303 "
        "three-letter code, e.g. an MRZ's nationality): its nationals are checked as the "
        "free-movement nationals of a member state")
    node_role: Literal["national", "eurodac-central"] = "national"
    node_name: str = "granica-rs"

    # storage
    data_dir: Path = Path("granica-data")
    database_url: str | None = None
    sql_echo: bool = False

    # web and API
    host: str = "127.0.0.1"
    port: int = 8000
    default_language: Literal["en", "sr-Latn", "sr-Cyrl"] = "en"
    local_timezone: str = "Europe/Belgrade"
    max_upload_bytes: int = 20 * 1024 * 1024
    secure_cookies: bool = False

    # authentication
    session_minutes: int = 30
    password_min_length: int = 12
    lockout_failures: int = 5
    lockout_minutes: int = 15
    token_days: int = 365

    # audit
    audit_retention_days: int = 3 * 365
    audit_sign_interval_seconds: int = Field(
        default=5, gt=0, description="the newest audit rows wait at most this long (after a "
        "commit, or the scheduler's tick when idle) before the chain head is signed into the "
        "anchors file: the window in which rows could be rewritten unnoticed")
    audit_sign_every_rows: int = Field(
        default=1000, gt=0, description="sign at once after a commit when this many audit rows "
        "wait unsigned")
    audit_signing_key_file: Path | None = Field(
        default=None, description="the Ed25519 audit signing key (PEM, mode 0600), kept outside "
        "the data folder; created there on first use. Default: <data_dir>/keys")
    audit_signing_key: SecretStr | None = Field(
        default=None, description="the audit signing key itself (PEM text), provided by the "
        "environment; takes precedence over audit_signing_key_file and is never written")
    audit_public_keys_dir: Path | None = Field(
        default=None, description="folder of the audit public keys verification trusts (old "
        "keys after a rotation). Default: the keys folder when the signing key lives there; "
        "with an external key, only that key's own public half")

    # exchange between nodes (granica.exchange)
    exchange_peers_file: Path | None = Field(
        default=None, description="the other nodes this node exchanges messages with (TOML: "
        "[peers.HU] url = ..., public_key = ...). Default: <data_dir>/peers.toml")
    exchange_signing_key_file: Path | None = Field(
        default=None, description="this node's Ed25519 key for signing messages (PEM, 0600); "
        "created on first use. Default: <data_dir>/keys/exchange-ed25519.pem")
    exchange_max_age_hours: float = Field(
        default=7 * 24, gt=0, description="a message older than this is refused as a replay "
        "(longer than any outage its sender may queue through)")
    exchange_max_skew_seconds: float = Field(
        default=300, ge=0, description="how far in the future a message's time may be (clocks "
        "of two nodes differ)")
    exchange_retry_first_seconds: float = Field(
        default=1.0, gt=0, description="wait before the first retry of a failed delivery; "
        "doubled on each further failure")
    exchange_retry_max_seconds: float = Field(
        default=60.0, gt=0, description="longest wait between two delivery attempts")
    exchange_batch: int = Field(default=200, gt=0, le=1000,
                                description="messages sent to a peer in one request")
    exchange_timeout_seconds: float = Field(default=10.0, gt=0,
                                            description="time a peer has to acknowledge")

    # SIRENE Bureau (granica.sirene)
    sirene_forms_file: Path | None = Field(
        default=None, description="the SIRENE form catalogue (TOML); default: the one shipped "
        "in granica/sirene/forms.toml. Forms the recast manual may change are data there")
    sirene_immediate_minutes: float = Field(
        default=60, gt=0, description="time to answer an urgent message (terrorism, arrest, "
        "children and vulnerable persons, 311 URGENT): the law says 'immediately'")
    sirene_escalate_minutes: float = Field(
        default=60, ge=0, description="a reply overdue by this long is escalated to the head "
        "of the shift on the duty board")
    sirene_shifts: str = Field(
        default="06:00,14:00,22:00", description="local start times of the bureau's shifts")
    sirene_notify_command: str | None = Field(
        default=None, description="a command run when a reply becomes overdue or escalated, "
        "with the notice as JSON on its standard input (e.g. a script that sends e-mail)")
    sirene_duty_refresh_seconds: float = Field(
        default=60, ge=0, description="the duty board reloads its lists this often while it is "
        "open (0: only when the operator asks)")
    sirene_case_retention_days: int = Field(
        default=365, gt=0, description="a closed case is erased this long after its alert "
        "was deleted (SR 362.0 Art 45: at the latest one year)")

    # national fingerprint database (granica.asylum)
    asylum_rules: Literal["2024", "2013"] = Field(
        default="2024", description="EURODAC rule set: the 2024 recast (Reg. 2024/1358) or the "
        "repealed Reg. 603/2013 (categories, ages, retention, comparison rules in "
        "granica/asylum/categories.toml)")
    asylum_candidate_fmr: float = Field(
        default=0.001, gt=0, lt=0.1, description="false-match rate per finger whose threshold a "
        "subject's fused ten-print score must reach to become a candidate for the expert")
    asylum_central_peer: str = Field(
        default="EU-CENTRAL", description="the peer (in the exchange's peers file) that is the "
        "central system subjects are transmitted to, and whose answers are taken")
    asylum_itl_profile: str = Field(
        default="eurodac", description="ANSI/NIST-ITL application profile of the transactions "
        "to the central system: a shipped profile's name or the path of a .toml file")
    asylum_itl_encoding: Literal["traditional", "xml"] = Field(
        default="traditional", description="encoding of the transactions sent to the central "
        "system: the traditional one or the XML (ANSI/NIST-ITL 2-2008 NIEM); the central "
        "system reads both and answers in the encoding it was sent")
    asylum_itl_values_file: Path | None = Field(
        default=None, description="values the profile leaves to the nodes (TOT per category, "
        "type-1 identifiers, type-2 field numbers, answer codes); default: the one shipped in "
        "granica/asylum/transmission.toml")

    # training mode (granica.asylum.training)
    training: bool = Field(
        default=False, description="run as a training node: its own data folder "
        "(<data_dir>/training) and database, a banner on every page, synthetic subjects and "
        "exercises with a score per trainee; never the live data")
    training_database_url: str | None = Field(
        default=None, description="the training node's database when the live node is not on "
        "the embedded default (it must differ from GRANICA_DATABASE_URL); default: the embedded "
        "database in <data_dir>/training")

    # logging
    log_level: str = "INFO"

    # border checks
    border_source_budget_ms: int = Field(
        default=1500, description="time each source of a border check has to answer before it is missed")
    border_retention_years: int = 3  # EES Art 34: checks, entries/exits, refusals
    border_overstayer_retention_years: int = 5
    border_fingerprint_budget_ms: int = Field(
        default=8000, description="time the fingerprint step of a border check (extraction, "
        "1:1 verification, 1:N search) has before the check counts as incomplete")
    # fingerprints: the false-match rate whose threshold decides a 1:1 or 1:N match
    fingerprint_fmr: float = 0.001

    @model_validator(mode="after")
    def _training_apart(self) -> Settings:
        """A training node never opens the live node's database or data folder."""
        if not self.training:
            return self
        if self.database_url and not self.training_database_url:
            raise ValueError("a training node needs its own database: set "
                             "GRANICA_TRAINING_DATABASE_URL (not the live GRANICA_DATABASE_URL)")
        if self.training_database_url and self.training_database_url == self.database_url:
            raise ValueError("GRANICA_TRAINING_DATABASE_URL is the live database: give the "
                             "training node a database of its own")
        if self.data_dir.name != "training":
            self.data_dir = self.data_dir / "training"
        self.database_url = self.training_database_url
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'granica.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        """Keys the database must not hold (audit signing key, session secret)."""
        return self.data_dir / "keys"

    @property
    def resolved_peers_file(self) -> Path:
        return self.exchange_peers_file or self.data_dir / "peers.toml"

    @property
    def resolved_exchange_key_file(self) -> Path:
        return self.exchange_signing_key_file or self.keys_dir / "exchange-ed25519.pem"

    @property
    def audit_anchor_file(self) -> Path:
        """Signed audit chain heads, appended outside the database."""
        return self.data_dir / "audit-anchors.jsonl"


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    get_settings.cache_clear()
