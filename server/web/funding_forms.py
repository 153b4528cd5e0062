"""The funding request form of a group's or a training's page: the values it shows, read back and checked."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.response import Redirect, Template

from sqlmodel import Session

from server.core.dates import to_input
from server.auth.access import NotFoundInArea
from server.models import FundingRequest, User
from server.program.funding import (
    FORM_FIELDS,
    OPEN_STATUSES,
    FundingLine,
    check_request,
    save,
    funding_source_names,
    funding_sources,
    requests_of,
    status_labels,
)
from server.web.forms import FormState, date_value, int_value, text_value


def form_values(request: FundingRequest) -> dict[str, Any]:
    return {"source": request.source, "amount_asked": request.amount_asked, "status": request.status,
            "asked_on": to_input(request.asked_on), "decided_on": to_input(request.decided_on),
            "received_on": to_input(request.received_on), "amount_received": request.amount_received or "",
            "proposal_file": request.proposal_file or "", "note": request.note or ""}


def read_form(db: Session, data: dict[str, Any], editing: FundingRequest | None):  # noqa: ANN201
    """The typed request, checked: (form with values and messages, clean values)."""
    form = FormState(values={name: text_value(data, name) or "" for name in FORM_FIELDS})
    clean: dict[str, Any] = {
        "source": text_value(data, "source"), "status": text_value(data, "status") or "drafted",
        "amount_asked": int_value(form, data, "amount_asked", required=True),
        "amount_received": int_value(form, data, "amount_received") or 0,
        "asked_on": date_value(form, data, "asked_on"), "decided_on": date_value(form, data, "decided_on"),
        "received_on": date_value(form, data, "received_on"),
        # Only the file's name: the proposal itself stays where the office keeps its documents.
        "proposal_file": (text_value(data, "proposal_file") or "").replace("\\", "/").rsplit("/", 1)[-1] or None,
        "note": text_value(data, "note"),
    }
    form.add(check_request(db, clean, editing=editing))
    return form, clean


def context(db: Session, *, group_id: str | None = None, training_id: str | None = None,
            form: Any = None, form_for: int | None = None) -> dict[str, Any]:
    """What the funding section of a group's or a training's page shows; `form` answers the request
    `form_for` (None: the new request's form)."""
    requests = requests_of(db, group_id=group_id, training_id=training_id)
    forms = {r.id: FormState(values=form_values(r)) for r in requests}
    new = FormState(values={"status": "drafted"})
    if form is not None:
        if form_for is None:
            new = form
        else:
            forms[form_for] = form
    sources = funding_sources(db, active_only=False)
    names = funding_source_names(db)
    active = [(code, names[code]) for code, o in sources.items() if o.active]
    total = FundingLine(requests=len(requests), asked=sum(r.amount_asked for r in requests),
                        received=sum(r.amount_received or 0 for r in requests),
                        waiting=sum(r.amount_asked for r in requests if r.status in OPEN_STATUSES),
                        refused=sum(r.amount_asked for r in requests if r.status == "refused"))
    return {"funding_requests": requests, "funding_forms": forms, "funding_new": new,
            "funding_source_options": active,
            "funding_source_names": names,
            "funding_statuses": list(status_labels().items()), "funding_total": total,
            "funding_action": f"/groups/{group_id}/funding" if group_id else f"/trainings/{training_id}/funding"}


def save_funding_request(db: Session, user: User, data: dict[str, Any], *, owner: dict[str, str],
                         request_id: int | None, page_again: Callable[..., Template], back: str) -> Template | Redirect:
    """A group's or a training's funding form posted (`owner`: {"group_id": …} or {"training_id": …}):
    checked, saved and answered the same way for both; a request of another owner is not found."""
    record = None
    if request_id is not None:
        record = db.get(FundingRequest, request_id)
        if record is None or any(getattr(record, name) != value for name, value in owner.items()):
            raise NotFoundInArea()
    form, clean = read_form(db, data, record)
    if not form.ok:
        return page_again(funding_form=form, funding_for=record.id if record else None, status_code=422)
    save(db, user_id=user.id, record=record or FundingRequest(**owner), clean=clean)
    db.commit()
    return Redirect(path=f"{back}#funding")
