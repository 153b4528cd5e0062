"""Views of personal data, audited by declaration: a route that shows a household's or a sage's data
says so once (`@shows_personal_data(...)`), and every successful view of it is written to the audit
log (PDPA) — no handler has to remember to, and none can forget.

A record's page is a view each time it is opened (an htmx swap of an edit form shows the full
citizen ID too); a list is one view per page shown, not one per keystroke of a search (an htmx
fragment). The entry names the record, or, for a list, the filters and page asked for. When the
entry cannot be written (a busy database), the data is not shown: the error answers instead.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from litestar import Request
from sqlmodel import Session

from server.audit.log import audit
from server.core.db import write_intent
from server.web.request_session import SAFE_METHODS
from server.web.templates import wants_fragment

AUDITED = "__shows_personal_data__"


def shows_personal_data(entity: str, *, record: str | None = None) -> Callable[[Callable], Callable]:
    """Declare that a route shows personal data of `entity`: of one record, whose id is the path
    parameter `record`, or (without it) of a list. The handler needs `db`, `user` and `request`."""

    def declare(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def audited(*args: Any, **kwargs: Any) -> Any:
            answer = handler(*args, **kwargs)
            request: Request = kwargs["request"]
            if _shown(answer) and (record is not None or not wants_fragment(request)):
                db: Session = kwargs["db"]
                detail = {**request.path_params, **{k: v for k, v in request.query_params.items() if v}}
                if record is None:
                    detail["list"] = True
                else:
                    detail.pop(record, None)
                if request.method in SAFE_METHODS:
                    # The page's reads are done: their transaction ends first, so the entry is written
                    # by the same connection (on SQLite a write from another one would make this one
                    # read every page it had cached again, on its next request).
                    db.commit()
                with write_intent():
                    audit(db, action="view", entity=entity, user_id=kwargs["user"].id,
                          record_id=str(kwargs[record]) if record else None, detail=detail)
                    db.commit()
            return answer

        setattr(audited, AUDITED, (entity, record))
        return audited

    return declare


def _shown(answer: Any) -> bool:
    """Data was answered: a page or a file, or a form shown again with what was wrong (not a redirect)."""
    status = getattr(answer, "status_code", None) or 200
    return status < 300 or status in (400, 409, 422)


def audited_view(handler_fn: Callable) -> tuple[str, str | None] | None:
    """What a route handler's function declared (entity, record parameter), if anything (a sync
    handler run in the thread pool is held wrapped, as `func`)."""
    return getattr(getattr(handler_fn, "func", handler_fn), AUDITED, None)
