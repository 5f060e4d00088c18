"""Server-rendered pages: the Jinja2 environment, `render()`, the layout and the translations.

Domain templates live in `granica/<domain>/templates/<domain>/...` and extend
`base.html`; `render()` gives every template the user, the language, the CSRF
token and the navigation.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.support import NullTranslations
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from granica.settings import get_settings
from granica.web import csrf, nav
from granica.web.i18n import HTML_LANG, LANGUAGES, normalise_language, translations

WEB_DIR = Path(__file__).resolve().parent
PACKAGE_ROOT = WEB_DIR.parent
STATIC_DIR = WEB_DIR / "static"
LANGUAGE_COOKIE = "granica_lang"

# The catalogue of the template being rendered; gettext calls in templates read it.
_current: contextvars.ContextVar[NullTranslations] = contextvars.ContextVar("granica_translations")


def _gettext(message: str) -> str:
    return _current.get(translations("en")).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get(translations("en")).ngettext(singular, plural, n)


def gettext(language: str, message: str) -> str:
    """Translate one message outside a template (flash messages, error titles)."""
    return translations(language).gettext(message)


def localtime(value: dt.datetime | dt.date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored UTC instant in the node's local time zone (settings.local_timezone)."""
    if value is None:
        return "—"
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    if value.tzinfo is None:  # stored values are UTC even when a driver drops the zone
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(ZoneInfo(get_settings().local_timezone))
    return f"{local.strftime(fmt)} {local.tzname()}"


_CODE_BLOCK = re.compile(r"```(?:\w+)?\n(.*?)```", re.DOTALL)
_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")


def simple_markdown(text: str | None) -> Markup:
    """The little Markdown that API docstrings use (paragraphs, **bold**, `code`, fences),
    rendered after escaping, so a docstring can never inject markup."""
    if not text:
        return Markup("")
    blocks: list[str] = []

    def keep_block(m: re.Match[str]) -> str:
        blocks.append(f"<pre><code>{escape(m.group(1).rstrip())}</code></pre>")
        return f"\x00{len(blocks) - 1}\x00"

    body = _CODE_BLOCK.sub(keep_block, text)
    out = []
    for para in re.split(r"\n\s*\n", body.strip()):
        html = str(escape(para))
        html = _CODE.sub(r"<code>\1</code>", html)
        html = _STRONG.sub(r"<strong>\1</strong>", html)
        html = re.sub(r"\x00(\d+)\x00", lambda m: blocks[int(m.group(1))], html)
        out.append(html if html.startswith("<pre>") else f"<p>{html}</p>")
    return Markup("\n".join(out))


def _static_url(name: str) -> str:
    return f"/static/{name}?v={_static_version(name)}"


@functools.lru_cache(maxsize=64)
def _static_version(name: str) -> str:
    # cache busting: the file's mtime, so a browser never keeps an old stylesheet
    try:
        return str(int((STATIC_DIR / name).stat().st_mtime))
    except OSError:
        return "0"


def template_dirs() -> list[Path]:
    """The layout's own templates first, then each package's `templates` folder."""
    dirs = [WEB_DIR / "templates"]
    dirs += sorted(p for p in PACKAGE_ROOT.glob("*/templates") if p.is_dir() and p.parent != WEB_DIR)
    return dirs


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs()]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["localtime"] = localtime
    env.filters["markdown"] = simple_markdown
    env.globals["static"] = _static_url
    env.globals["LANGUAGES"] = LANGUAGES
    return env


# Short notices shown after a redirect (`?flash=code`), as gettext message ids.
FLASHES: dict[str, str] = {
    "logged_out": "You have logged out. Close the browser if this is a shared computer.",
    "language": "Language changed.",
    "session_expired": "Your session has expired. Please log in again.",
}


def agency_label(code: str, language: str) -> str:
    """An agency's name in the page language (Serbian names are kept in Latin script)."""
    from granica.auth.permissions import AGENCIES

    agency = AGENCIES.get(code)
    if agency is None:
        return code
    if language == "en":
        return agency.name
    if language == "sr-Cyrl":
        import cyrtranslit

        return str(cyrtranslit.to_cyrillic(agency.name_sr, "sr"))
    return agency.name_sr


def page_language(request: Request) -> str:
    """The user's language when logged in, else the language cookie, else the node default."""
    default = get_settings().default_language
    principal = getattr(request.state, "principal", None)
    if principal is not None and principal.language:
        return normalise_language(principal.language, default)
    return normalise_language(request.cookies.get(LANGUAGE_COOKIE), default)


def csrf_field(request: Request) -> Markup:
    token = csrf.request_token(request)
    return Markup(f'<input type="hidden" name="{csrf.CSRF_FIELD}" value="{escape(token)}">')


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page in the user's language with the layout's context; set the CSRF cookie."""
    settings = get_settings()
    language = page_language(request)
    principal = getattr(request.state, "principal", None)
    agency = principal.agency if principal is not None else None
    here = request.url.path
    nav_items = nav.allowed(principal)
    full: dict[str, Any] = {
        "request": request,
        "principal": principal,
        "agency_name": agency_label(agency, language) if agency else "",
        "language": language,
        "html_lang": HTML_LANG[language],
        "csrf_token": csrf.request_token(request),
        "csrf_field": csrf_field(request),
        "nav_items": nav_items,
        "nav_current": nav.current(nav_items, here),
        "current_path": here,
        "current_url": here + (f"?{request.url.query}" if request.url.query else ""),
        "settings": settings,
        # only known notices: a free-text query parameter would let a link put words in our mouth
        "flash": FLASHES.get(request.query_params.get("flash") or ""),
    }
    if context:
        full.update(context)
    token = _current.set(translations(language))
    try:
        html = environment().get_template(template).render(full)
    finally:
        _current.reset(token)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    csrf.set_cookie_if_new(request, response)
    return response
