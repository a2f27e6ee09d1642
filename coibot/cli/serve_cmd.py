"""`coibot serve`: the long-running process (SMTP receiver, IMAP pollers, outbox, Slack, scheduler)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import typer

from coibot.cli.common import CONFIG_OPTION, console, open_database, settings_from
from coibot.config import Settings, parse_config
from coibot.db import session_scope
from coibot.migrate import upgrade
from coibot.sync import sync_config

log = logging.getLogger(__name__)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def with_demo_site(settings: Settings) -> Settings:
    """Embedded defaults know no clients: load the bundled demo site so `coibot demo` shows the loop."""
    if settings.source != "<defaults>" or settings.clients or settings.providers:
        return settings
    from coibot.demo import demo_site

    demo = parse_config(demo_site(), "<defaults + demo site>", settings.data_dir.parent)
    demo.data_dir = settings.data_dir
    return demo


def _banner(settings: Settings, info: object) -> None:
    from handlers.serve import Listening

    if not isinstance(info, Listening):
        return
    lines = ["[bold green]coibot is running[/]"]
    if info.smtp:
        host, port = info.smtp
        lines.append(f"  SMTP receiver: {host}:{port}, for {', '.join(info.recipients)}")
    for box in info.imap:
        lines.append(f"  IMAP: {box}")
    lines.append(f"  replies go to: {info.replies}")
    lines.append(f"  Slack: {'on' if info.slack else 'off'}; reminders: {'on' if info.scheduler else 'off'}")
    if settings.source == "<defaults + demo site>":
        lines.append("  no configuration file: the demo site is loaded (client parkside, four providers)")
    if info.smtp:
        lines.append("  try it: [bold]coibot demo[/] (in another terminal) mails three example certificates")
        lines.append(f"          and prints the replies; or send a PDF to {info.recipients[0]} via "
                     f"{info.smtp[0]}:{info.smtp[1]}")
    lines.append("  stop with Ctrl-C (or SIGTERM); work in flight is finished or kept for the next start")
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)
    sys.stdout.flush()


def serve(config: Path | None = CONFIG_OPTION) -> None:
    """Receive certificates by SMTP and IMAP, answer them, and deliver the outbox until stopped."""
    # One line per event on stderr: intake, replies and deliveries are INFO (-v adds DEBUG).
    for name in ("coibot", "handlers"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT, stream=sys.stderr)
    settings = with_demo_site(settings_from(config))
    engine = open_database(settings, require_schema=False)
    upgrade(engine)
    with session_scope(engine) as session:
        sync_config(session, settings)
    from handlers.serve import Service

    service = Service(settings, engine)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await service.run(stop, ready=lambda info: _banner(settings, info))

    asyncio.run(main())
    engine.dispose()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
