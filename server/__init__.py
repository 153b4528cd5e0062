"""Sammachip: the server of the community right-livelihood (สัมมาชีพชุมชน) field app."""
