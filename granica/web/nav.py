"""Navigation entries: each domain's pages module declares `NAV_ITEMS`, the layout shows
the ones the user's permissions allow, and the home page lists them with their descriptions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from granica.auth.principal import Principal


@dataclass(frozen=True)
class NavItem:
    label: str  # a gettext message id, translated when shown
    href: str
    description: str = ""  # a gettext message id: one line saying what the page is for
    permission: str | None = None  # shown only to users holding it; None: everyone logged in
    any_of: tuple[str, ...] = ()  # alternatively: shown to holders of any of these
    order: int = 100
    training_only: bool = False  # shown only on a training node (GRANICA_TRAINING)


_items: list[NavItem] = []


def register(items: Iterable[NavItem]) -> None:
    for item in items:
        if item not in _items:
            _items.append(item)


def allowed(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    from granica.settings import get_settings

    training = get_settings().training
    out = []
    for item in _items:
        if item.training_only and not training:
            continue
        if item.permission and not principal.can(item.permission):
            continue
        if item.any_of and not any(principal.can(p) for p in item.any_of):
            continue
        out.append(item)
    return sorted(out, key=lambda i: (i.order, i.href))


def current(items: list[NavItem], path: str) -> str | None:
    """The entry to mark as the current page: the longest href the path lies under."""
    under = [
        item.href for item in items
        if (href := item.href.rstrip("/")) and (path == href or path.startswith(href + "/"))
    ]
    if under:
        return max(under, key=len)
    return "/" if path == "/" else None
