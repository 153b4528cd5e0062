"""Sign-in, sessions, roles and the area each user may see."""
