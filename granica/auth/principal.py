"""Who is acting: the authenticated user (or machine client) every service call carries."""

from __future__ import annotations

from dataclasses import dataclass, field

from granica.errors import PermissionDenied


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    agency: str
    roles: frozenset[str]
    permissions: frozenset[str]
    language: str = "en"
    display_name: str = ""
    via: str = "session"  # session | token | cli
    station: str | None = field(default=None)  # border crossing point or office, if any

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def system_principal(purpose: str = "system job") -> Principal:
    """The scheduler and CLI maintenance jobs act as this principal (audited as such)."""
    from granica.auth.permissions import PERMISSIONS

    return Principal(
        user_id="system", username="system", agency="SYSADMIN", roles=frozenset({"system"}),
        permissions=frozenset(PERMISSIONS), display_name=purpose, via="cli",
    )


def require(principal: Principal, permission: str, what: str = "") -> None:
    """Raise PermissionDenied naming the missing permission. Callers audit the denial."""
    if permission not in principal.permissions:
        target = f" to {what}" if what else ""
        raise PermissionDenied(
            f"user '{principal.username}' ({principal.agency}) lacks permission "
            f"'{permission}'{target}; ask your supervisor or the system administration for it",
            permission=permission,
        )
