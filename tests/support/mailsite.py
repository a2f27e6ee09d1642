"""A small site for the email tests: the demo clients/providers, a migrated database, a store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from coibot.config import Settings, parse_config
from coibot.db import session_scope
from coibot.demo import demo_site
from coibot.storage import DocumentStore
from coibot.sync import sync_config

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "coibot" / "demo"
# Fixed copies (the corpus under tests/fixtures is regenerated as the generator evolves).
TEXT_OK = DEMO / "compliant-blue-heron.pdf"  # corpus text_013 at its first commit
TEXT_BAD = DEMO / "deficient-oakmont.pdf"  # corpus text_008
SCAN = DEMO / "scan-granite-state.pdf"  # corpus scan_001
FILLABLE = REPO / "tests" / "mail" / "data" / "fillable-quarry-hill.pdf"  # corpus fillable_007
TODAY = date(2026, 11, 21)


def site_settings(tmp: Path, **overrides: Any) -> Settings:
    raw: dict[str, Any] = demo_site()
    raw["data_dir"] = str(tmp / "data")
    raw.setdefault("outbound", {})["staff_emails"] = ["staff@coibot.example"]
    raw["inbound"] = {"smtp": {"accept_recipients": ["certificates@coibot.example"]}}
    for key, value in overrides.items():
        raw[key] = value
    return parse_config(raw, "test", tmp)


@dataclass
class Site:
    settings: Settings
    engine: Engine
    store: DocumentStore


def sync(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        sync_config(session, settings)


def certificate_mail(
    sender: str,
    files: list[Path],
    subject: str = "Certificate of insurance",
    to: str = "certificates@coibot.example",
    message_id: str | None = None,
    text: str = "Please find our certificate attached.",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content(text)
    for f in files:
        ctype = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}.get(f.suffix[1:], "")
        maintype, _, subtype = (ctype or "application/octet-stream").partition("/")
        msg.add_attachment(f.read_bytes(), maintype=maintype, subtype=subtype, filename=f.name)
    return msg.as_bytes(policy=SMTP)
