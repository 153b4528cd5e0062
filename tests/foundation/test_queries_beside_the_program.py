"""Queries live beside the program, not in page handlers: a page parses the request, asks the program's
rooms a question by name (`household_page_rows(...)`), and renders the answer.

Read from the pages' syntax trees: a call of `.exec`, `.execute` or `.scalars`, or a `select(...)` built
in a page module, is a query in a handler.
"""
from __future__ import annotations

import ast
from pathlib import Path

PAGES = Path(__file__).resolve().parents[2] / "server" / "pages"
QUERY_METHODS = frozenset({"exec", "execute", "scalars"})


def queries_in(source: str) -> list[str]:
    """`line: what` for every query a module's code runs or builds."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        call = node.func
        if isinstance(call, ast.Attribute) and call.attr in QUERY_METHODS:
            found.append(f"{node.lineno}: .{call.attr}(...)")
        elif isinstance(call, ast.Name) and call.id == "select" or \
                isinstance(call, ast.Attribute) and call.attr == "select":
            found.append(f"{node.lineno}: select(...)")
    return sorted(found, key=lambda where: int(where.split(":")[0]))


def page_modules() -> list[Path]:
    return sorted(PAGES.glob("*.py"))


def test_no_page_module_runs_or_builds_a_query():
    offenders = [f"server/pages/{path.name}:{where}" for path in page_modules() for where in queries_in(path.read_text())]
    assert len(page_modules()) > 10
    assert not offenders, "queries in page handlers (move them beside the program):\n" + "\n".join(offenders)


def test_the_check_sees_a_query_in_a_handler():
    handler = ("def page(db, user):\n"
               "    rows = db.exec(select(Household).where(Household.village_id == 'v')).all()\n"
               "    total = db.scalars(sa.select(func.count())).one()\n"
               "    db.execute(text('select 1'))\n")
    assert sorted(queries_in(handler)) == ["2: .exec(...)", "2: select(...)", "3: .scalars(...)",
                                           "3: select(...)", "4: .execute(...)"]
    assert queries_in("def page(db, user):\n    return household_page_rows(db, user=user)\n") == []
