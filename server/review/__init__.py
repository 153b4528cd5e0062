"""Supervisors review what the phones sent: conflicts, data quality, "needs fix" tasks, the audit log."""
