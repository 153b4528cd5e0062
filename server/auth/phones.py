"""The phones a user may see and revoke: their own, a supervisor those of their district's users, an admin
anyone's (`managed_user_ids`)."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from server.auth.areas import managed_user_ids
from server.models import Device, User


def managed_devices(db: Session, *, user: User) -> list[Any]:
    """(device, owner) for every phone the user manages: those in use first, the latest seen first."""
    query = select(Device, User).join(User, User.id == Device.user_id).order_by(
        Device.revoked_at.is_not(None), Device.last_seen_at.desc(), Device.created_at.desc())
    owners = managed_user_ids(db, user)
    if owners is not None:
        query = query.where(Device.user_id.in_(owners))
    return list(db.exec(query).all())


def managed_device(db: Session, *, user: User, device_id: str) -> Device | None:
    """The phone, or None when it does not exist or is not one the user manages."""
    device = db.get(Device, device_id)
    owners = managed_user_ids(db, user)
    if device is None or (owners is not None and device.user_id not in owners):
        return None
    return device
