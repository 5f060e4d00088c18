"""Who a command-line call acts as: the user of GRANICA_TOKEN when it is set, else the
system principal (audited as such)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from granica.auth.principal import Principal
    from granica.storage import Database


def caller(db: Database, purpose: str = "command line") -> Principal:
    from granica.auth.principal import system_principal

    token = os.environ.get("GRANICA_TOKEN")
    if token:
        from granica.auth import service as auth_service  # type: ignore[attr-defined,unused-ignore]

        with db.session() as session:
            principal: Principal = auth_service.principal_from_token(session, token)
            return principal
    return system_principal(purpose)
