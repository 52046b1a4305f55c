"""Anti-fraud warnings (预警劝阻): received, assigned, met face to face, closed."""
