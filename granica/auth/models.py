"""Tables of users, their login sessions, machine tokens and login attempts."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from granica.storage import Base, new_id


class User(Base):
    """A person (or machine client) who may log in; belongs to one agency, holds roles."""

    __tablename__ = "auth_user"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    agency: Mapped[str] = mapped_column(sa.String(40), index=True)
    roles: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    station: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(sa.Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[dt.datetime]
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


class UserSession(Base):
    """A logged-in browser session. Only the SHA-256 of the cookie value is stored."""

    __tablename__ = "auth_session"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("auth_user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class ApiToken(Base):
    """A bearer token for a machine client. Only the SHA-256 of the token is stored."""

    __tablename__ = "auth_token"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("auth_user.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


class LoginAttempt(Base):
    """Every password login, good or bad (the lock-out counts these; security reviews read them)."""

    __tablename__ = "auth_login_attempt"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(sa.String(64), index=True)
    user_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    source: Mapped[str] = mapped_column(sa.String(40))
    success: Mapped[bool] = mapped_column(sa.Boolean)
    reason: Mapped[str] = mapped_column(sa.String(80), default="")
