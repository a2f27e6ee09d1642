"""Start and stop the Slack app for `coibot serve`: Socket Mode with an app token, else HTTP.

The HTTP endpoint (Events, Interactivity and slash commands on one path) is a threaded WSGI
server around Bolt's WSGI adapter; Bolt verifies each request's signature and timestamp.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.engine import Engine

from coibot.config import Settings
from coibot.intake import Processor
from handlers.slack import SlackNotConfigured, build_app
from handlers.slack.delivery import SlackDeliverer
from handlers.slack.deps import Deps

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("slack http: " + format, *args)


class SlackRunner:
    """One running Slack app: its Bolt app, its outbox deliverer, and the socket or HTTP server."""

    def __init__(self, app: App, deps: Deps, settings: Settings, socket_mode: bool) -> None:
        self.app = app
        self.deps = deps
        self.settings = settings
        self.socket_mode = socket_mode
        self.deliverer = SlackDeliverer(deps)
        self._socket: SocketModeHandler | None = None
        self._http: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int | None:
        return int(self._http.server_address[1]) if self._http is not None else None

    def start(self) -> None:
        if self.socket_mode:
            self._socket = SocketModeHandler(self.app, self.settings.slack.app_token())
            self._socket.connect()  # type: ignore[no-untyped-call]
            log.info("slack: connected in Socket Mode")
            return
        host, port = self.settings.slack.http_host, self.settings.slack.http_port
        self._http = make_server(host, port, SlackRequestHandler(self.app, path=EVENTS_PATH),
                                 server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._http.serve_forever, name="slack-http", daemon=True)
        self._thread.start()
        log.info("slack: listening on http://%s:%s%s", host, self.port, EVENTS_PATH)

    def stop(self) -> None:
        if self._socket is not None:
            self._socket.close()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        log.info("slack: stopped")


def start_slack(settings: Settings, engine: Engine, *, processor: Processor | None = None,
                today: Callable[[], date] = date.today) -> SlackRunner | None:
    """Build and start the Slack app, or say once why coibot runs without Slack and return None."""
    socket_mode = bool(settings.slack.app_token())
    try:
        app, deps = build_app(settings, engine, processor=processor, today=today, socket_mode=socket_mode)
    except SlackNotConfigured as exc:
        log.info("Slack is not configured (%s); running without Slack", exc)
        return None
    runner = SlackRunner(app, deps, settings, socket_mode)
    runner.start()
    return runner
