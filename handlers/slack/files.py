"""Certificates shared in Slack go through the same intake as mailed ones.

A PDF or image shared with the bot in a DM, or in a channel with a mention, is fetched with the
bot token from its private URL (the same size and type limits as email attachments), stored,
read in the isolated reader, checked per client and recorded through the workflow by
coibot.intake; the bot answers in the file's thread with the gaps per client and a Send for
approval button on each deficient draft. The uploader is the provider whose contact carries
their Slack user id; staff may name the provider instead ("for Acme Plumbing").
"""

from __future__ import annotations

import logging
import re
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.parse import urlparse

from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from coibot import models as m
from coibot.audit import record
from coibot.db import session_scope
from coibot.extract.sniff import sniff_mime
from coibot.intake import Processor
from coibot.mail.parse import Attachment, Inbound, safe_filename
from coibot.queries import ProviderMatch, find_providers, provider_for_slack_user, submission_line
from handlers.slack import blocks as bk
from handlers.slack.commands import strip_mention
from handlers.slack.deps import Deps

log = logging.getLogger(__name__)

SOURCE = "slack"
ACTOR = "slack"
ALLOWED_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/tiff": ".tif"}
_EXT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".tif": "image/tiff", ".tiff": "image/tiff"}
DOWNLOAD_TIMEOUT = 60
# Documents read at once from Slack: each read is a child process with up to limits.parser_memory_mb,
# and the listener pool is larger than the machine (two cores planned), so a burst of shares queues here.
READERS = 2
_FOR = re.compile(r"(?i)\bfor\s+(.+?)\s*[.!]?\s*$")


