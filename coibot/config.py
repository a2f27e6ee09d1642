"""The configuration file: pydantic models of the YAML and the loader that reports every problem."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coibot.errors import ConfigError
from coibot.limits import Limits
from coibot.requirements import ClientRequirements
from coibot.validation import suggest, validation_problems

log = logging.getLogger(__name__)

CONFIG_ENV = "COIBOT_CONFIG"
DEFAULT_CONFIG_NAME = "coibot.yaml"
# Keys that would put a secret in the file; each names the *_env key to use instead.
_SECRET_KEYS = {"password": "password_env", "token": "bot_token_env", "bot_token": "bot_token_env",
                "app_token": "app_token_env", "signing_secret": "signing_secret_env"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, env_key in _SECRET_KEYS.items():
                if key in data and env_key in cls.model_fields:
                    raise ValueError(
                        f"'{key}' found: secrets never live in the file; set {env_key} to the name "
                        "of an environment variable that holds it"
                    )
        return data


class Storage(_Strict):
    """Where coibot keeps its database and the documents it received."""

    database_url: str | None = None
    documents_dir: Path | None = None


class ImapAccount(_Strict):
    """One mailbox the IMAP poller watches."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    host: str
    port: int = Field(default=993, ge=1, le=65535)
    security: Literal["tls", "starttls", "none"] = "tls"
    username: str
    password_env: str
    folder: str = "INBOX"
    processed_folder: str = "coibot/processed"
    failed_folder: str = "coibot/failed"
    poll_interval_seconds: int = Field(default=60, ge=5)
    idle: bool = True

    def password(self) -> str | None:
        return os.environ.get(self.password_env)


class SmtpReceiver(_Strict):
    """The built-in SMTP server that takes certificates in."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=2525, ge=0, le=65535)
    accept_recipients: list[str] = Field(default_factory=lambda: ["certificates@localhost"])

    @field_validator("accept_recipients")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        return [a.strip().lower() for a in v]


class Inbound(_Strict):
    imap: list[ImapAccount] = Field(default_factory=list)
    smtp: SmtpReceiver = Field(default_factory=SmtpReceiver)


class Relay(_Strict):
    """An SMTP relay for outgoing mail."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username_env: str | None = None
    password_env: str | None = None


class Outbound(_Strict):
    """Outgoing mail: through a relay, or as .eml files in outbox_dir when no relay is set."""

    from_address: str = "coibot@localhost"
    from_name: str = "coibot"
    relay: Relay | None = None
    outbox_dir: Path | None = None
    staff_emails: list[str] = Field(default_factory=list)
    max_attempts: int = Field(default=8, ge=1)


class Slack(_Strict):
    """Slack credentials are read from the environment variables named here."""

    # Names of environment variables, not secrets.
    bot_token_env: str = "SLACK_BOT_TOKEN"  # noqa: S105
    app_token_env: str = "SLACK_APP_TOKEN"  # noqa: S105
    signing_secret_env: str = "SLACK_SIGNING_SECRET"  # noqa: S105
    api_base_url: str = "https://slack.com/api/"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=3000, ge=0, le=65535)
    staff_channel: str | None = None
    staff_users: list[str] = Field(default_factory=list)

    def bot_token(self) -> str | None:
        return os.environ.get(self.bot_token_env) or None

    def app_token(self) -> str | None:
        return os.environ.get(self.app_token_env) or None

    def signing_secret(self) -> str | None:
        return os.environ.get(self.signing_secret_env) or None


class Reminders(_Strict):
    """When renewal requests go out and when they escalate."""

    days_before_expiry: list[int] = Field(default_factory=lambda: [60, 30, 14, 7, 1])
    after_expiry_every_days: int = Field(default=7, ge=1)
    after_expiry_max: int = Field(default=4, ge=0)
    escalate_after_days: int = Field(default=14, ge=0)
    send_time: time = time(9, 0)
    timezone: str = "UTC"

    @field_validator("days_before_expiry")
    @classmethod
    def _positive_sorted(cls, v: list[int]) -> list[int]:
        if any(d <= 0 for d in v):
            raise ValueError("days before expiry must be positive whole numbers")
        return sorted(set(v), reverse=True)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {v!r}; expected an IANA name such as America/Chicago"
            raise ValueError(msg) from None
        return v


