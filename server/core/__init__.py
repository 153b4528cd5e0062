"""What every part stands on: settings, the database, migrations, message catalogs, the one clock, house numbers."""
