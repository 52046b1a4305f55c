"""Call-back samples (回访抽查): a sample of reached households, checked by someone else by phone or revisit."""
