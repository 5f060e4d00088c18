"""Users, password rules, lock-out, sessions and tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from granica import clock
from granica.audit.models import AuditEntry
from granica.auth import service as auth
from granica.auth.models import ApiToken, User, UserSession
from granica.auth.passwords import check_password_rules, hash_password, verify_password
from granica.auth.principal import system_principal
from granica.errors import AuthenticationError, ConflictError, PermissionDenied, ValidationError
from granica.settings import get_settings
from granica.storage import Database

PASSWORD = "Korektan-Konj-42"
ADMIN = system_principal("tests")


def _add(db: Database, username: str = "marko", **kw: object) -> str:
    args: dict[str, object] = dict(username=username, password=PASSWORD, agency="BORDER_POLICE",
                                   roles=["border_guard"], display_name="Marko Marković")
    args.update(kw)
    with db.session() as s:
        return auth.create_user(s, ADMIN, **args).id  # type: ignore[arg-type]


@pytest.mark.real_argon2
def test_hash_is_argon2id_and_verifies() -> None:
    h = hash_password(PASSWORD)
    assert h.startswith("$argon2id$v=19$m=65536,t=3,")
    assert verify_password(h, PASSWORD)
    assert not verify_password(h, PASSWORD.lower())
    assert hash_password(PASSWORD) != h  # salted


def test_password_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    min_len = get_settings().password_min_length
    with pytest.raises(ValidationError, match=str(min_len)) as e:
        check_password_rules("Ab1" * ((min_len - 1) // 3) + "x"[: (min_len - 1) % 3])
    assert e.value.field == "password"
    with pytest.raises(ValidationError, match="one kind"):
        check_password_rules("a" * (min_len + 3))
    with pytest.raises(ValidationError, match="username"):
        check_password_rules("Petar.Petrovic1", username="petar.petrovic1")
    check_password_rules(PASSWORD, username="marko")
    from granica.settings import reset_settings

    monkeypatch.setenv("GRANICA_PASSWORD_MIN_LENGTH", "20")
    reset_settings()
    try:
        with pytest.raises(ValidationError, match="20"):
            check_password_rules(PASSWORD)
    finally:
        monkeypatch.delenv("GRANICA_PASSWORD_MIN_LENGTH")
        reset_settings()


def test_create_user_and_login_audited(database: Database) -> None:
    uid = _add(database)
    with database.session() as s:
        user = s.get(User, uid)
        assert user is not None and user.password_hash and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in str(user.password_hash)
        p = auth.authenticate_password(s, "Marko", PASSWORD)
    assert p.username == "marko" and p.agency == "BORDER_POLICE"
    assert p.can("border.check") and not p.can("users.manage")
    with database.session() as s:
        actions = s.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["users.create", "auth.login"]


@pytest.mark.parametrize(
    ("kw", "error", "field"),
    [
        ({"agency": "NASA"}, ValidationError, "agency"),
        ({"roles": ["astronaut"]}, ValidationError, "roles"),
        ({"roles": ["sirene_operator"]}, ValidationError, "roles"),  # not a border police role
        ({"roles": []}, ValidationError, "roles"),
        ({"language": "de"}, ValidationError, "language"),
        ({"username": "x y"}, ValidationError, "username"),
        ({"password": "kratko"}, ValidationError, "password"),
    ],
)
def test_bad_user_input_names_field(database: Database, kw: dict[str, object],
                                    error: type[Exception], field: str) -> None:
    with pytest.raises(error) as e:
        _add(database, **kw)
    assert e.value.field == field  # type: ignore[attr-defined]


def test_duplicate_username_conflicts(database: Database) -> None:
    _add(database, "ana")
    with pytest.raises(ConflictError) as e:
        _add(database, "ANA")
    assert e.value.field == "username"


def test_user_management_needs_permission(database: Database) -> None:
    _add(database, "guard")
    with database.session() as s:
        guard = auth.authenticate_password(s, "guard", PASSWORD)
    with pytest.raises(PermissionDenied):
        with database.session() as s:
            auth.create_user(s, guard, username="other", password=PASSWORD,
                             agency="CUSTOMS", roles=["customs_officer"])
    with database.session() as s:
        denied = s.scalars(sa.select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
        assert [d.action for d in denied] == ["users.create"]
        assert auth._user_by_name(s, "other") is None


def test_lockout_after_failures_then_expires(database: Database) -> None:
    settings = get_settings()
    clock.freeze(dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC))
    _add(database)
    for _ in range(settings.lockout_failures - 1):
        with pytest.raises(AuthenticationError, match="wrong username or password"):
            with database.session() as s:
                auth.authenticate_password(s, "marko", "Wrong-password-1")
    with pytest.raises(AuthenticationError, match="locked until"):
        with database.session() as s:
            auth.authenticate_password(s, "marko", "Wrong-password-1")
    # even the right password is refused while locked
    with pytest.raises(AuthenticationError, match="locked until 2026-03-01 08:"):
        with database.session() as s:
            auth.authenticate_password(s, "marko", PASSWORD)
    clock.advance(dt.timedelta(minutes=settings.lockout_minutes - 1))
    with pytest.raises(AuthenticationError, match="locked"):
        with database.session() as s:
            auth.authenticate_password(s, "marko", PASSWORD)
    clock.advance(dt.timedelta(minutes=1, seconds=1))
    with database.session() as s:
        assert auth.authenticate_password(s, "marko", PASSWORD).username == "marko"
    with database.session() as s:
        rows = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "auth.login")
                         .order_by(AuditEntry.seq)).all()
    assert [r.outcome for r in rows] == ["denied"] * (settings.lockout_failures + 2) + ["ok"]


def test_unknown_user_is_refused_and_audited(database: Database) -> None:
    with pytest.raises(AuthenticationError):
        with database.session() as s:
            auth.authenticate_password(s, "nobody", PASSWORD)
    with database.session() as s:
        row = s.scalars(sa.select(AuditEntry)).one()
    assert row.action == "auth.login" and row.outcome == "denied"


def test_session_sliding_expiry(database: Database) -> None:
    minutes = get_settings().session_minutes
    clock.freeze(dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC))
    _add(database)
    with database.session() as s:
        p = auth.authenticate_password(s, "marko", PASSWORD)
        sid = auth.open_session(s, p)
    with database.session() as s:
        assert s.get(UserSession, sid) is None  # stored hashed, never as given
        assert len(s.scalars(sa.select(UserSession)).all()) == 1
    # used just before expiry, the session slides on
    for _ in range(3):
        clock.advance(dt.timedelta(minutes=minutes - 1))
        with database.session() as s:
            assert auth.principal_from_session(s, sid).username == "marko"
    clock.advance(dt.timedelta(minutes=minutes, seconds=1))
    with pytest.raises(AuthenticationError, match="expired"):
        with database.session() as s:
            auth.principal_from_session(s, sid)
    with pytest.raises(AuthenticationError):
        with database.session() as s:
            auth.principal_from_session(s, sid)


def test_close_session(database: Database) -> None:
    _add(database)
    with database.session() as s:
        sid = auth.open_session(s, auth.authenticate_password(s, "marko", PASSWORD))
    with database.session() as s:
        auth.close_session(s, sid)
    with pytest.raises(AuthenticationError):
        with database.session() as s:
            auth.principal_from_session(s, sid)


def test_tokens_hashed_revocable_and_expire(database: Database) -> None:
    clock.freeze(dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC))
    _add(database, "kiosk")
    with database.session() as s:
        token = auth.issue_token(s, ADMIN, "kiosk", name="lane 3 kiosk", days=10)
        token2 = auth.issue_token(s, ADMIN, "kiosk", name="other")
    with database.session() as s:
        hashes = s.scalars(sa.select(ApiToken.token_hash)).all()
        assert token not in hashes and all(token not in h for h in hashes)
        p = auth.principal_from_token(s, token)
        assert p.username == "kiosk" and p.via == "token"
    with pytest.raises(AuthenticationError):
        with database.session() as s:
            auth.principal_from_token(s, token[:-1] + ("a" if token[-1] != "a" else "b"))
    with database.session() as s:
        tok = auth.list_tokens(s, "kiosk")[0]
        auth.revoke_token(s, ADMIN, tok.id)
    with pytest.raises(AuthenticationError, match="revoked"):
        with database.session() as s:
            auth.principal_from_token(s, token)
    clock.advance(dt.timedelta(days=366))
    with pytest.raises(AuthenticationError, match="expired"):
        with database.session() as s:
            auth.principal_from_token(s, token2)


def test_disabled_user_cannot_login_or_use_tokens(database: Database) -> None:
    _add(database)
    with database.session() as s:
        token = auth.issue_token(s, ADMIN, "marko", name="script")
        sid = auth.open_session(s, auth.authenticate_password(s, "marko", PASSWORD))
    with database.session() as s:
        auth.disable_user(s, ADMIN, "marko")
    with pytest.raises(AuthenticationError, match="disabled"):
        with database.session() as s:
            auth.authenticate_password(s, "marko", PASSWORD)
    with pytest.raises(AuthenticationError):
        with database.session() as s:
            auth.principal_from_token(s, token)
    with pytest.raises(AuthenticationError):
        with database.session() as s:
            auth.principal_from_session(s, sid)


def test_set_language(database: Database) -> None:
    _add(database)
    with database.session() as s:
        p = auth.authenticate_password(s, "marko", PASSWORD)
        auth.set_language(s, p, "sr-Cyrl")
        with pytest.raises(ValidationError):
            auth.set_language(s, p, "klingon")
    with database.session() as s:
        assert auth.authenticate_password(s, "marko", PASSWORD).language == "sr-Cyrl"


def test_users_cli(database: Database) -> None:
    from typer.testing import CliRunner

    from granica.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["users", "add", "jelena", "--agency", "CUSTOMS", "--role",
                              "customs_officer", "--password", PASSWORD])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["users", "add", "jelena2", "--agency", "CUSTOMS", "--role",
                              "dpo", "--password", PASSWORD])
    assert out.exit_code != 0 and isinstance(out.exception, ValidationError)
    out = runner.invoke(app, ["users", "token", "jelena", "--name", "scanner"])
    assert out.exit_code == 0
    token = out.output.strip()
    with database.session() as s:
        assert auth.principal_from_token(s, token).agency == "CUSTOMS"
    out = runner.invoke(app, ["users", "disable", "jelena"])
    assert out.exit_code == 0
    with pytest.raises(AuthenticationError):
        with database.session() as s:
            auth.principal_from_token(s, token)
    out = runner.invoke(app, ["users", "list", "--json"])
    assert '"disabled": true' in out.output
