"""The weights of the risk score: the one place where they are set.

A worker's score is the sum, over the signals, of ``weight × percentage points above the area's
median`` (a share at or below the median adds nothing). So a worker who logs 30 % of their visits
far from the door where the area's median is 4 % gets 26 × 1.0 = 26 points from that signal. The
score orders a review queue; it is never a verdict.

Why each weight:

- ``far`` 1.0: a fix more than 300 m from the door is the plainest sign that a visit was logged
  elsewhere; GPS drift in narrow streets makes some of them honest, hence not more than 1.
- ``no_fix`` 0.5: turning location off hides where a visit was made, but old phones and thick walls
  lose fixes honestly and often.
- ``too_fast`` 1.0: doors logged faster than anyone walks between them, as strong as ``far``.
- ``outside_hours`` 0.5: some residents are only home in the evening, so a visit at 21:30 may be
  honest; many at night are not. Half weight.
- ``same_answers`` 0.5: households in a village are alike and 2 people briefed, 0 installs, no note
  is common; the pattern only counts beyond the area's own median, and at half weight.
- ``short_gaps`` 0.75: under a minute between doors leaves no time to brief anyone; it overlaps
  ``too_fast`` (under 20 s), so a little less than it.
- ``callback_failures`` 2.0: a household saying nobody came is evidence from outside the worker's
  own phone, the strongest signal, once call-backs (回访抽查) exist.

``MIN_VISITS``: a worker with fewer visits in the area and round is listed apart and not ranked; a
share of 1 visit in 2 says nothing.
"""
from __future__ import annotations

WEIGHTS: dict[str, float] = {
    "far": 1.0,
    "no_fix": 0.5,
    "too_fast": 1.0,
    "outside_hours": 0.5,
    "same_answers": 0.5,
    "short_gaps": 0.75,
    "callback_failures": 2.0,
}

MIN_VISITS = 10
