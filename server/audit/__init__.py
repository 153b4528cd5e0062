"""The audit log: writing entries, their words, and the viewer supervisors read it with."""
