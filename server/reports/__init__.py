"""Progress and outcome figures, exports and scale data: SQL aggregates scoped to a user's area."""
