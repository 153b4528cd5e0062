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

page_route_handlers = [*account.handlers, *field.handlers, *audit.handlers, *devices.handlers, *home.handlers, *villages.handlers, *users.handlers,
                       *sages.handlers, *trainings.handlers, *households.handlers,
                       *groups.handlers, *partners.handlers, *config.handlers, *progress.handlers, *reports.handlers,
                       *review.handlers, *signoff.handlers]
