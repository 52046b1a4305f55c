"""Door-knocking rounds (敲门行动): county-wide, dated, aiming at every household."""
