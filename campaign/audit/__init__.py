"""The audit log: who created, changed or deleted what, when, and what changed."""