class Contact(_Strict):
    email: str | None = None
    name: str | None = None
    slack_user: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.?[^@\s]*", v):
            raise ValueError(f"{v!r} is not an e-mail address")
        return v.strip().lower() if v else v


class Provider(_Strict):
    """A vendor or contractor that sends certificates."""

    name: str = Field(min_length=1)
    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    contacts: list[Contact] = Field(default_factory=list)
    broker_email: str | None = None
    clients: list[str] = Field(default_factory=list)

    @property
    def key(self) -> str:
        return provider_key(self.id, self.name)


class Settings(_Strict):
    """The whole configuration; relative paths resolve against the file's folder."""

    data_dir: Path = Path("data")
    storage: Storage = Field(default_factory=Storage)
    inbound: Inbound = Field(default_factory=Inbound)
    outbound: Outbound = Field(default_factory=Outbound)
    slack: Slack = Field(default_factory=Slack)
    reminders: Reminders = Field(default_factory=Reminders)
    limits: Limits = Field(default_factory=Limits)
    clients: list[ClientRequirements] = Field(default_factory=list)
    providers: list[Provider] = Field(default_factory=list)
    source: str = Field(default="<defaults>", exclude=True)

    @property
    def database_url(self) -> str:
        return self.storage.database_url or f"sqlite:///{self.data_dir / 'coibot.db'}"

    @property
    def documents_dir(self) -> Path:
        return self.storage.documents_dir or self.data_dir / "documents"

    @property
    def outbox_dir(self) -> Path:
        return self.outbound.outbox_dir or self.data_dir / "outbox"

    def client(self, client_id: str) -> ClientRequirements | None:
        return next((c for c in self.clients if c.id == client_id), None)

    def provider_pairs(self) -> list[tuple[str, str]]:
        """(key, name) of each configured provider: what a provider reference is resolved against."""
        return [(p.key, p.name) for p in self.providers]

    def provider(self, ref: str) -> Provider | None:
        """The configured provider a reference (a waiver's `provider`) names, by key or by name."""
        key = provider_key_for(ref, self.provider_pairs())
        return next((p for p in self.providers if p.key == key), None)


def slugify(name: str) -> str:
    """A stable key for a name: lowercase words joined by dashes."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "provider"


def provider_key(provider_id: str | None, name: str) -> str:
    """A provider's key: its explicit id, else the key derived from its name."""
    return provider_id or slugify(name)


def provider_key_for(ref: str, providers: Iterable[tuple[str, str]]) -> str | None:
    """The key of the provider `ref` names among (key, name) pairs; None when it names none.

    An exact key (the explicit `id`, or the key derived from the name) wins; otherwise the name is
    compared the way keys are derived, so case and punctuation do not matter.
    """
    pairs = list(providers)
    if any(key == ref for key, _ in pairs):
        return ref
    wanted = slugify(ref)
    return next((key for key, name in pairs if slugify(name) == wanted), None)


def _did_you_mean(word: str, choices: list[str]) -> str:
    match = suggest(word, choices, cutoff=70)
    return f", did you mean {match!r}?" if match else ""


