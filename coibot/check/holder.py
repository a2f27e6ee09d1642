"""The certificate holder must be the client's required holder, name and address."""

from __future__ import annotations

from typing import Any

from coibot.check.context import CheckContext
from coibot.check.report import Gap
from coibot.check.textnorm import norm_address, norm_name, similarity

# At or above this similarity (0..100) of the normalised texts a mismatch is called a near miss.
NEAR_MISS = 85.0
# Words that may follow the required holder name ("Acme LLC, its officers and employees").
_NAME_TAIL_WORDS = ("its ", "and its ", "& its ", "attn ", "c o ")


def _name_ok(required: str, found: str) -> bool:
    req, got = norm_name(required), norm_name(found)
    if req == got:
        return True
    return got.startswith(req + " ") and got[len(req) + 1 :].startswith(_NAME_TAIL_WORDS)


def _address_ok(required: str, found: str) -> bool:
    req, got = norm_address(required), norm_address(found)
    # An extra "Attn: Risk Management" line does not change where the holder is.
    return req == got or f" {req} " in f" {got} "


def _mismatch(ctx: CheckContext, part: str, required: str, found: str, near: float) -> Gap:
    what = f"certificate holder {part}"
    if near >= NEAR_MISS:
        text = (
            f'The {what} is "{found}", close to but not the same as "{required}", which '
            f"{ctx.client_name} requires."
        )
    else:
        text = f'The {what} is "{found}"; {ctx.client_name} requires "{required}".'
    return Gap("certificate_holder_mismatch", None, f"certificate_holder.{part}", required, found, text)


def holder_gaps(ctx: CheckContext) -> list[Gap]:
    """Holder name and address compared after normalisation; a near miss shows both values."""
    required = ctx.rs.certificate_holder
    if required is None:
        return []
    holder: Any = ctx.extraction.get("certificate_holder")
    holder = holder if isinstance(holder, dict) else {}
    gaps: list[Gap] = []
    name = holder.get("name")
    if not isinstance(name, str):
        gaps.append(
            Gap(
                "unreadable",
                None,
                "certificate_holder.name",
                required.name,
                None,
                f"The certificate holder name could not be read; {ctx.client_name} requires "
                f'"{required.name}".',
            )
        )
    elif not _name_ok(required.name, name):
        gaps.append(
            _mismatch(ctx, "name", required.name, name, similarity(norm_name(required.name), norm_name(name)))
        )
    if required.address:
        address = holder.get("address")
        if not isinstance(address, str):
            gaps.append(
                Gap(
                    "unreadable",
                    None,
                    "certificate_holder.address",
                    required.address,
                    None,
                    f"The certificate holder address could not be read; {ctx.client_name} requires "
                    f'"{required.address}".',
                )
            )
        elif not _address_ok(required.address, address):
            gaps.append(
                _mismatch(
                    ctx,
                    "address",
                    required.address,
                    address,
                    similarity(norm_address(required.address), norm_address(address)),
                )
            )
    return gaps
