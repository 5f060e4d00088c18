"""What the page-translation tests of every domain share: the messages a domain's templates
and navigation show, and the check that each is in both Serbian catalogues, with the same
placeholders, no Latin letters left in the Cyrillic, and Cyrillic that transliterates to the
Latin (Cyrillic -> Latin is unambiguous, so the two must say the same thing)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import cyrtranslit
from babel.messages.extract import extract_from_dir

from granica.web.i18n import PACKAGE_ROOT, translations

PLACEHOLDERS = re.compile(r"%\(\w+\)s|\{[^}]*\}")


def template_message_ids(package: str, nav_items: Iterable[object] = ()) -> set[str]:
    """The `_()` messages of `granica/<package>/templates` and the labels and descriptions
    of the navigation entries."""
    ids: set[str] = set()
    options = {"**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
    for _f, _l, message, _c, _x in extract_from_dir(
            str(PACKAGE_ROOT / package / "templates"), [("**.html", "jinja2")], options):
        ids.update(message if isinstance(message, tuple) else (message,))
    for item in nav_items:
        ids.update((item.label, item.description))
    return ids


def assert_in_both_scripts(ids: Iterable[str], kept_latin: re.Pattern[str], *,
                           same_in_serbian: frozenset[str] = frozenset(),
                           compare_without_kept: bool = True) -> None:
    """`kept_latin` matches the Latin-script tokens a Cyrillic message keeps (placeholders,
    codes); with `compare_without_kept` they are left out of the transliteration check."""
    latin, cyrl = translations("sr-Latn"), translations("sr-Cyrl")
    for msg in sorted(ids):
        lat, cyr = latin.gettext(msg), cyrl.gettext(msg)
        assert lat != msg or msg in same_in_serbian, f"sr-Latn: '{msg}' is not translated"
        assert cyr != msg or msg in same_in_serbian, f"sr-Cyrl: '{msg}' is not translated"
        for text in (lat, cyr):
            assert sorted(PLACEHOLDERS.findall(text)) == sorted(PLACEHOLDERS.findall(msg)), \
                (msg, text)
        leftover = kept_latin.sub("", cyr)
        assert not re.search(r"[A-Za-zčćžšđČĆŽŠĐ]", leftover), f"Latin letters in Cyrillic: {cyr!r}"
        if compare_without_kept:
            assert cyrtranslit.to_latin(kept_latin.sub("", cyr), "sr") == \
                kept_latin.sub("", lat), (msg, lat, cyr)
        else:
            assert cyrtranslit.to_latin(cyr, "sr") == lat, (msg, lat, cyr)
