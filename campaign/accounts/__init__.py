"""People, roles and log-in."""
