"""Phones signed in to the sync API: each user sees and revokes their own; admins revoke any (a lost phone)."""
from __future__ import annotations

from datetime import datetime, timezone

from litestar import get, post
from litestar.response import Redirect, Template
from sqlmodel import Session, select

from server.audit import audit
from server.auth.web import NotFoundInArea
from server.models import Device, User
from server.web import render


@get("/devices", sync_to_thread=True)
def device_list(db: Session, user: User) -> Template:
    query = select(Device, User).join(User, User.id == Device.user_id).order_by(
        Device.revoked_at.is_not(None), Device.last_seen_at.desc(), Device.created_at.desc())
    if user.role != "admin":
        query = query.where(Device.user_id == user.id)
    return render("devices.html", user=user, devices=db.exec(query).all())


@post("/devices/{device_id:str}/revoke", sync_to_thread=True)
def device_revoke(db: Session, user: User, device_id: str) -> Redirect:
    device = db.get(Device, device_id)
    if device is None or (user.role != "admin" and device.user_id != user.id):
        raise NotFoundInArea()
    if device.revoked_at is None:
        device.revoked_at = datetime.now(timezone.utc)
        db.add(device)
        audit(db, action="revoke_device", user_id=user.id, entity="device", record_id=device.id,
              detail={"owner_user_id": device.user_id, "name": device.name})
        db.commit()
    return Redirect(path="/devices")


handlers = [device_list, device_revoke]
