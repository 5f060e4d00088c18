"""Password hashing (argon2id) and the password rules every new password must meet."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from granica.errors import ValidationError
from granica.settings import get_settings


@functools.lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults follow RFC 9106's second recommended profile (64 MiB, t=3);
    # the type is pinned so that a library default change can never weaken it silently.
    return PasswordHasher(type=Type.ID)


def hash_password(password: str) -> str:
    """An argon2id hash in PHC string form ($argon2id$v=19$m=...,t=...,p=...$salt$hash)."""
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (upgrade it on login)."""
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def character_classes(password: str) -> set[str]:
    classes: set[str] = set()
    for ch in password:
        if ch.islower():
            classes.add("lower")
        elif ch.isupper():
            classes.add("upper")
        elif ch.isdigit():
            classes.add("digit")
        else:
            classes.add("other")
    return classes


def check_password_rules(password: str, *, username: str = "") -> None:
    """Raise ValidationError(field="password") naming the broken rule."""
    settings = get_settings()
    if len(password) < settings.password_min_length:
        raise ValidationError(
            f"password is {len(password)} characters long; it must have at least "
            f"{settings.password_min_length} (a passphrase of several words is easiest)",
            field="password",
        )
    if len(password) > 1024:
        raise ValidationError("password is longer than 1024 characters", field="password")
    if len(character_classes(password)) < 2:
        raise ValidationError(
            "password uses only one kind of character; mix letters with digits, capitals "
            "or punctuation",
            field="password",
        )
    name = username.strip().lower()
    if name and (password.lower() == name or (len(name) >= 4 and name in password.lower())):
        raise ValidationError("password must not be or contain the username", field="password")
