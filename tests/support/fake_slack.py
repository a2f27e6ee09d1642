"""A local Slack Web API for the tests: the methods coibot calls, every call recorded.

The real slack_sdk WebClient talks to it through `base_url`; files shared in Slack are served
from their `url_private` (bot token required, as Slack does), and the upload URLs of the files
upload v2 flow accept the bytes. Slash-command `response_url`s point here too. For Socket Mode,
`apps.connections.open` hands out a ws:// URL of a small RFC 6455 server that sends envelopes
(`socket_send`) and records the client's acknowledgements.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
BOT_USER = "UCOIBOT"
TEAM = "T0TEST"


@dataclass
class Call:
    """One request the fake server received."""

    method: str
    params: dict[str, Any]
    authorization: str | None
    at: float = field(default_factory=time.monotonic)


class FakeSlack:
    """Start with `start()`, stop with `stop()`; `calls(method)` lists what was asked."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self.files: dict[str, dict[str, Any]] = {}
        self.file_bytes: dict[str, bytes] = {}
        self.uploads: dict[str, bytes] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.fail: dict[str, str] = {}  # method -> Slack error to answer with
        self.delay: dict[str, float] = {}  # method -> seconds to wait before answering
        self.rate_limited: dict[str, int] = {}  # method -> how many more calls get HTTP 429
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._ws_server: socketserver.ThreadingTCPServer | None = None
        self._ws_clients: list[socket.socket] = []
        self.socket_acks: list[dict[str, Any]] = []

    # -- lifecycle

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                return

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._ws_server is not None:
            for sock in list(self._ws_clients):
                with contextlib.suppress(OSError):
                    sock.close()
            self._ws_server.shutdown()
            self._ws_server.server_close()

    @property
    def base(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Slack server is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    # -- test helpers

    def add_user(self, user_id: str, real_name: str, team_id: str = TEAM) -> None:
        self.users[user_id] = {"id": user_id, "name": real_name.lower().replace(" ", "."),
                               "real_name": real_name, "team_id": team_id,
                               "profile": {"real_name": real_name, "display_name": real_name}}

    def add_file(self, file_id: str, name: str, mimetype: str, data: bytes, user: str) -> dict[str, Any]:
        """A file someone shared; returns its Slack file object (with url_private)."""
        meta = {"id": file_id, "name": name, "title": name, "mimetype": mimetype,
                "filetype": name.rsplit(".", 1)[-1], "size": len(data), "user": user,
                "url_private": f"{self.base}/files-pri/{TEAM}-{file_id}/{name}",
                "url_private_download": f"{self.base}/files-pri/{TEAM}-{file_id}/download/{name}"}
        self.files[file_id] = meta
        self.file_bytes[file_id] = data
        return meta

    def response_url(self, key: str) -> str:
        return f"{self.base}/response/{key}"

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 20.0,
                 where: Callable[[Call], bool] | None = None) -> list[Call]:
        """Wait until `count` matching calls arrived; raise AssertionError with what did arrive."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls(method) if where is None or where(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [c.method for c in self.calls()]
                raise AssertionError(
                    f"waited for {count} {method} call(s), got {len(found)}; all calls: {seen}")
            time.sleep(0.02)

    # -- the server

    def _record(self, method: str, params: dict[str, Any], auth: str | None) -> None:
        with self._lock:
            self._calls.append(Call(method, params, auth))

    def _handle(self, h: BaseHTTPRequestHandler, verb: str) -> None:
        path = urlparse(h.path).path
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        auth = h.headers.get("Authorization")
        if path.startswith("/files-pri/"):
            self._serve_file(h, path, auth)
            return
        if path.startswith("/upload/"):
            file_id = path.rsplit("/", 1)[-1]
            self.uploads[file_id] = body
            self._record("upload", {"file_id": file_id, "size": len(body)}, auth)
            self._reply(h, 200, f"OK - {len(body)}".encode(), "text/plain")
            return
        if path.startswith("/response/"):
            self._record("response_url", {"key": path.rsplit("/", 1)[-1], **json.loads(body or b"{}")}, auth)
            self._reply(h, 200, b"ok", "text/plain")
            return
        if not path.startswith("/api/"):
            self._reply(h, 404, b"not found", "text/plain")
            return
        method = path.removeprefix("/api/")
        params = self._params(h, body)
        self._record(method, params, auth)
        if method in self.delay:
            time.sleep(self.delay[method])
        with self._lock:
            limited = self.rate_limited.get(method, 0) > 0
            if limited:
                self.rate_limited[method] -= 1
        if limited:
            body = json.dumps({"ok": False, "error": "ratelimited"}).encode()
            h.send_response(429)
            h.send_header("Retry-After", "0")
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        if method == "apps.connections.open":
            if auth != f"Bearer {APP_TOKEN}":
                self._json(h, {"ok": False, "error": "invalid_auth"})
                return
            self._json(h, {"ok": True, "url": self._start_ws()})
            return
        if auth != f"Bearer {BOT_TOKEN}":
            self._json(h, {"ok": False, "error": "not_authed"})
            return
        if method in self.fail:
            self._json(h, {"ok": False, "error": self.fail[method]})
            return
        self._json(h, self._answer(method, params))

    @staticmethod
    def _params(h: BaseHTTPRequestHandler, body: bytes) -> dict[str, Any]:
        ctype = h.headers.get("Content-Type") or ""
        query = dict(parse_qsl(urlparse(h.path).query))
        if "application/json" in ctype:
            return {**query, **json.loads(body or b"{}")}
        form = dict(parse_qsl(body.decode("utf-8"))) if body else {}
        out: dict[str, Any] = {**query, **form}
        for key in ("blocks", "view", "files", "attachments"):
            if isinstance(out.get(key), str):
                with contextlib.suppress(json.JSONDecodeError):
                    out[key] = json.loads(out[key])
        return out

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "coibot",
                    "team_id": TEAM, "user_id": BOT_USER, "bot_id": "BCOIBOT"}
        if method == "chat.postMessage":
            ts = self._next_ts()
            return {"ok": True, "channel": p.get("channel"), "ts": ts,
                    "message": {"text": p.get("text"), "ts": ts, "blocks": p.get("blocks")}}
        if method == "chat.update":
            return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts"), "text": p.get("text")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in ("views.open", "views.publish", "views.update"):
            return {"ok": True, "view": {"id": "V0TEST", **(p.get("view") or {})}}
        if method == "conversations.open":
            users = str(p.get("users") or "")
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0]}}
        if method == "users.info":
            user = self.users.get(str(p.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "files.info":
            meta = self.files.get(str(p.get("file")))
            return {"ok": True, "file": meta} if meta else {"ok": False, "error": "file_not_found"}
        if method == "files.getUploadURLExternal":
            file_id = f"FUP{next(self._ts):05d}"
            return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = p.get("files") or []
            if isinstance(files, str):
                files = json.loads(files)
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        return {"ok": False, "error": "unknown_method"}

    def _serve_file(self, h: BaseHTTPRequestHandler, path: str, auth: str | None) -> None:
        file_id = path.split("/")[2].split("-", 1)[-1]
        self._record("file_download", {"file_id": file_id}, auth)
        if auth != f"Bearer {BOT_TOKEN}" or file_id not in self.file_bytes:
            # Slack answers an unauthenticated download with its HTML sign-in page.
            self._reply(h, 200, b"<!DOCTYPE html><html>sign in</html>", "text/html")
            return
        self._reply(h, 200, self.file_bytes[file_id], self.files[file_id]["mimetype"])

    # -- Socket Mode

    def _start_ws(self) -> str:
        if self._ws_server is None:
            fake = self

            class WsHandler(socketserver.BaseRequestHandler):
                def handle(self) -> None:
                    fake._ws_session(self.request)

            self._ws_server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), WsHandler)
            self._ws_server.daemon_threads = True
            threading.Thread(target=self._ws_server.serve_forever, daemon=True).start()
        port = self._ws_server.server_address[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=test"

    def _ws_session(self, sock: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = sock.recv(4096)
            if not chunk:
                return
            request += chunk
        headers = dict(line.split(": ", 1) for line in request.decode().split("\r\n")[1:] if ": " in line)
        key = {k.lower(): v for k, v in headers.items()}["sec-websocket-key"].strip()
        accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()
        sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        self._ws_clients.append(sock)
        self._ws_frame(sock, 0x1, json.dumps({"type": "hello", "num_connections": 1}).encode())
        self._record("socket_connected", {}, None)
        with contextlib.suppress(OSError, ConnectionError):
            while True:
                opcode, payload = self._ws_read(sock)
                if opcode == 0x8:
                    return
                if opcode == 0x9:
                    self._ws_frame(sock, 0xA, payload)
                elif opcode == 0x1:
                    ack = json.loads(payload)
                    self.socket_acks.append(ack)
                    self._record("socket_ack", ack, None)

    @staticmethod
    def _ws_frame(sock: socket.socket, opcode: int, payload: bytes) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([n])
        elif n < 1 << 16:
            head += bytes([126]) + struct.pack(">H", n)
        else:
            head += bytes([127]) + struct.pack(">Q", n)
        sock.sendall(head + payload)

    @staticmethod
    def _ws_read(sock: socket.socket) -> tuple[int, bytes]:
        def exactly(n: int) -> bytes:
            buf = b""
            while len(buf) < n:
                chunk = sock.recv(n - len(buf))
                if not chunk:
                    raise ConnectionError("socket closed")
                buf += chunk
            return buf

        b0, b1 = exactly(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", exactly(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", exactly(8))[0]
        mask = exactly(4) if b1 & 0x80 else b"\0\0\0\0"
        data = exactly(n)
        return b0 & 0x0F, bytes(c ^ mask[i % 4] for i, c in enumerate(data))

    def socket_send(self, envelope: dict[str, Any]) -> None:
        """Push one Socket Mode envelope to every connected client."""
        for sock in list(self._ws_clients):
            self._ws_frame(sock, 0x1, json.dumps(envelope).encode())

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, data: dict[str, Any]) -> None:
        FakeSlack._reply(h, 200, json.dumps(data).encode(), "application/json; charset=utf-8")

    @staticmethod
    def _reply(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
