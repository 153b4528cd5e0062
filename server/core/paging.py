"""Which page of a list to show: counted by the database, the page asked for kept within range."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Integer, bindparam, func, select
from sqlmodel import Session

from server.core.numbers import parse_int


@dataclass(frozen=True)
class Page:
    number: int
    pages: int
    total: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def bounds(self) -> dict[str, int]:
        """The values of `paged(...)`'s parameters for this page."""
        return {"offset": self.offset, "limit": self.size}

    def context(self, path: str, keep: dict[str, Any]) -> dict[str, Any]:
        """What `_pager.html` needs, its links keeping the list's filters."""
        query = urlencode({k: v for k, v in keep.items() if v not in (None, "")})
        return {"total": self.total, "page": self.number, "pages": self.pages,
                "page_link": f"{path}?{query + '&' if query else ''}page="}


def page_of(db: Session, rows: Any, requested: str | None, size: int, params: dict[str, Any] | None = None) -> Page:
    """The page `requested` (1 when missing or wrong, the last one past the end) of `rows`, a select
    (with its bound `params`, if it was built once with parameters)."""
    total = db.execute(_count_of(rows), params).scalar_one()
    pages = max(1, -(-total // size))
    return Page(number=min(max(parse_int(requested) or 1, 1), pages), pages=pages, total=total, size=size)


@lru_cache(maxsize=64)
def _count_of(rows: Any) -> Any:
    """How many rows a select finds: built once for a select built once (a list's statement per shape)."""
    return select(func.count()).select_from(rows.order_by(None).subquery())


def paged(rows: Any) -> Any:
    """`rows` limited to one page whose bounds come as parameters (`Page.bounds`): a statement built once
    serves every page. Typed, as a literal limit and offset would be."""
    return rows.offset(bindparam("offset", type_=Integer())).limit(bindparam("limit", type_=Integer()))
