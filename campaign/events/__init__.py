"""Publicity events (宣传活动): courtyard meetings, school lessons, enterprise training and more."""
