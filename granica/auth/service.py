"""Users, password login with lock-out, browser sessions and bearer tokens.

The only code that changes users, sessions and tokens. Every change and every
login (good or bad) is written to the audit log. Session ids and tokens are
random and only their SHA-256 is stored, so a copy of the database logs no one in.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.models import ApiToken, LoginAttempt, User, UserSession
from granica.auth.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from granica.auth.permissions import AGENCIES, AGENCY_ROLES, ROLES
from granica.auth.principal import Principal
from granica.errors import AuthenticationError, ConflictError, NotFoundError, ValidationError
from granica.settings import get_settings

LANGUAGES = ("en", "sr-Latn", "sr-Cyrl")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
TOKEN_PREFIX = "gra_"
TOKEN_USE_RESOLUTION = dt.timedelta(minutes=1)  # how exactly a token's last use is kept


def _digest(secret: str) -> str:
    # The secrets are 256-bit random values, so a plain SHA-256 is as good as a slow KDF here.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _principal(user: User, via: str) -> Principal:
    roles = frozenset(r for r in user.roles if r in ROLES)
    perms: set[str] = set()
    for role in roles:
        perms |= ROLES[role]
    return Principal(
        user_id=user.id, username=user.username, agency=user.agency, roles=roles,
        permissions=frozenset(perms), language=user.language, display_name=user.display_name,
        via=via, station=user.station,
    )


def _anonymous(username: str, user: User | None, source: str) -> Principal:
    """Who a login attempt is recorded as before it has succeeded."""
    return Principal(
        user_id=user.id if user else "-", username=username[:100] or "-",
        agency=user.agency if user else "-", roles=frozenset(), permissions=frozenset(),
        via=source,
    )


def _user_by_name(session: Session, username: str) -> User | None:
    return session.scalars(
        sa.select(User).where(User.username == username.strip().lower())
    ).one_or_none()


def get_user(session: Session, username: str) -> User:
    user = _user_by_name(session, username)
    if user is None:
        raise NotFoundError(f"no user '{username}'; list users with `granica users list`",
                            field="username")
    return user


def list_users(session: Session, actor: Principal, *, purpose: str = "user administration"
               ) -> list[User]:
    audit.require(session, actor, "users.manage", action="users.list", subject_type="user",
                  purpose=purpose, what="list users")
    users = list(session.scalars(sa.select(User).order_by(User.username)))
    audit.record(session, actor, "users.list", purpose=purpose, subject_type="user",
                 result_count=len(users))
    return users


def _validate_roles(agency: str, roles: Iterable[str]) -> list[str]:
    if agency not in AGENCIES:
        raise ValidationError(
            f"unknown agency '{agency}'; choose one of {', '.join(sorted(AGENCIES))}",
            field="agency",
        )
    wanted = sorted(set(roles))
    if not wanted:
        raise ValidationError("a user needs at least one role", field="roles")
    for role in wanted:
        if role not in ROLES:
            raise ValidationError(
                f"unknown role '{role}'; choose one of {', '.join(sorted(ROLES))}", field="roles"
            )
        if role not in AGENCY_ROLES.get(agency, frozenset()):
            allowed = ", ".join(sorted(AGENCY_ROLES.get(agency, frozenset()))) or "none"
            raise ValidationError(
                f"role '{role}' cannot be given to a user of agency {agency}; "
                f"that agency's roles are: {allowed}",
                field="roles",
            )
    return wanted


def _validate_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValidationError(
            f"unknown language '{language}'; choose one of {', '.join(LANGUAGES)}",
            field="language",
        )
    return language


def create_user(
    session: Session,
    actor: Principal,
    *,
    username: str,
    password: str,
    agency: str,
    roles: Iterable[str],
    display_name: str = "",
    language: str = "en",
    station: str | None = None,
    purpose: str = "user administration",
) -> User:
    """Create a user; raises ValidationError / ConflictError naming the field at fault."""
    audit.require(session, actor, "users.manage", action="users.create", subject_type="user",
                  purpose=purpose, what="create users")
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise ValidationError(
            f"username '{username}' is not allowed: use 3-64 characters a-z, 0-9, '.', '_' "
            "or '-', starting with a letter or digit",
            field="username",
        )
    role_list = _validate_roles(agency, roles)
    _validate_language(language)
    if len(display_name) > 200:
        raise ValidationError("display name is longer than 200 characters", field="display_name")
    check_password_rules(password, username=name)
    if _user_by_name(session, name) is not None:
        raise ConflictError(f"username '{name}' is already taken; choose another",
                            field="username")
    now = clock.now()
    user = User(
        username=name, display_name=display_name.strip(), agency=agency, roles=role_list,
        language=language, station=station, password_hash=hash_password(password),
        disabled=False, failed_logins=0, created_at=now, password_changed_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "users.create", purpose=purpose, subject_type="user",
                 subject_ids=[user.id],
                 details={"username": name, "agency": agency, "roles": role_list})
    return user


def disable_user(session: Session, actor: Principal, username: str, *,
                 purpose: str = "user administration") -> User:
    """Disable a user: ends their sessions and revokes their tokens at once."""
    audit.require(session, actor, "users.manage", action="users.disable", subject_type="user",
                  purpose=purpose, what="disable users")
    user = get_user(session, username)
    user.disabled = True
    now = clock.now()
    session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
    session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    audit.record(session, actor, "users.disable", purpose=purpose, subject_type="user",
                 subject_ids=[user.id], details={"username": user.username})
    return user


def enable_user(session: Session, actor: Principal, username: str, *,
                purpose: str = "user administration") -> User:
    audit.require(session, actor, "users.manage", action="users.enable", subject_type="user",
                  purpose=purpose, what="enable users")
    user = get_user(session, username)
    user.disabled = False
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor, "users.enable", purpose=purpose, subject_type="user",
                 subject_ids=[user.id], details={"username": user.username})
    return user


def unlock_user(session: Session, actor: Principal, username: str, *,
                purpose: str = "user administration") -> User:
    """Lift a lock-out before it runs out."""
    audit.require(session, actor, "users.manage", action="users.unlock", subject_type="user",
                  purpose=purpose, what="unlock users")
    user = get_user(session, username)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor, "users.unlock", purpose=purpose, subject_type="user",
                 subject_ids=[user.id], details={"username": user.username})
    return user


def set_password(session: Session, actor: Principal, username: str, password: str, *,
                 purpose: str = "user administration") -> None:
    """An administrator sets a user's password (users change their own with change_password)."""
    audit.require(session, actor, "users.manage", action="users.set_password",
                  subject_type="user", purpose=purpose, what="set passwords")
    user = get_user(session, username)
    check_password_rules(password, username=user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = clock.now()
    audit.record(session, actor, "users.set_password", purpose=purpose, subject_type="user",
                 subject_ids=[user.id])


def change_password(session: Session, principal: Principal, old_password: str,
                    new_password: str) -> None:
    user = session.get(User, principal.user_id)
    if user is None or not verify_password(user.password_hash, old_password):
        raise AuthenticationError("the current password is wrong", field="old_password")
    check_password_rules(new_password, username=user.username)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = clock.now()
    audit.record(session, principal, "users.change_password", purpose="own account",
                 subject_type="user", subject_ids=[user.id])


def set_language(session: Session, principal: Principal, language: str) -> None:
    """The user's own choice of page language (en, sr-Latn, sr-Cyrl)."""
    _validate_language(language)
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFoundError(f"no user '{principal.username}'", field="username")
    user.language = language


# --- password login ----------------------------------------------------------------------

def _fail(session: Session, username: str, user: User | None, source: str, reason: str,
          message: str) -> AuthenticationError:
    """Record a refused login so that it survives the caller's rollback, and build the error."""
    session.add(LoginAttempt(occurred_at=clock.now(), username=username[:64],
                             user_id=user.id if user else None, source=source[:40],
                             success=False, reason=reason))
    audit.record(session, _anonymous(username, user, source), "auth.login",
                 purpose="login", subject_type="user", subject_ids=[user.id] if user else [],
                 outcome="denied", details={"reason": reason, "source": source})
    session.commit()
    return AuthenticationError(message, field="password" if reason == "bad_password" else None,
                               reason=reason)


def authenticate_password(session: Session, username: str, password: str, *,
                          source: str = "web") -> Principal:
    """Check a username and password; lock the account after too many failures.

    Failures are committed before the AuthenticationError is raised, so the
    lock-out counter and the audit row survive the caller's rollback.
    """
    settings = get_settings()
    name = username.strip().lower()
    user = _user_by_name(session, name)
    now = clock.now()
    bad = "wrong username or password; check both (passwords are case-sensitive)"
    if user is None:
        # verify against a hash anyway so that unknown names take as long as known ones
        verify_password(_dummy_hash(), password)
        raise _fail(session, name, None, source, "unknown_user", bad)
    if user.locked_until is not None:
        if user.locked_until > now:
            until = user.locked_until.strftime("%Y-%m-%d %H:%M UTC")
            raise _fail(session, name, user, source, "locked",
                        f"account '{name}' is locked until {until} after "
                        f"{settings.lockout_failures} failed logins; try again then or ask the "
                        "system administration to unlock it")
        user.locked_until = None
        user.failed_logins = 0
    if not verify_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= settings.lockout_failures:
            user.locked_until = now + dt.timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
            until = user.locked_until.strftime("%Y-%m-%d %H:%M UTC")
            raise _fail(session, name, user, source, "bad_password",
                        f"wrong password; account '{name}' is now locked until {until} after "
                        f"{settings.lockout_failures} failed logins")
        raise _fail(session, name, user, source, "bad_password", bad)
    if user.disabled:
        raise _fail(session, name, user, source, "disabled",
                    f"account '{name}' is disabled; ask the system administration")
    user.failed_logins = 0
    user.last_login_at = now
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.add(LoginAttempt(occurred_at=now, username=name, user_id=user.id,
                             source=source[:40], success=True, reason=""))
    principal = _principal(user, "session")
    audit.record(session, principal, "auth.login", purpose="login", subject_type="user",
                 subject_ids=[user.id], details={"source": source})
    return principal


# --- browser sessions ----------------------------------------------------------------------

def open_session(session: Session, principal: Principal) -> str:
    """Start a browser session; returns the cookie value (only its hash is stored)."""
    sid = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(UserSession(
        id_hash=_digest(sid), user_id=principal.user_id, created_at=now, last_seen_at=now,
        expires_at=now + dt.timedelta(minutes=get_settings().session_minutes),
    ))
    session.flush()
    return sid


def principal_from_session(session: Session, session_id: str) -> Principal:
    """The user behind a session cookie; each use pushes the expiry on (sliding)."""
    row = session.get(UserSession, _digest(session_id)) if session_id else None
    if row is None:
        raise AuthenticationError("not logged in (unknown or ended session); log in again")
    now = clock.now()
    if row.expires_at <= now:
        session.delete(row)
        session.commit()
        raise AuthenticationError(
            f"session expired after {get_settings().session_minutes} minutes without activity; "
            "log in again", reason="expired",
        )
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        session.delete(row)
        session.commit()
        raise AuthenticationError("account is disabled; ask the system administration",
                                  reason="disabled")
    row.last_seen_at = now
    row.expires_at = now + dt.timedelta(minutes=get_settings().session_minutes)
    return _principal(user, "session")


def close_session(session: Session, session_id: str) -> None:
    """Log out: the session id stops working at once."""
    if session_id:
        session.execute(sa.delete(UserSession).where(UserSession.id_hash == _digest(session_id)))


def csrf_token(session_id: str) -> str:
    """A CSRF token bound to one session (the session id is secret, so is this)."""
    return hmac.new(session_id.encode("utf-8"), b"granica-csrf", hashlib.sha256).hexdigest()


def purge_expired_sessions(session: Session) -> int:
    result = session.execute(sa.delete(UserSession).where(UserSession.expires_at <= clock.now()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- bearer tokens -------------------------------------------------------------------------

def issue_token(session: Session, actor: Principal, username: str, *, name: str,
                days: int | None = None, purpose: str = "user administration") -> str:
    """A new bearer token for a machine client; the value is returned once, stored hashed."""
    audit.require(session, actor, "users.manage", action="users.token", subject_type="user",
                  purpose=purpose, what="issue tokens")
    user = get_user(session, username)
    if user.disabled:
        raise ConflictError(f"user '{user.username}' is disabled; enable it before issuing "
                            "a token", field="username")
    if not name.strip() or len(name) > 100:
        raise ValidationError("token name must be 1-100 characters (say what client uses it)",
                              field="name")
    lifetime = get_settings().token_days if days is None else days
    if lifetime < 1 or lifetime > 3660:
        raise ValidationError(f"token lifetime {lifetime} days is outside 1-3660", field="days")
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(user_id=user.id, name=name.strip(), token_hash=_digest(value),
                     created_at=now, expires_at=now + dt.timedelta(days=lifetime))
    session.add(token)
    session.flush()
    audit.record(session, actor, "users.token", purpose=purpose, subject_type="user",
                 subject_ids=[user.id], details={"token_id": token.id, "name": token.name,
                                                 "days": lifetime})
    return value


def list_tokens(session: Session, username: str) -> list[ApiToken]:
    user = get_user(session, username)
    return list(session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at)))


def revoke_token(session: Session, actor: Principal, token_id: str, *,
                 purpose: str = "user administration") -> None:
    """Revoke a token by its id (as listed); a user may revoke their own tokens."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError(f"no token with id '{token_id}'", field="token_id")
    if token.user_id != actor.user_id:
        audit.require(session, actor, "users.manage", action="users.revoke_token",
                      subject_type="user", subject_ids=[token.user_id], purpose=purpose,
                      what="revoke other users' tokens")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
    audit.record(session, actor, "users.revoke_token", purpose=purpose, subject_type="user",
                 subject_ids=[token.user_id], details={"token_id": token.id})


def principal_from_token(session: Session, token: str) -> Principal:
    """The user behind an `Authorization: Bearer` token."""
    row = session.scalars(
        sa.select(ApiToken).where(ApiToken.token_hash == _digest(token or ""))
    ).one_or_none()
    if row is None:
        raise AuthenticationError("unknown token; ask the system administration for a new one")
    now = clock.now()
    if row.revoked_at is not None:
        raise AuthenticationError(f"token '{row.name}' was revoked", reason="revoked")
    if row.expires_at <= now:
        raise AuthenticationError(f"token '{row.name}' expired on "
                                  f"{row.expires_at:%Y-%m-%d}", reason="expired")
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        raise AuthenticationError("account is disabled; ask the system administration",
                                  reason="disabled")
    # to the minute: writing it on every request would make every request of a token (a
    # kiosk's lanes, an integrator's client) wait on that one row until the other commits
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION:
        row.last_used_at = now
    return _principal(user, "token")
