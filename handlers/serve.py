"""The composition root of `coibot serve`: SMTP receiver, IMAP pollers, intake workers, outbox sender,
and (when configured) the Slack app and the reminder scheduler, in one asyncio process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine

from coibot.config import Settings
from coibot.errors import CoibotError
from coibot.extract.isolate import close_warm, extract_warm, start_warm
from coibot.intake import Extractor, Processor
from coibot.storage import DocumentStore, ensure_writable_dir
from handlers.imap_poller import start_pollers
from handlers.outbox_sender import OutboxSender
from handlers.smtp_receiver import ReceiverHandler, start_receiver

log = logging.getLogger(__name__)

WORKERS = 2  # documents are read in a child process each; two match the two cores we plan for
RETRY_SECONDS = 5.0
RESUME_SECONDS = 60.0  # how often mail from unknown senders is looked at again (staff may have added them)


class ServeError(CoibotError):
    """coibot serve cannot start as configured (e.g. the SMTP port is taken)."""

    exit_code = 2


@dataclass
class Listening:
    """Where the running service listens and where replies go, for the start banner."""

    smtp: tuple[str, int] | None
    imap: list[str]
    replies: str
    slack: bool
    scheduler: bool
    recipients: list[str] = field(default_factory=list)


class Service:
    """One running coibot: build with the settings and a migrated engine, then `await run(stop)`."""

    def __init__(self, settings: Settings, engine: Engine, *, extractor: Extractor | None = None,
                 today: Callable[[], date] = date.today, workers: int = WORKERS,
                 with_slack: bool = True, with_scheduler: bool = True) -> None:
        self.settings = settings
        self.engine = engine
        ensure_writable_dir(settings.documents_dir, "documents")
        if settings.outbound.relay is None:
            ensure_writable_dir(settings.outbox_dir, "outbox")
        self.store = DocumentStore(settings.documents_dir)
        self.processor = Processor(engine, settings, self.store, extractor, today)
        self.sender = OutboxSender(engine, settings, self.store)
        self.workers = workers
        self.with_slack = with_slack
        self.with_scheduler = with_scheduler
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self._thread_stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def submit(self, inbound_id: int) -> None:
        """Queue a stored message for processing (thread-safe)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the service is not running")
        loop.call_soon_threadsafe(self.queue.put_nowait, inbound_id)

    def kick_sender(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.sender.kick)

    async def _worker(self, n: int) -> None:
        while True:
            inbound_id = await self.queue.get()
            try:
                outcome = await asyncio.to_thread(self.processor.process, inbound_id)
                if not outcome.skipped:
                    log.info("processed inbound=%s status=%s provider=%s clients=%s replied=%s",
                             inbound_id, outcome.status.value, outcome.provider, ",".join(outcome.clients),
                             outcome.replied)
                self.sender.kick()
            except Exception:
                log.exception("worker %d: inbound=%s failed; retrying in %.0f s", n, inbound_id,
                              RETRY_SECONDS)
                asyncio.get_running_loop().call_later(RETRY_SECONDS, self.queue.put_nowait, inbound_id)
            finally:
                self.queue.task_done()

    async def _resume_known_senders(self) -> None:
        while True:
            await asyncio.sleep(RESUME_SECONDS)
            try:
                for inbound_id in await asyncio.to_thread(self.processor.resume_awaiting):
                    log.info("inbound=%s: the sender is now on file; processing it", inbound_id)
                    self.queue.put_nowait(inbound_id)
            except Exception:
                log.exception("looking at mail from unknown senders failed; trying again later")

    async def run(self, stop: asyncio.Event, ready: Callable[[Listening], None] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        settings = self.settings
        server: asyncio.Server | None = None
        smtp_at: tuple[str, int] | None = None
        if settings.inbound.smtp.enabled:
            # Bind first: a port in use is a clear error before anything else starts.
            handler = ReceiverHandler(self.engine, settings, self.store, self.submit)
            cfg = settings.inbound.smtp
            try:
                server = await start_receiver(handler, settings)
            except OSError as exc:
                raise ServeError(f"the SMTP receiver cannot listen on {cfg.host}:{cfg.port}: "
                                 f"{exc.strerror or exc} (set inbound.smtp.port, or enabled: false)") from exc
            sock = server.sockets[0].getsockname()
            smtp_at = (str(sock[0]), int(sock[1]))
        if self.processor.extractor is extract_warm:
            # The spare imports the reader and loads the OCR model while the rest starts.
            await asyncio.to_thread(start_warm, settings.limits)
        resumed = await asyncio.to_thread(self.processor.resume_awaiting)
        backlog = await asyncio.to_thread(self.processor.pending_ids)
        if resumed or backlog:
            log.info("start: %d message(s) to process (%d from senders now known)", len(backlog),
                     len(resumed))
        for inbound_id in backlog:
            self.queue.put_nowait(inbound_id)
        tasks = [asyncio.create_task(self._worker(i), name=f"intake-{i}") for i in range(self.workers)]
        tasks.append(asyncio.create_task(self._resume_known_senders(), name="resume-senders"))
        pollers = start_pollers(settings.inbound.imap, self.engine, self.store, self.processor,
                                self._thread_stop, self.kick_sender)
        slack = self._start_slack() if self.with_slack else None
        if slack is not None:
            self.sender.slack = slack.deliverer
        scheduler = self._start_scheduler() if self.with_scheduler else None
        sender_task = asyncio.create_task(self.sender.run(stop), name="outbox")
        replies = (f"smtp://{settings.outbound.relay.host}:{settings.outbound.relay.port}"
                   if settings.outbound.relay else str(settings.outbox_dir))
        imap = [f"{a.username}@{a.host}:{a.port}/{a.folder}" for a in settings.inbound.imap]
        info = Listening(smtp_at, imap,
                         replies, slack is not None, scheduler is not None,
                         list(settings.inbound.smtp.accept_recipients))
        log.info("serving smtp=%s imap=%s replies=%s slack=%s", smtp_at, info.imap, replies, info.slack)
        if ready is not None:
            ready(info)
        try:
            await stop.wait()
        finally:
            log.info("shutting down: no new mail accepted; finishing work in flight")
            if server is not None:
                server.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(server.wait_closed(), 5)
            self._thread_stop.set()
            for t in pollers:
                await asyncio.to_thread(t.join, 30)
            # Messages already stored but not started stay `received` and are processed on the next start.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            stop.set()
            await asyncio.gather(sender_task, return_exceptions=True)
            if scheduler is not None:
                await asyncio.to_thread(scheduler.shutdown)
            if slack is not None:
                await asyncio.to_thread(slack.stop)
            # Last, after everything that reads documents: the spare reader children would
            # otherwise wait until the interpreter exits.
            await asyncio.to_thread(close_warm)
            log.info("stopped")

    def _start_slack(self) -> Any:
        try:
            from handlers.slack.runner import start_slack
        except ImportError as exc:
            log.info("Slack support is not available (%s)", exc)
            return None
        try:
            return start_slack(self.settings, self.engine, processor=self.processor)
        except Exception:
            log.exception("Slack could not start; running without it")
            return None

    def _start_scheduler(self) -> Any:
        try:
            from handlers.scheduler import start_scheduler
        except ImportError as exc:
            log.info("the reminder scheduler is not available (%s)", exc)
            return None
        return start_scheduler(self.engine, self.settings)
