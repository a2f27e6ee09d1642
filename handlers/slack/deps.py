"""What every Slack listener needs: the database, the settings, the Web API client, the date."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from coibot.config import Settings
from coibot.intake import Processor

log = logging.getLogger(__name__)


@dataclass
class Deps:
    """Shared by the listeners and the outbox deliverer of one Slack app."""

    engine: Engine
    settings: Settings
    client: WebClient
    today: Callable[[], date] = date.today
    # Filled in by build_app: the intake pipeline for shared files (coibot.intake.Processor).
    processor: Processor | None = None
    bot_user_id: str | None = None
    team_id: str | None = None  # the workspace the bot token belongs to (auth.test)

    def is_staff(self, slack_user: str) -> bool:
        return slack_user in self.settings.slack.staff_users

    def ephemeral(self, channel: str | None, slack_user: str, text: str) -> None:
        """Tell one person something only they see; in a DM or when the channel is unknown, a DM."""
        try:
            if channel:
                self.client.chat_postEphemeral(channel=channel, user=slack_user, text=text)
            else:
                self.client.chat_postMessage(channel=slack_user, text=text)
        except SlackApiError as exc:
            log.warning("could not tell %s %r: %s", slack_user, text, exc.response.get("error"))
