"""IMAP poller (imapclient): one thread per account, IDLE with renewal or polling, move after commit.

Each message is fetched with BODY.PEEK[] (another client's \\Seen never hides a message, and we
never set it), stored and processed through intake, and only then moved to the processed folder
(MOVE, or COPY + \\Deleted + EXPUNGE) or, when processing failed for good, to the failed folder
(the reason is in inbound_message.error). The (UIDVALIDITY, UID) key and the Message-ID + content
key make every step safe to repeat after a crash or a dropped connection: a message already
committed is only moved. Every wake-up looks at every message still in the folder (catch-up after
a restart or a drop included; processed mail has left the folder, so the search stays small), then
asks for UIDs past the last one seen until nothing new arrived while it worked.
Several pollers may watch one mailbox: each message is taken under a database lease keyed by
(UIDVALIDITY, UID) before it is fetched, so only one of them fetches, processes and moves it.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import os
import select
import signal
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from coibot import models as m
from coibot.config import ImapAccount
from coibot.db import session_scope
from coibot.intake import Processor, receive
from coibot.lifecycle import try_lease
from coibot.models import InboundStatus
from coibot.storage import DocumentStore

log = logging.getLogger(__name__)

IDLE_RENEW_SECONDS = 29 * 60  # RFC 2177: servers may drop an IDLE after 30 minutes
IDLE_CHECK_SECONDS = 1.0  # how often a waiting IDLE looks at the stop flag
SOCKET_TIMEOUT = 60.0
MAX_BACKOFF = 60.0
RETRY_SECONDS = 30.0  # a message whose processing failed is tried again after this (3 tries, then failed)
BATCH = 20  # messages stored before their documents are read; bounds how long leases are held
MESSAGE_LEASE = timedelta(minutes=10)  # longer than any processing; a dead local holder is replaced at once
FAULT_ENV = "COIBOT_FAULT_INJECT"  # tests: kill this process at a named point (see _fault)
_DROPPED = (OSError, EOFError, imaplib.IMAP4.abort, imaplib.IMAP4.error, IMAPClientError, socket.timeout)


class ImapPoller:
    """Watches one account until `stop` is set."""

    def __init__(self, account: ImapAccount, engine: Engine, store: DocumentStore, processor: Processor,
                 stop: threading.Event, on_processed: Callable[[], None] = lambda: None,
                 idle_renew_seconds: float = IDLE_RENEW_SECONDS, workers: int = 2) -> None:
        self.account = account
        self.engine = engine
        self.store = store
        self.processor = processor
        self.stop = stop
        self.on_processed = on_processed
        self.idle_renew_seconds = idle_renew_seconds
        self.source = f"imap:{account.name}"
        self.connections = 0  # for logs and tests: how many sessions were opened
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.workers = workers  # documents read at once (each in its own child process)
        self.retry_seconds = RETRY_SECONDS
        self._retry = False
        self._pool: ThreadPoolExecutor | None = None
        self._last_uid = 0
        self._delimiter = "/"

    # -- lifecycle

    def run(self) -> None:
        """Connect, catch up, wait for mail; reconnect with backoff after any drop."""
        delay = 1.0
        while not self.stop.is_set():
            try:
                with self._connect() as client:
                    self.connections += 1
                    delay = 1.0
                    self._session(client)
            except _DROPPED as exc:
                if self.stop.is_set():
                    break
                log.warning("imap %s: connection lost (%s: %s); reconnecting in %.0f s",
                            self.account.name, type(exc).__name__, exc, delay)
                self.stop.wait(delay)
                delay = min(MAX_BACKOFF, delay * 2)
            except Exception:
                log.exception("imap %s: unexpected error; reconnecting in %.0f s", self.account.name, delay)
                self.stop.wait(delay)
                delay = min(MAX_BACKOFF, delay * 2)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        log.info("imap %s: stopped", self.account.name)

    def _connect(self) -> IMAPClient:
        acc = self.account
        password = acc.password()
        if password is None:
            raise IMAPClientError(f"the environment variable {acc.password_env} (IMAP password) is not set")
        ctx = ssl.create_default_context()
        client = IMAPClient(acc.host, port=acc.port, ssl=acc.security == "tls", ssl_context=ctx,
                            timeout=SOCKET_TIMEOUT)
        if acc.security == "starttls":
            client.starttls(ctx)
        client.login(acc.username, password)
        return client

    def _session(self, client: IMAPClient) -> None:
        acc = self.account
        self._delimiter = _delimiter(client)
        for folder in (acc.processed_folder, acc.failed_folder):
            name = self._folder(folder)
            if not client.folder_exists(name):
                client.create_folder(name)
        info = client.select_folder(acc.folder)
        uidvalidity = int(info[b"UIDVALIDITY"])
        caps = {c.upper() for c in client.capabilities()}
        log.info("imap %s: connected, %s has %s message(s), uidvalidity=%s, idle=%s, move=%s",
                 acc.name, acc.folder, info.get(b"EXISTS"), uidvalidity, b"IDLE" in caps, b"MOVE" in caps)
        # Catch-up: everything still in the folder (new mail, and mail committed but not yet moved).
        self._last_uid = 0
        self._retry = False
        self._handle(client, sorted(client.search(["ALL"])), uidvalidity, caps)
        self._drain(client, uidvalidity, caps)
        use_idle = acc.idle and b"IDLE" in caps
        while not self.stop.is_set():
            # A message left in the folder after a transient failure is tried again soon.
            wait = self.retry_seconds if self._retry else None
            if use_idle:
                self._idle(client, min(wait or self.idle_renew_seconds, self.idle_renew_seconds))
            else:
                self.stop.wait(min(wait or acc.poll_interval_seconds, acc.poll_interval_seconds))
                client.noop()
            if self.stop.is_set():
                break
            self._retry = False  # set again below by any message that fails once more
            self._handle(client, sorted(client.search(["ALL"])), uidvalidity, caps)
            self._drain(client, uidvalidity, caps)

    def _drain(self, client: IMAPClient, uidvalidity: int, caps: set[bytes]) -> None:
        """Take what arrived while we were busy before waiting again.

        The server may have announced it (EXISTS) during our FETCH or MOVE, and an IDLE started
        now would not announce it again: ask for the UIDs past the last one seen.
        """
        while not self.stop.is_set():
            new = [u for u in client.search(["UID", f"{self._last_uid + 1}:*"]) if u > self._last_uid]
            if not new:
                return
            self._handle(client, sorted(new), uidvalidity, caps)

    def _idle(self, client: IMAPClient, seconds: float) -> None:
        """Wait in IDLE until the server reports something or `seconds` pass (at most 29 minutes)."""
        client.idle()
        started = time.monotonic()
        try:
            while not self.stop.is_set():
                responses = client.idle_check(timeout=IDLE_CHECK_SECONDS)
                if not responses and _peer_closed(client):
                    # imapclient swallows EOF inside IDLE and returns nothing: look at the socket.
                    raise ConnectionResetError("the server closed the connection during IDLE")
                if responses:
                    log.debug("imap %s: idle responses %s", self.account.name, responses)
                    return
                if time.monotonic() - started >= seconds:
                    log.debug("imap %s: renewing IDLE", self.account.name)
                    return
        finally:
            client.idle_done()

    # -- messages

    def _handle(self, client: IMAPClient, uids: list[int], uidvalidity: int, caps: set[bytes]) -> None:
        """Fetch and store in order; read documents `workers` at a time; move each after its commit."""
        batch: list[tuple[int, str, int]] = []  # (uid, lease, inbound id)
        try:
            for uid in uids:
                if self.stop.is_set():
                    break
                self._last_uid = max(self._last_uid, uid)
                lease = self._take(uidvalidity, uid)
                if lease is None:
                    continue  # another poller has it
                inbound_id = self._store(client, uid, uidvalidity)
                if inbound_id is None:
                    self._release(lease)
                    continue
                batch.append((uid, lease, inbound_id))
                if len(batch) >= BATCH:
                    self._finish(client, batch, caps)
                    batch = []
            self._finish(client, batch, caps)
            batch = []
        finally:
            for _uid, lease, _id in batch:
                self._release(lease)

    def _store(self, client: IMAPClient, uid: int, uidvalidity: int) -> int | None:
        fetched = client.fetch([uid], ["BODY.PEEK[]"])
        raw = fetched.get(uid, {}).get(b"BODY[]")
        if not isinstance(raw, bytes):
            log.info("imap %s: uid %s is gone (moved by another poller)", self.account.name, uid)
            return None
        _fault("after_fetch")
        received = receive(self.engine, self.store, raw, self.source, uidvalidity=uidvalidity, uid=uid)
        _fault("after_receive")
        return received.inbound_id

    def _finish(self, client: IMAPClient, batch: list[tuple[int, str, int]], caps: set[bytes]) -> None:
        if not batch:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=f"imap-{self.account.name}")
        statuses = list(self._pool.map(self._process, [inbound_id for _uid, _lease, inbound_id in batch]))
        self.on_processed()  # the replies are committed: the sender need not wait for the moves
        # The IMAP connection is used from this thread only: moves happen here, one by one.
        for (uid, lease, inbound_id), status in zip(batch, statuses, strict=True):
            try:
                if status == InboundStatus.RECEIVED:
                    self._retry = True  # a transient failure: it stays in the folder for the next try
                    continue
                _fault("before_move")
                failed = status == InboundStatus.FAILED
                target = self.account.failed_folder if failed else self.account.processed_folder
                self._move(client, uid, self._folder(target), caps)
                log.info("imap %s: uid=%s inbound=%s %s -> %s", self.account.name, uid, inbound_id,
                         status.value, target)
            finally:
                self._release(lease)
        batch.clear()

    def _take(self, uidvalidity: int, uid: int) -> str | None:
        key = hashlib.sha256(f"{self.source}:{uidvalidity}:{uid}".encode()).hexdigest()[:40]
        name = f"imap:{key}"
        with session_scope(self.engine) as session:
            if try_lease(session, name, self.holder, m.utcnow(), MESSAGE_LEASE):
                return name
            lease = session.get(m.Lease, name)
            if lease is None or not _dead_local(lease.holder):
                return None
            # The holder was a poller on this host that died (e.g. killed mid-message): take over now.
            log.warning("imap %s: uid %s was held by %s, which is gone; taking it over",
                        self.account.name, uid, lease.holder)
            session.exec(delete(m.Lease).where(col(m.Lease.name) == name,
                                               col(m.Lease.holder) == lease.holder))
            return name if try_lease(session, name, self.holder, m.utcnow(), MESSAGE_LEASE) else None

    def _release(self, name: str) -> None:
        with session_scope(self.engine) as session:
            session.exec(delete(m.Lease).where(col(m.Lease.name) == name, col(m.Lease.holder) == self.holder))

    def _process(self, inbound_id: int) -> InboundStatus:
        try:
            outcome = self.processor.process(inbound_id)
        except Exception:
            log.exception("imap %s: processing inbound=%s failed; will retry", self.account.name, inbound_id)
        else:
            if not outcome.skipped:
                log.info("imap %s: inbound=%s %s provider=%s clients=%s", self.account.name, inbound_id,
                         outcome.status.value, outcome.provider, ",".join(outcome.clients))
        with Session(self.engine) as session:
            row = session.get(m.InboundMessage, inbound_id)
            return InboundStatus(row.status) if row is not None else InboundStatus.FAILED

    def _move(self, client: IMAPClient, uid: int, folder: str, caps: set[bytes]) -> None:
        if b"MOVE" in caps:
            try:
                client.move([uid], folder)
            except IMAPClientError as exc:
                if b"EXPUNGEISSUED" not in str(exc).encode() and "no longer exist" not in str(exc):
                    raise
                log.info("imap %s: uid %s was already moved by another session", self.account.name, uid)
            return
        client.copy([uid], folder)
        client.add_flags([uid], [b"\\Deleted"])
        if b"UIDPLUS" in caps:
            client.uid_expunge([uid])
        else:
            client.expunge()

    def _folder(self, name: str) -> str:
        return name.replace("/", self._delimiter) if self._delimiter else name


def _delimiter(client: IMAPClient) -> str:
    try:
        folders: list[Any] = client.list_folders(directory="", pattern="INBOX")
        if folders and folders[0][1]:
            d = folders[0][1]
            return d.decode() if isinstance(d, bytes) else str(d)
    except IMAPClientError:
        log.debug("could not read the hierarchy delimiter; using /")
    return "/"


def _peer_closed(client: IMAPClient) -> bool:
    """True when the other end hung up (FIN or error), whatever TLS is layered on the socket."""
    try:
        fd = client.socket().fileno()
    except OSError:
        return True
    if fd < 0:
        return True
    hangup = select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0)
    poller = select.poll()
    poller.register(fd, select.POLLIN | hangup)
    return any(events & hangup for _, events in poller.poll(0))


def _dead_local(holder: str) -> bool:
    """True when `holder` (host:pid:random) names a process on this host that no longer runs."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # another poller thread of this process: alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _fault(point: str) -> None:
    """Fault injection for the crash tests: SIGKILL this process when the named point is reached."""
    if os.environ.get(FAULT_ENV) == point:
        log.warning("fault injection: killing the process at %s", point)
        os.kill(os.getpid(), signal.SIGKILL)


def start_pollers(accounts: list[ImapAccount], engine: Engine, store: DocumentStore, processor: Processor,
                  stop: threading.Event, on_processed: Callable[[], None]) -> list[threading.Thread]:
    threads = []
    for acc in accounts:
        poller = ImapPoller(acc, engine, store, processor, stop, on_processed)
        t = threading.Thread(target=poller.run, name=f"imap-{acc.name}", daemon=True)
        t.start()
        threads.append(t)
    return threads
