"""What every office handler shares: request session, sign-in, templates, forms, errors, guards, static URLs, paging."""
