"""`column IN (a list)` with the list bound as one parameter, whatever its length.

SQLAlchemy's expanding parameter (`bindparam(..., expanding=True)`) writes a placeholder per item into
the statement's text on every execution: for a page of 200 ids that rewriting cost half as much as the
query, and every length is another statement to the driver. Here the list travels as one value: SQLite
reads it as JSON text (`json_each`), PostgreSQL as an array (`unnest`); both look each item up in the
column's index, as they do for a written-out list.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class ItemsOf(ColumnElement[Any]):
    """The items of the list bound to one parameter, as the right side of IN."""

    inherit_cache = True
    _traverse_internals = [("list", InternalTraversal.dp_clauseelement)]

    def __init__(self, list_parameter: BindParameter[Any]) -> None:
        self.list = list_parameter


@compiles(ItemsOf, "sqlite")
def _sqlite_items(element: ItemsOf, compiler: Any, **kw: Any) -> str:
    return f"(SELECT value FROM json_each({compiler.process(element.list, **kw)}))"


@compiles(ItemsOf, "postgresql")
def _postgresql_items(element: ItemsOf, compiler: Any, **kw: Any) -> str:
    return f"(SELECT unnest({compiler.process(element.list, **kw)}))"


def in_list(column: Any, name: str) -> ColumnElement[bool]:
    """`column IN (:name)` where `:name` is bound to a list (or any iterable) at execution."""
    items = bindparam(name, type_=JSON().with_variant(ARRAY(column.type), "postgresql"))
    return column.op("IN")(ItemsOf(items))
