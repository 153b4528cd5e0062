"""Who may do what: the access errors every part raises and the role check, free of any web framework."""
from __future__ import annotations

from server.models import User


class LoginRequired(Exception):
    """The page needs a signed-in user; answered with a redirect to the sign-in page."""


class PermissionDenied(Exception):
    """The user is signed in but their role may not do this; answered 403."""


class NotFoundInArea(Exception):
    """The record does not exist or lies outside the user's area; answered 404 either way."""


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise PermissionDenied()
