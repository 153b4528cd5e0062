"""Docstrings stand where Python reads them: first in their class or function, not after `__tablename__`."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_docstring_comes_after_the_first_statement() -> None:
    misplaced = []
    for folder in ("server", "sync"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    misplaced += [f"{path.relative_to(ROOT)}:{statement.lineno} {node.name}"
                                  for statement in node.body[1:]
                                  if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
                                  and isinstance(statement.value.value, str)]
    assert misplaced == []
