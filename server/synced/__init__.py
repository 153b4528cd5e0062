"""The synced entities: their specs for the sync engine and the one write path every office write takes."""
