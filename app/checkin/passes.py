"""The visitor's pass: what the confirmation page shows of one visit, read as plain rows.

The page every check-in ends on reads one visit by number and renders it; it never writes.
A plain row (and, for a party, its companions' rows) costs a fraction of loading the ORM
object with its identity map and change tracking, which the page has no use for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select

from ..extensions import db
from ..store.models import CheckoutReason, Companion, Visit

_VISIT, _COMPANION = Visit.__table__, Companion.__table__


@dataclass(frozen=True)
class PartyMember:
    """Someone who came with the visitor, as the pass names them."""

    full_name: str
    birth_year: int
    flagged: bool


@dataclass(frozen=True)
class VisitPass:
    """One visit as its pass shows it (and as its phone's buttons need it)."""

    id: int
    location_id: int
    checked_in_at: datetime
    checked_out_at: datetime | None
    checkout_by: CheckoutReason | None
    changed_at: datetime
    full_name: str
    flagged: bool
    declaration: dict
    secret_hash: str | None
    party: list[PartyMember] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """True while the visitor has not checked out."""
        return self.checked_out_at is None


_PASS_COLUMNS = ("id", "location_id", "checked_in_at", "checked_out_at", "checkout_by",
                 "changed_at", "full_name", "flagged", "declaration", "secret_hash")
# Built once: each request only sends the visit's number.
_READ_PASS = (select(*(_VISIT.c[name] for name in _PASS_COLUMNS), _VISIT.c.party_size)
              .where(_VISIT.c.id == bindparam("visit_id")))
_READ_PARTY = (select(_COMPANION.c.full_name, _COMPANION.c.birth_year, _COMPANION.c.flagged)
               .where(_COMPANION.c.visit_id == bindparam("visit_id"))
               .order_by(_COMPANION.c.position))


def read_pass(visit_id: int) -> VisitPass | None:
    """The visit's pass, or None when there is no such visit: one query for a visitor alone
    (nearly all), a second for a party's companions."""
    with db.engine.connect() as connection:
        row = connection.execute(_READ_PASS, {"visit_id": visit_id}).one_or_none()
        if row is None:
            return None
        *values, party_size = row
        party = ([PartyMember(*member) for member in
                  connection.execute(_READ_PARTY, {"visit_id": visit_id})]
                 if party_size > 1 else [])
    return VisitPass(*values, party=party)
