"""Page languages: English, Serbian Latin and Serbian Cyrillic, from gettext catalogues.

The `.po` files are the source; they are compiled in memory when first needed
(no `.mo` files to go stale). Every `granica/<package>/locale/<lang>/LC_MESSAGES/*.po`
is merged into that language's catalogue, so a domain ships its own messages.
"""

from __future__ import annotations

import functools
import io
import threading
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES: dict[str, str] = {
    # code -> the language's own name, as shown in the switch
    "en": "English",
    "sr-Latn": "Srpski (latinica)",
    "sr-Cyrl": "Српски (ћирилица)",
}

# The `lang` attribute of <html> (BCP 47) for each code.
HTML_LANG: dict[str, str] = {"en": "en", "sr-Latn": "sr-Latn", "sr-Cyrl": "sr-Cyrl"}

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_lock = threading.Lock()


def normalise_language(value: str | None, default: str = "en") -> str:
    """Map what a user, cookie or header says to one of LANGUAGES (case and `_` tolerated)."""
    if not value:
        return default
    wanted = value.strip().replace("_", "-").lower()
    for code in LANGUAGES:
        if code.lower() == wanted:
            return code
    return default


def catalogue_files(language: str) -> list[Path]:
    """Every `.po` file for a language, the web package's own first."""
    own = sorted((PACKAGE_ROOT / "web" / "locale" / language / "LC_MESSAGES").glob("*.po"))
    others = sorted(
        p for p in PACKAGE_ROOT.glob(f"*/locale/{language}/LC_MESSAGES/*.po")
        if p.parent.parent.parent.parent.name != "web"
    )
    return own + others


def compile_po(path: Path) -> Translations:
    """Compile one `.po` file to a gettext catalogue in memory (fuzzy entries are left out)."""
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=None, domain=path.stem)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=path.stem)


@functools.cache
def translations(language: str) -> NullTranslations:
    """The merged catalogue of one language (English falls back to the message ids)."""
    with _lock:
        merged: NullTranslations | None = None
        for path in catalogue_files(language):
            compiled = compile_po(path)
            if merged is None:
                merged = compiled
            else:
                assert isinstance(merged, Translations)
                merged.merge(compiled)
        return merged if merged is not None else NullTranslations()


def reload_catalogues() -> None:
    """Forget compiled catalogues (after a `.po` file changed)."""
    translations.cache_clear()


def message_ids(include_permissions: bool = False) -> set[str]:
    """Every message the platform pages show: gettext calls in the web templates plus the
    messages kept as data (error titles and next steps, notices, permission descriptions)."""
    from babel.messages.extract import extract_from_dir

    from granica.api.errors import NEXT_STEPS, TITLES
    from granica.auth.permissions import PERMISSIONS
    from granica.web import FLASHES

    ids: set[str] = set()
    method_map = [("**.html", "jinja2")]
    options = {"**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(PACKAGE_ROOT / "web" / "templates"), method_map, options
    ):
        ids.update(message if isinstance(message, tuple) else (message,))
    ids.update(TITLES.values())
    for steps in NEXT_STEPS.values():
        ids.update(steps)
    ids.update(FLASHES.values())
    if include_permissions:  # other engineers add permissions; untranslated ones show in English
        ids.update(PERMISSIONS.values())
    return {i for i in ids if i}
