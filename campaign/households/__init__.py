"""Households (住户): the denominator of every coverage figure."""
