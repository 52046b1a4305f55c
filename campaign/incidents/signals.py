"""Sent once an incident is recorded or changed, in the same transaction, so that other features
(a certified target's review) react without the incident register knowing them."""
from blinker import Namespace

incident_recorded = Namespace().signal("incident-recorded")
