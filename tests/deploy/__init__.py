"""Tests of the server as it is deployed: the installed package, backups, logs, several processes."""
