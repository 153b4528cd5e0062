"""Server-rendered pages, one module per area of the program."""
from __future__ import annotations

from server.pages import (
    account,
    audit,
    config,
    devices,
    field,
    groups,
    home,
    households,
    match,
    partners,
    progress,
    reports,
    review,
    sages,
    signoff,
    trainings,
    users,
    villages,
)

# Each module's routers declare who may open its routes (server/web/guards.py).
page_routers = [*account.routers, *field.routers, *audit.routers, *devices.routers, *home.routers, *villages.routers,
                *users.routers, *sages.routers, *trainings.routers, *households.routers, *match.routers,
                *groups.routers, *partners.routers, *config.routers, *progress.routers, *reports.routers,
                *review.routers, *signoff.routers]