class _TokenSafeRedirect(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a host the bot token may go to (urllib would carry the header along)."""

    def __init__(self, allowed: Callable[[str], bool]) -> None:
        self.allowed = allowed

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        if not self.allowed(newurl):
            raise URLError(f"redirect to {newurl} refused: not a Slack host")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class FileRefused(Exception):
    """A shared file that will not be read; the message says why, for the person who shared it."""


@dataclass(frozen=True)
class Shared:
    """A shared file and where it was shared."""

    file: dict[str, Any]
    user: str
    channel: str
    thread_ts: str
    text: str
    event_id: str


def declared_type(meta: dict[str, Any]) -> str | None:
    """The certificate type Slack's metadata claims (mimetype, else the file name's extension)."""
    mime = str(meta.get("mimetype") or "").lower()
    if mime in ALLOWED_TYPES:
        return mime
    if mime in ("image/jpg", "image/pjpeg"):
        return "image/jpeg"
    name = str(meta.get("name") or "")
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _EXT_TYPES.get(ext)


def upload_answer(session: Session, deps: Deps, submission_ids: list[int], file_name: str,
                  provider_name: str, unread: list[tuple[str, str]]) -> tuple[str, list[bk.Block]]:
    """The thread answer to a shared certificate, from the submissions as they are now."""
    checked: list[bk.CheckedSet] = []
    for sid in submission_ids:
        line = submission_line(session, sid, deps.today())
        client = session.get(m.Client, line.client_id) if line else None
        if line is not None:
            checked.append(bk.CheckedSet(client.name if client else line.client_id, line))
    return bk.upload_reply(file_name, provider_name, checked, unread)


def answer_for_inbound(session: Session, deps: Deps, inbound_id: int) -> tuple[str, list[bk.Block]] | None:
    """The thread answer of a certificate shared in Slack, rebuilt (e.g. after Send for approval)."""
    row = session.get(m.InboundMessage, inbound_id)
    if row is None or row.source != SOURCE:
        return None
    subs = session.exec(select(m.Submission).where(m.Submission.inbound_id == inbound_id)
                        .order_by(col(m.Submission.id))).all()
    provider = session.get(m.Provider, subs[0].provider_id) if subs and subs[0].provider_id else None
    ids = [s.id for s in subs if s.id is not None]
    return upload_answer(session, deps, ids, row.subject or "certificate",
                         provider.name if provider else "unknown provider", [])


class FileIntake:
    """Turns Slack file shares into submissions through coibot.intake."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._readers = threading.BoundedSemaphore(READERS)

    # -- metadata and bytes

    def metadata(self, file: dict[str, Any]) -> dict[str, Any]:
        """Events may carry a partial file object (Slack Connect: file_access=check_file_info)."""
        if file.get("url_private") and file.get("name"):
            return file
        resp = self.deps.client.files_info(file=str(file.get("id")))
        return dict(resp.get("file") or {})

    def check(self, meta: dict[str, Any]) -> str:
        ctype = declared_type(meta)
        if ctype is None:
            raise FileRefused("it is not a PDF or an image (PNG, JPEG, TIFF)")
        size = meta.get("size")
        cap = self.deps.settings.limits.max_attachment_bytes
        if isinstance(size, int) and size > cap:
            raise FileRefused(f"it is {size:,} bytes; the limit is {cap:,}")
        return ctype

    def token_host(self, url: str) -> bool:
        """Whether the bot token may be sent to this URL: Slack's hosts or the configured API host."""
        parsed = urlparse(url)
        host = parsed.hostname or ""
        api = urlparse(self.deps.settings.slack.api_base_url)
        if host == (api.hostname or "") and parsed.scheme == api.scheme:
            return True
        return parsed.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))

    def download(self, meta: dict[str, Any]) -> bytes:
        """The file's bytes, fetched with the bot token; at most the attachment size limit."""
        url = str(meta.get("url_private_download") or meta.get("url_private") or "")
        if not url:
            raise FileRefused("Slack gave no download address for it")
        if not self.token_host(url):
            log.warning("slack file %s has a download address off Slack (%s); refused", meta.get("id"), url)
            raise FileRefused("its download address is not Slack's")
        token = self.deps.client.token or ""
        cap = self.deps.settings.limits.max_attachment_bytes
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
        opener = urllib.request.build_opener(_TokenSafeRedirect(self.token_host))
        try:
            with opener.open(req, timeout=DOWNLOAD_TIMEOUT) as resp:
                data: bytes = resp.read(cap + 1)
                ctype = str(resp.headers.get("Content-Type") or "")
        except (URLError, OSError) as exc:
            log.warning("download of slack file %s failed: %s", meta.get("id"), exc)
            raise FileRefused("I could not download it from Slack; please share it again") from exc
        if len(data) > cap:
            raise FileRefused(f"it is larger than the limit of {cap:,} bytes")
        if ctype.startswith("text/html"):
            # Slack answers a download without access with its sign-in page, status 200.
            raise FileRefused("Slack did not let me download it (the app needs the files:read scope)")
        return data

    # -- provider

    def provider_for(self, session: Session, shared: Shared) -> tuple[m.Provider | None, list[ProviderMatch]]:
        """The uploader's provider; staff may name one ("for Acme Plumbing")."""
        named = _FOR.search(shared.text or "")
        if named and self.deps.is_staff(shared.user):
            matches = find_providers(session, named.group(1), limit=3)
            if matches and matches[0].score >= 85:
                return session.get(m.Provider, matches[0].provider_id), []
            return None, matches
        return provider_for_slack_user(session, shared.user), []

    # -- the whole way

    def handle(self, shared: Shared) -> None:
        name = str(shared.file.get("name") or shared.file.get("id") or "file")
        try:
            meta = self.metadata(shared.file)
            name = str(meta.get("name") or name)
            self.check(meta)
            with Session(self.deps.engine) as session:
                provider, candidates = self.provider_for(session, shared)
                provider_id = provider.id if provider else None
            data = self.download(meta)
            ctype = sniff_mime(data)
            if ctype is None:
                raise FileRefused("its content is not a PDF or an image")
            att = Attachment(safe_filename(name, "certificate" + ALLOWED_TYPES[ctype]), ctype, data)
            message_id = f"{shared.event_id}:{meta.get('id')}"
            if provider_id is None:
                self._park(shared, meta, att, message_id, candidates)
            else:
                self._run(shared, att, provider_id, message_id=message_id)
        except FileRefused as exc:
            self._say(shared, f"I can't check {name}: {exc}",
                      [bk.section(f":warning: I can't check *{bk.esc(name)}*: {bk.esc(exc)}.")])
        except SlackApiError as exc:
            log.error("slack file %s: Slack API error %s", shared.file.get("id"), exc.response.get("error"))

    def _proc(self) -> Processor:
        if self.deps.processor is None:
            raise RuntimeError("the Slack app has no intake processor")
        return self.deps.processor

    def _park(self, shared: Shared, meta: dict[str, Any], att: Attachment, message_id: str,
              candidates: list[ProviderMatch]) -> None:
        """Whose certificate is unknown: keep it (like a mail from an unknown sender) and ask."""
        sha, path = self._proc().store.put(att.data)
        try:
            with session_scope(self.deps.engine) as session:
                # Never `received`: the mail worker must not take it; staff resolve it in the thread.
                row = m.InboundMessage(
                    source=SOURCE, message_id=message_id, content_sha256=sha, sender=f"slack:{shared.user}",
                    recipients=[shared.channel, shared.thread_ts], subject=att.filename, raw_path=str(path),
                    status=m.InboundStatus.AWAITING_SENDER)
                session.add(row)
                session.flush()
                record(session, ACTOR, "inbound", str(row.id), "awaiting_provider", None,
                       m.InboundStatus.AWAITING_SENDER.value,
                       {"slack_user": shared.user, "file": meta.get("id")})
        except IntegrityError:
            log.info("slack file %s of event %s already kept", meta.get("id"), shared.event_id)
            return
        text, blocks = bk.ask_provider(att.filename, candidates)
        self._say(shared, text, blocks)
        if not self.deps.is_staff(shared.user):
            self._tell_staff(shared, att.filename, meta)
        log.info("slack file %s from %s: provider unknown; kept and asked", meta.get("id"), shared.user)

    def resolve(self, event: dict[str, Any], event_id: str) -> bool:
        """Staff naming the provider ("for Acme Plumbing") in the thread of kept files: check them now.

        False when no file waits in that thread (the mention is then a question).
        """
        thread, channel = event.get("thread_ts"), str(event.get("channel") or "")
        named = _FOR.search(strip_mention(str(event.get("text") or "")))
        if not thread or named is None:
            return False
        with Session(self.deps.engine) as session:
            waiting = [r for r in session.exec(select(m.InboundMessage).where(
                m.InboundMessage.source == SOURCE,
                m.InboundMessage.status == m.InboundStatus.AWAITING_SENDER)).all()
                if r.recipients == [channel, thread]]
            matches = find_providers(session, named.group(1), limit=3)
        if not waiting:
            return False
        user = str(event.get("user") or "")
        shared = Shared({}, user, channel, str(thread), named.group(0), event_id)
        if not self.deps.is_staff(user):
            self.deps.ephemeral(channel, user, "Only staff can say whose certificate this is.")
            return True
        if not matches or matches[0].score < 85:
            text, blocks = bk.no_provider(named.group(1), matches)
            self._say(shared, text, blocks)
            return True
        for row in waiting:
            data = Path(row.raw_path or "").read_bytes()
            ctype = sniff_mime(data) or "application/pdf"
            att = Attachment(row.subject or "certificate.pdf", ctype, data)
            self._run(shared, att, matches[0].provider_id, parked_id=row.id)
        return True

    def _claim_parked(self, session: Session, inbound_id: int, actor: str) -> bool:
        result = session.exec(update(m.InboundMessage).where(
            col(m.InboundMessage.id) == inbound_id,
            col(m.InboundMessage.status) == m.InboundStatus.AWAITING_SENDER,
        ).values(status=m.InboundStatus.PROCESSED, processed_at=m.utcnow()))
        if result.rowcount != 1:
            return False
        record(session, actor, "inbound", str(inbound_id), "provider_named",
               m.InboundStatus.AWAITING_SENDER.value, m.InboundStatus.PROCESSED.value)
        return True

    def _run(self, shared: Shared, att: Attachment, provider_id: int, *, message_id: str | None = None,
             parked_id: int | None = None) -> None:
        """Read, check and record one certificate for a known provider, then answer in the thread."""
        proc = self._proc()
        with self._readers:
            read = proc.read_attachment(att)  # stored by sha256, read in the isolated child
        inbound = Inbound(source=SOURCE, message_id=None, sender=None, sender_name=None, recipients=[],
                          subject=att.filename, attachments=[att])
        try:
            with session_scope(self.deps.engine) as session:
                if parked_id is None:
                    # Inserted and claimed in one transaction: the mail worker never sees it as received.
                    row = m.InboundMessage(
                        source=SOURCE, message_id=message_id, content_sha256=read.sha256,
                        sender=f"slack:{shared.user}", recipients=[shared.channel, shared.thread_ts],
                        subject=att.filename, raw_path=str(proc.store.path_for(read.sha256)),
                        status=m.InboundStatus.RECEIVED)
                    session.add(row)
                    session.flush()
                    inbound_id = row.id or 0
                    # The same steps as Processor._process for a mail whose sender is known.
                    claimed = proc.claim(session, inbound_id, m.InboundStatus.PROCESSED)
                else:
                    inbound_id = parked_id
                    claimed = self._claim_parked(session, inbound_id, f"slack:{shared.user}")
                if not claimed:
                    session.rollback()
                    log.info("slack inbound %s already handled", inbound_id)
                    return
                provider = session.get(m.Provider, provider_id)
                if provider is None:
                    raise RuntimeError(f"provider {provider_id} vanished")
                proc.store_document(session, read)
                outcome = proc.record_checked(session, inbound_id, inbound, provider, [read])
        except IntegrityError:
            log.info("slack file %s of event %s already processed", att.filename, shared.event_id)
            return
        unread = [(att.filename, read.error)] if read.error else []
        with Session(self.deps.engine) as session:
            text, blocks = upload_answer(session, self.deps, outcome.submissions, att.filename, provider.name,
                                         unread)
        self._say(shared, text, blocks)
        log.info("slack inbound %s (%s) from %s: %d submission(s) %s", inbound_id, att.filename, shared.user,
                 len(outcome.submissions), outcome.submissions)

    def _tell_staff(self, shared: Shared, name: str, meta: dict[str, Any]) -> None:
        """Like an email from an unknown sender: staff hear who shared what, and how to resolve it."""
        channel = self.deps.settings.slack.staff_channel
        if not channel:
            return
        claim = _FOR.search(shared.text or "")
        said = f" They say it is for *{bk.esc(claim.group(1))}*." if claim else ""
        link = meta.get("permalink") or meta.get("url_private")
        file_text = f"<{link}|{bk.esc(name)}>" if link else f"*{bk.esc(name)}*"
        text = (f"{bk.user(shared.user)} shared {file_text} and is not a contact of any provider.{said} "
                f"Add `slack_user: {shared.user}` to their provider's contacts in the configuration, "
                "or share the file again with `for <provider>`.")
        self.deps.client.chat_postMessage(channel=channel, text=text, blocks=[bk.section(text)])

    def _say(self, shared: Shared, text: str, blocks: list[bk.Block]) -> None:
        self.deps.client.chat_postMessage(channel=shared.channel, thread_ts=shared.thread_ts, text=text,
                                          blocks=blocks)
