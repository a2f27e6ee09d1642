"""`coibot demo`: mail the bundled example certificates to the running local inbox, print the replies."""

from __future__ import annotations

import email
import email.policy
import smtplib
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import typer

from coibot.cli.common import CONFIG_OPTION, console, err_console, settings_from
from coibot.cli.serve_cmd import with_demo_site
from coibot.demo import demo_certificates
from coibot.errors import CoibotError


class DemoError(CoibotError):
    """The demo could not reach the running coibot or saw no reply."""


def _mail(sender: str, to: str, path: Path, kind: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = f"Certificate of insurance ({kind})"
    msg["Message-ID"] = f"<demo-{uuid.uuid4().hex}@coibot.demo>"
    msg.set_content("Hello, please find our certificate of insurance attached.")
    msg.add_attachment(path.read_bytes(), maintype="application", subtype="pdf", filename=path.name)
    return msg


def _find_reply(outbox: Path, message_id: str, seen: set[Path]) -> EmailMessage | None:
    for path in sorted(outbox.glob("*.eml")):
        if path in seen:
            continue
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if isinstance(msg, EmailMessage) and msg.get("In-Reply-To", "").strip() == message_id:
            seen.add(path)
            return msg
    return None


def demo(
    config: Path | None = CONFIG_OPTION,
    host: str | None = typer.Option(None, help="SMTP host of the running coibot (default: from the config)."),
    port: int | None = typer.Option(None, help="SMTP port of the running coibot (default: from the config)."),
    wait: float = typer.Option(60.0, help="Seconds to wait for each reply."),
) -> None:
    """Send three example certificates (compliant, deficient, scanned) and print coibot's replies."""
    settings = with_demo_site(settings_from(config))
    smtp_cfg = settings.inbound.smtp
    host, port = host or smtp_cfg.host, port or smtp_cfg.port
    to = smtp_cfg.accept_recipients[0]
    outbox = settings.outbox_dir
    seen: set[Path] = set(outbox.glob("*.eml")) if outbox.is_dir() else set()
    for cert in demo_certificates():
        msg = _mail(cert.sender, to, cert.path, cert.kind)
        console.print(f"[bold]-> {cert.sender} sends {cert.path.name} ({cert.kind}) to {to}[/]",
                      highlight=False, soft_wrap=True)
        started = time.monotonic()
        try:
            with smtplib.SMTP(host, port, timeout=30) as smtp:
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DemoError(f"cannot deliver to {host}:{port} ({exc}); is `coibot serve` running?") from exc
        if settings.outbound.relay is not None:
            console.print(f"   accepted; the reply goes out through {settings.outbound.relay.host}")
            continue
        reply = None
        while reply is None and time.monotonic() - started < wait:
            time.sleep(0.2)
            reply = _find_reply(outbox, str(msg["Message-ID"]), seen) if outbox.is_dir() else None
        if reply is None:
            err_console.print(f"   no reply in {outbox} after {wait:.0f} s")
            continue
        body = reply.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        cc = f", cc {reply['Cc']}" if reply["Cc"] else ""
        console.print(f"<- reply after {time.monotonic() - started:.1f} s: {reply['Subject']} "
                      f"(to {reply['To']}{cc})", highlight=False, soft_wrap=True)
        console.print(text, highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
