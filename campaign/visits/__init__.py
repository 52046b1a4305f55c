"""Door-knock visits (入户走访): logged on the phone, offline first, counted exactly once."""