def _reference_problems(raw: dict[str, Any]) -> list[str]:
    """Cross-references the models cannot see: providers naming clients, duplicate ids."""
    problems: list[str] = []
    clients = raw.get("clients") or []
    ids: list[str] = [c["id"] for c in clients if isinstance(c, dict) and isinstance(c.get("id"), str)]
    for i, cid in enumerate(ids):
        if cid in ids[:i]:
            problems.append(f"clients[{i}].id: duplicate client id {cid!r}")
    providers = raw.get("providers") or []
    if not isinstance(providers, list):
        return problems
    seen: dict[str, int] = {}
    for i, prov in enumerate(providers):
        if not isinstance(prov, dict):
            continue
        refs = prov.get("clients") or []
        for j, ref in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(ref, str) and ref not in ids:
                known = ", ".join(ids) or "none configured"
                problems.append(
                    f"providers[{i}].clients[{j}]: unknown client {ref!r}{_did_you_mean(ref, ids)} "
                    f"(known clients: {known})"
                )
        name = prov.get("id") or (slugify(prov["name"]) if isinstance(prov.get("name"), str) else None)
        if name:
            if name in seen:
                problems.append(f"providers[{i}]: duplicate provider {name!r} (also providers[{seen[name]}])")
            seen[name] = i
    return problems


def _raw_providers(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, name) of each provider of the unvalidated file that has a name."""
    providers = raw.get("providers")
    pairs: list[tuple[str, str]] = []
    for prov in providers if isinstance(providers, list) else []:
        name = prov.get("name") if isinstance(prov, dict) else None
        if isinstance(name, str):
            pid = prov.get("id")
            pairs.append((provider_key(pid if isinstance(pid, str) else None, name), name))
    return pairs


def _waiver_problems(raw: dict[str, Any]) -> list[str]:
    """Waivers naming a provider the file does not configure: like an unknown client, a problem."""
    clients = raw.get("clients")
    pairs = _raw_providers(raw)
    known = sorted({name for _, name in pairs})
    problems: list[str] = []
    for i, client in enumerate(clients if isinstance(clients, list) else []):
        waivers = client.get("waivers") if isinstance(client, dict) else None
        for j, waiver in enumerate(waivers if isinstance(waivers, list) else []):
            ref = waiver.get("provider") if isinstance(waiver, dict) else None
            if not isinstance(ref, str) or not ref or provider_key_for(ref, pairs) is not None:
                continue
            choices = [key for key, _ in pairs] + known
            problems.append(
                f"clients[{i}].waivers[{j}].provider: unknown provider {ref!r}{_did_you_mean(ref, choices)} "
                f"(known providers: {', '.join(known) or 'none configured'})"
            )
    return problems


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    def absolute(p: Path) -> Path:
        return p if p.is_absolute() else base / p

    settings.data_dir = absolute(settings.data_dir)
    if settings.storage.documents_dir is not None:
        settings.storage.documents_dir = absolute(settings.storage.documents_dir)
    if settings.outbound.outbox_dir is not None:
        settings.outbound.outbox_dir = absolute(settings.outbound.outbox_dir)
    url = settings.storage.database_url
    if url and url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rel = url.removeprefix("sqlite:///")
        if rel and rel != ":memory:":
            settings.storage.database_url = f"sqlite:///{base / rel}"
    return settings


def parse_config(raw: Any, source: str, base: Path) -> Settings:
    """Validate already-loaded YAML data; raise ConfigError listing every problem."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(source, [f"(top level): expected a mapping of settings, got {type(raw).__name__}"])
    problems = _reference_problems(raw) + _waiver_problems(raw)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc, Settings) + problems
        raise ConfigError(source, problems) from None
    if problems:
        raise ConfigError(source, problems)
    settings.source = source
    return _resolve_paths(settings, base)


def find_config(path: Path | None) -> Path | None:
    """The file to load: the argument, $COIBOT_CONFIG, or ./coibot.yaml; None means embedded defaults."""
    if path is not None:
        return path
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    return local if local.exists() else None


def load_config(path: Path | None = None) -> Settings:
    """Load and validate the configuration; without a file, the embedded defaults."""
    found = find_config(path)
    if found is None:
        log.info("no configuration file; using embedded defaults under ./data")
        return parse_config({}, "<defaults>", Path.cwd())
    source = str(found)
    try:
        text = found.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(source, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    return parse_config(raw, source, found.resolve().parent)
