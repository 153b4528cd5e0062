"""Answers a request asks for several times that do not change while it runs: read once per request.

A request's session remembers them (`session.info`) from `remember_answers` to `forget_answers` (the
request session's middleware calls both). An answer is forgotten when a flush of that session writes a
row of a table it was read from, and when the transaction rolls back; a session that was not made to
remember (a script's, the sync engine's own) computes each time.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlmodel import Session

_ANSWERS = "sammachip.answers"
T = TypeVar("T")


def remember_answers(session: Session) -> None:
    session.info[_ANSWERS] = {}


def forget_answers(session: Session) -> None:
    session.info.pop(_ANSWERS, None)


def answer_once(session: Session, key: tuple, read_from: tuple[type, ...], compute: Callable[[], T]) -> T:
    """`compute()`, or what it answered earlier in this request. `read_from`: the models whose rows the
    answer depends on (a write to one of them forgets it)."""
    answers = session.info.get(_ANSWERS)
    if answers is None:
        return compute()
    if key not in answers:
        answers[key] = (read_from, compute())
    return answers[key][1]


@event.listens_for(Session, "after_flush")
def _forget_what_changed(session: Session, _context: Any) -> None:
    answers = session.info.get(_ANSWERS)
    if not answers:
        return
    written = {type(row) for rows in (session.new, session.dirty, session.deleted) for row in rows}
    if written:
        for key in [k for k, (read_from, _a) in answers.items() if any(issubclass(w, read_from) for w in written)]:
            del answers[key]


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    answers = session.info.get(_ANSWERS)
    if answers:
        answers.clear()
