"""Backups (备份) of the database: `flask backup` and `flask restore`."""
