"""The layer rules of ../shared/docs/architecture.md, read from every module's imports: arrows
point down only (libraries < platform < domains < interfaces), and a domain reaches another
domain only through that domain's `service.py`. A package's `api.py` and `pages.py` (its
router and screens, and `pages_*.py` where its screens fill more than one module) are
interface rooms in its folder."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import granica

ROOT = Path(granica.__file__).parent

# The packages (or modules) of each layer; a higher number is a higher layer.
LAYERS: dict[str, tuple[str, ...]] = {
    "base": ("errors",),  # the error types every layer raises
    "library": ("names", "documents", "biometrics"),
    "platform": ("settings", "storage", "auth", "audit", "exchange", "clock", "jobs", "ops", "dpo"),
    "domain": ("sis", "sirene", "asylum", "border", "cooperation", "analysis"),
    "interface": ("api", "web", "cli", "__main__"),
}
LAYER_OF = {name: layer for layer, names in LAYERS.items() for name in names}
INTERFACE_ROOMS = ("api", "pages")  # granica.<package>.api / .pages

# Arrows that still point up, each named with its owner; a fixed arrow left here fails the
# test below. Empty since the libraries take `today` as an argument.
KNOWN_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    base = ROOT.parent.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> Iterator[str]:
    """Every granica module this file imports, at the top, inside a function, or by name
    (`importlib.import_module("granica.x")` and helpers taking a module name)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(name := node.args[0].value, str) and name.startswith("granica.") \
                and _is_module(name):
            yield name
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "granica")
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from its package upwards
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if source.split(".")[0] != "granica":
                continue
            for alias in node.names:  # `from granica.sis import service` imports a module
                sub = f"{source}.{alias.name}"
                yield sub if _is_module(sub) else source


def _top(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    if len(parts) > 2 and (parts[2] in INTERFACE_ROOMS
                           or parts[2].startswith(tuple(f"{r}_" for r in INTERFACE_ROOMS))):
        return "interface"
    return LAYER_OF.get(_top(dotted))


def violation(importer: str, imported: str) -> str | None:
    """Why this arrow breaks a layer rule, or None when it points down (or sideways)."""
    a, b = layer_of(importer), layer_of(imported)
    if a is None or b is None or _top(importer) == _top(imported) and a == b:
        return None
    ranks = list(LAYERS)
    if ranks.index(b) > ranks.index(a):
        return f"{a} {importer} imports {b} {imported}"
    if a == b == "domain" and _top(importer) != _top(imported) \
            and imported.split(".")[2:3] != ["service"]:
        return f"domain {importer} imports {imported}, not granica.{_top(imported)}.service"
    return None


def arrows() -> Iterator[tuple[str, str]]:
    for path in sorted(ROOT.rglob("*.py")):
        importer = _module_name(path)
        for imported in _imports(path):
            yield importer, imported


def test_every_top_level_package_has_a_layer() -> None:
    tops = {p.stem if p.suffix else p.name for p in ROOT.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    assert tops - set(LAYER_OF) == set(), "give every granica package a layer in LAYERS"


def test_arrows_point_down_and_domains_meet_through_their_service() -> None:
    found = {(a, b): why for a, b in arrows() if (why := violation(a, b))}
    new = sorted(why for arrow, why in found.items() if arrow not in KNOWN_EXCEPTIONS)
    assert not new, "imports against the layers:\n" + "\n".join(new)
    fixed = sorted(KNOWN_EXCEPTIONS - set(found))
    assert not fixed, f"fixed, remove from KNOWN_EXCEPTIONS: {fixed}"


# TODO(integrator): private names still imported across modules (libraries engineer's area).
KNOWN_PRIVATE_IMPORTS: frozenset[tuple[str, str]] = frozenset()


def private_imports() -> Iterator[tuple[str, str]]:
    """(importer, module.name) for every `from granica.x import _name` of another module."""
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("granica"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        yield _module_name(path), f"{node.module}.{alias.name}"


def test_no_module_imports_another_modules_private_helpers() -> None:
    found = set(private_imports())
    assert not found - KNOWN_PRIVATE_IMPORTS, "make these public where they are declared: " \
        f"{sorted(found - KNOWN_PRIVATE_IMPORTS)}"
    assert not KNOWN_PRIVATE_IMPORTS - found, "fixed, remove from KNOWN_PRIVATE_IMPORTS: " \
        f"{sorted(KNOWN_PRIVATE_IMPORTS - found)}"


def test_the_rules_catch_an_upward_arrow() -> None:
    assert violation("granica.documents.mrz", "granica.clock")
    assert violation("granica.jobs", "granica.sis.service")
    assert violation("granica.jobs", "granica.api.metrics")
    assert violation("granica.sis.service", "granica.web.i18n")
    assert violation("granica.border.sources", "granica.sis.search")
    assert violation("granica.border.sources", "granica.sis.service") is None
    assert violation("granica.api.app", "granica.sis.api") is None
    assert violation("granica.sis.search", "granica.sis.visibility") is None
    assert violation("granica.sis.pages", "granica.web.nav") is None  # a screen is an interface
    assert violation("granica.asylum.pages_training", "granica.web.nav") is None
    assert violation("granica.sis.service", "granica.sis.pages")  # a domain reaching its screens
    assert violation("granica.border.sources", "granica.sis.pages")
