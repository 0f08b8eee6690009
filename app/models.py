"""Database models: entry points, visits, companions and staff accounts."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import clock
from .extensions import db


class UTCDateTime(TypeDecorator):
    """A point in time stored as naive UTC on every database and returned as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime; use an aware UTC time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def new_location_token() -> str:
    """An unguessable token for a check-in URL (128 bits)."""
    return secrets.token_urlsafe(16)


class Location(db.Model):
    """An entry point (a gate, a one-stop counter) with its own poster and check-in URL."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_location_token)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: clock.utcnow())

    visits: Mapped[list[Visit]] = relationship(back_populates="location")


class Visit(db.Model):
    """One person's entry: who they are, their declaration, and when they came and went."""

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who closed the visit: "visitor", "staff" or "auto" (end of day).
    checkout_by: Mapped[str | None] = mapped_column(String(10))

    full_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(10))  # national form: 0 + 9 digits
    birth_year: Mapped[int]
    gender: Mapped[str] = mapped_column(String(10))  # male | female | other
    id_number: Mapped[str | None] = mapped_column(String(20))
    nationality: Mapped[str] = mapped_column(String(60))
    province: Mapped[str] = mapped_column(String(60))
    ward: Mapped[str] = mapped_column(String(100), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(String(200), default="")

    # Every answer as asked, e.g. {"symptoms": {"fever": false, ...}, "exposure": {...},
    # "travel": {"answer": false, "places": ""}}; kept as data so the questions can change.
    declaration: Mapped[dict] = mapped_column(JSON)
    flagged: Mapped[bool] = mapped_column(default=False)
    # "self" (the visitor's phone) or "staff" (entered at reception).
    source: Mapped[str] = mapped_column(String(10), default="self")
    # SHA-256 of the per-visit secret held by the visitor's phone; also makes a double submit
    # of the same form land on the same visit.
    secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    location: Mapped[Location] = relationship(back_populates="visits")
    companions: Mapped[list[Companion]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Companion.position",
    )

    __table_args__ = (
        Index("ix_visit_checked_in_at", "checked_in_at"),
        Index("ix_visit_location_checked_in_at", "location_id", "checked_in_at"),
    )

    @property
    def is_open(self) -> bool:
        """True while the visitor has not checked out."""
        return self.checked_out_at is None


class Companion(db.Model):
    """Someone checked in under another person's visit (a child, an elderly parent)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    full_name: Mapped[str] = mapped_column(String(100))
    birth_year: Mapped[int]

    visit: Mapped[Visit] = relationship(back_populates="companions")


class User(db.Model):
    """A staff account: an admin (the officer in charge) or a receptionist."""

    ROLES = ("admin", "receptionist")

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: clock.utcnow())
