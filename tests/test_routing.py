"""Routing: sender → provider (case-insensitive), recipient or holder → clients."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from coibot.db import make_engine
from coibot.migrate import upgrade
from coibot.routing import plus_addressed_clients, provider_for_sender, route_clients
from tests.support.mailsite import site_settings, sync


def test_sender_provider_and_clients(tmp_path: Path) -> None:
    raw = site_settings(tmp_path).model_dump(mode="json", exclude={"source"})
    second = dict(raw["clients"][0], id="harbor", name="Harbor View Towers LLC")
    second["requirement_sets"] = [dict(rs, certificate_holder={"name": "Harbor View Towers, L.L.C."})
                                  for rs in second["requirement_sets"]]
    raw["clients"].append(second)
    raw["providers"][0]["clients"] = ["parkside", "harbor"]
    raw.pop("data_dir")
    settings = site_settings(tmp_path, clients=raw["clients"], providers=raw["providers"])
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(engine)
    sync(engine, settings)
    with Session(engine) as s:
        provider = provider_for_sender(s, "OFFICE@BlueHeron.Example")
        assert provider is not None and provider.key == "blue-heron"
        assert provider_for_sender(s, "stranger@blueheron.example") is None
        assert provider_for_sender(s, None) is None
        rcpt = ["certificates@coibot.example"]
        # The holder picks the client (names compared after normalisation) ...
        route = route_clients(s, settings, provider, rcpt, ["HARBOR VIEW TOWERS LLC"])
        assert (route.client_ids, route.reason) == (["harbor"], "holder")
        # ... a plus address overrides it ...
        route = route_clients(s, settings, provider, ["certificates+PARKSIDE@coibot.example"],
                              ["Harbor View Towers LLC"])
        assert (route.client_ids, route.reason) == (["parkside"], "plus_address")
        # ... and an unknown holder means every client the provider works for.
        route = route_clients(s, settings, provider, rcpt, ["Somebody Else Inc."])
        assert (route.client_ids, route.reason) == (["harbor", "parkside"], "provider_clients")
    assert plus_addressed_clients(["certificates+nobody@x"], ["parkside"]) == []
    engine.dispose()
