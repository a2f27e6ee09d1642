"""App Home: a dashboard per user, published when they open the bot's Home tab."""

from __future__ import annotations

import logging

from sqlmodel import Session

from coibot import queries as q
from handlers.slack import blocks as bk
from handlers.slack.deps import Deps

log = logging.getLogger(__name__)

EXPIRING_DAYS = 30


def home_for(deps: Deps, slack_user: str) -> dict[str, object]:
    """The Home view of one user: approvers see their clients, staff see everything."""
    with Session(deps.engine) as session:
        mine = q.approver_clients(session, slack_user)
        scope = None if deps.is_staff(slack_user) else mine
        today = deps.today()
        expiring = q.expiring(session, today, EXPIRING_DAYS)
        if scope is not None:
            expiring = [e for e in expiring if e.client_id in scope]
        return bk.home_view(slack_user, q.status_counts(session, scope), expiring,
                            q.waiting_for(session, slack_user), q.recent_activity(session, 8, scope))


def publish_home(deps: Deps, slack_user: str) -> None:
    deps.client.views_publish(user_id=slack_user, view=home_for(deps, slack_user))
    log.debug("app home published for %s", slack_user)
