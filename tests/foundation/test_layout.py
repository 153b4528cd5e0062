"""The house in rooms: each part imports only downward, the web framework stays in the web rooms,
no page leans on another, nothing imports in a circle, and private names stay in their package.

Read from the code's own imports (module level and inside functions alike), so a shortcut taken
inside a function breaks the rule as surely as one at the top of a file.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# From the top floor down; a module may import its own floor's rooms (without a circle) and any below.
FLOORS: list[tuple[str, tuple[str, ...]]] = [
    ("entry points", ("server.app", "server.cli", "server.demo")),
    ("pages and the phone's API", ("server.pages", "server.api")),
    ("what every handler shares", ("server.web",)),
    ("the program", ("server.program", "server.synced", "server.review", "server.reports", "server.audit",
                     "server.auth", "server.config")),
    ("tables", ("server.models", "server.migrations")),
    ("the ground", ("server.core",)),
    ("the sync engine", ("sync",)),
]
FRAMEWORK_ROOMS = ("server.app", "server.pages", "server.api", "server.web")
LOOSE_MODULES_AT_MOST = 5


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    files = [*ROOT.joinpath("server").rglob("*.py"), *ROOT.joinpath("sync").rglob("*.py")]
    return {module_name(p): p for p in files if "migrations/versions" not in p.as_posix()}


def imports_of(path: Path, known: set[str]) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import in the file, nested ones too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = []
            for alias in node.names:
                # `from package import module` imports the module.
                if f"{node.module}.{alias.name}" in known:
                    found.append((f"{node.module}.{alias.name}", [], node.lineno))
                else:
                    names.append(alias.name)
            found.append((node.module, names, node.lineno))
    return found


def floor_of(module: str) -> int | None:
    for index, (_label, prefixes) in enumerate(FLOORS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    return None


def room_of(module: str) -> str:
    """The package a module belongs to (`server.review`, `sync`), or the module itself if loose."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "server" and len(parts) > 2 else module


def graph() -> dict[str, dict[str, list[tuple[list[str], int]]]]:
    modules = source_modules()
    known = set(modules)
    edges: dict[str, dict[str, list[tuple[list[str], int]]]] = defaultdict(lambda: defaultdict(list))
    for name, path in modules.items():
        for target, names, line in imports_of(path, known):
            if target in known and target != name:
                edges[name][target].append((names, line))
    return edges


def test_every_module_of_the_server_stands_on_a_floor():
    homeless = sorted(m for m in source_modules() if m not in ("server",) and floor_of(m) is None)
    assert not homeless, f"modules on no floor of the plan: {homeless}"


def test_imports_run_downward_only():
    upward = []
    for source, targets in graph().items():
        for target, uses in targets.items():
            s, t = floor_of(source), floor_of(target)
            if s is not None and t is not None and t < s:
                upward += [f"{source}:{line} imports {target} ({FLOORS[t][0]} above {FLOORS[s][0]})"
                           for _names, line in uses]
    assert not upward, "\n".join(upward)


def test_the_web_framework_stays_in_the_web_rooms():
    offenders = []
    for name, path in source_modules().items():
        if any(name == p or name.startswith(p + ".") for p in FRAMEWORK_ROOMS):
            continue
        for target, _names, line in imports_of(path, set()):
            if target == "litestar" or target.startswith("litestar.") or target.startswith("litestar_htmx"):
                offenders.append(f"{name}:{line} imports {target}")
    assert not offenders, "\n".join(offenders)


def test_no_page_module_imports_another():
    offenders = [f"{source}:{line} imports {target}"
                 for source, targets in graph().items() if source.startswith("server.pages.")
                 for target, uses in targets.items() if target.startswith("server.pages.")
                 for _names, line in uses]
    assert not offenders, "\n".join(offenders)


def test_no_circle_anywhere():
    edges = graph()
    circles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in edges.get(node, {}):
            if state.get(target) == 1:
                circles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(source_modules()):
        if node not in state:
            visit(node)
    assert not circles, "\n".join(circles)


def test_private_names_stay_in_their_package():
    offenders = []
    for source, targets in graph().items():
        for target, uses in targets.items():
            if room_of(source) == room_of(target):
                continue
            for names, line in uses:
                offenders += [f"{source}:{line} takes {target}.{n}" for n in names
                              if n.startswith("_") and not n.startswith("__")]
    assert not offenders, "\n".join(offenders)


def test_the_server_folder_holds_only_a_handful_of_loose_modules():
    loose = sorted(p.name for p in ROOT.joinpath("server").glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= LOOSE_MODULES_AT_MOST, loose


def test_no_module_name_is_used_twice():
    """A name says one thing: the tables of a subject (`models/groups.py`) may share its pages' name."""
    seen: dict[str, list[str]] = defaultdict(list)
    for name, path in source_modules().items():
        if path.name != "__init__.py" and not name.startswith("server.models."):
            seen[path.stem].append(name)
    twice = {stem: names for stem, names in seen.items() if len(names) > 1}
    assert not twice, twice


def test_the_check_sees_an_upward_import(tmp_path):
    """The rule is real: a program module that imported a page would be caught."""
    source = "server.program.example"
    assert floor_of(source) is not None and floor_of("server.pages.home") is not None
    assert floor_of("server.pages.home") < floor_of(source)
