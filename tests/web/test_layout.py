"""The layout's navigation and how domains are found (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from granica.api.app import _optional_module
from granica.web.nav import NavItem, current


def test_the_deepest_matching_entry_is_the_current_page() -> None:
    items = [NavItem("Alerts", "/alerts"), NavItem("New alert", "/alerts/new"),
             NavItem("Checks", "/border")]
    assert current(items, "/alerts/new") == "/alerts/new"
    assert current(items, "/alerts/123") == "/alerts"
    assert current(items, "/alertsx") is None
    assert current(items, "/") == "/"


def test_a_domain_not_written_yet_is_skipped_but_a_broken_one_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _optional_module("granica.no_such_domain.api") is None
    pkg = tmp_path / "brokendomain"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "api.py").write_text("import a_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _optional_module("brokendomain.pages") is None
    with pytest.raises(ModuleNotFoundError, match="a_dependency_that_is_not_installed"):
        _optional_module("brokendomain.api")


def test_docstring_markdown_is_escaped_before_it_is_formatted() -> None:
    from granica.web import simple_markdown

    html = str(simple_markdown("Send **X-Purpose** <script>x</script>\n\n```json\n{\"a\": \"<b>\"}\n```"))
    assert "<strong>X-Purpose</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<pre><code>" in html and "&lt;b&gt;" in html
