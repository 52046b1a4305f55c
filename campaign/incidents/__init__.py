"""Fraud incidents (涉诈案件/警情) and zero-incident villages (零发案)."""
