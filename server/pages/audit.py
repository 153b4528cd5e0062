"""The audit log for administrators: who saw or changed what, and when (PDPA)."""
from __future__ import annotations

from litestar import Router, Request, get
from litestar.response import Template
from sqlmodel import Session

from server.web.guards import admins
from server.audit.viewer import admin_entries, logged_actions
from server.audit.words import action_words, in_words
from server.review.record_words import RecordWords
from server.models import User
from server.web.templates import render

PAGE_SIZE = 100


@get("/admin/audit", sync_to_thread=True)
def audit_log(request: Request, db: Session, user: User) -> Template:
    params = request.query_params
    filters = {key: (params.get(key) or "").strip()[:64] for key in ("username", "action", "entity", "record")}
    try:
        page = max(1, min(int(params.get("page") or 1), 10_000))
    except ValueError:
        page = 1
    total, rows = admin_entries(db, filters=filters, page=page, page_size=PAGE_SIZE)
    words = action_words()
    actions = [(code, words.get(code, code)) for code in logged_actions(db)]
    record_words = RecordWords(db, user)
    record_names = record_words.record_names([(entry.entity, entry.record_id) for entry, _who in rows])
    entries = [(entry, who, in_words(entry.action, entry.entity, entry.detail, record_words)) for entry, who in rows]
    return render("audit.html", user=user, entries=entries, filters=filters, page=page, total=total,
                  record_names=record_names,
                  pages=max(1, -(-total // PAGE_SIZE)), actions=actions)


# Who may open each route, declared once here (server/web/guards.py).
routers = [
    Router(path="/", guards=[admins], route_handlers=[audit_log]),
]
