"""What a phone is called, so a supervisor can tell two phones apart: by default "<officer> · <phone
model>" (or a short number when the browser does not say its model), named at sign-in and renamed by
the officer on the phone or by a supervisor on /devices."""
from __future__ import annotations

import re

from server.models import User

DEVICE_NAME_MAX = 100
# Chrome on Android: "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/…" (the model may be "K"
# where the browser reduces its user agent, which names no model).
_ANDROID_MODEL = re.compile(r"Android [0-9.]+; ([^;)]+?)(?: Build/[^;)]*)?[;)]")
_IOS = re.compile(r"\((iPhone|iPad)")
# What `navigator.platform` says ("Linux armv8l", "Win32", "MacIntel"): no person typed it.
_PLATFORM = re.compile(r"(Linux|Win|Mac|iPhone|iPad|Android)\S*( \S+)?( · .*)?", re.I)


def clean(name: str | None) -> str:
    """A name as it is kept: one line, no NUL, spaces collapsed, at most DEVICE_NAME_MAX characters."""
    return " ".join((name or "").replace("\x00", "").split())[:DEVICE_NAME_MAX]


def phone_model(user_agent: str | None) -> str | None:
    """The phone's model named by a browser's user agent, when it names one."""
    text = user_agent or ""
    found = _ANDROID_MODEL.search(text)
    if found and found.group(1).strip() not in ("K", "Linux", "") and len(found.group(1).strip()) > 1:
        return found.group(1).strip()
    found = _IOS.search(text)
    return found.group(1) if found else None


def looks_generated(name: str) -> bool:
    """A name nobody typed: empty, or a browser's user agent or platform string."""
    return (not name or "Mozilla/" in name or "AppleWebKit" in name or name.lower() in ("phone", "device")
            or _PLATFORM.fullmatch(name) is not None)


def default_name(user: User, *, device_id: str, given: str | None, user_agent: str | None) -> str:
    """The name a new device gets: what the phone sent if a person typed it, otherwise
    "<officer> · <model>" or "<officer> · #<first 4 of its id>"."""
    typed = clean(given)
    if not looks_generated(typed):
        return typed
    model = phone_model(given) or phone_model(user_agent)
    who = user.display_name or user.username
    return clean(f"{who} · {model or '#' + device_id[:4].upper()}")
