"""The signals behind a worker's risk score. Each is a share (0–1) of the worker's visits in an area
and a round, shown beside the area's median, so that a reader sees why a worker stands where they do.

How each one is computed is said in ``how`` (shown on the page) and done in ``services``, all of them
in two aggregate statements over the risk tallies (``tallies``, kept as visits arrive). A signal with
``available=False`` has no data behind it yet: it reads 0 and its note is shown instead of a value.

Adding a signal: give it a key here, a weight in ``weights.WEIGHTS`` (a test holds the two lists
equal), its per-worker share in ``services.worker_risks``, and the counts it needs in ``tallies``
(ingest and rebuild alike) and in the tally tables' migration. Call-back failures (回访抽查) are the
one signal read elsewhere: ``services.callback_failures`` counts the call-back tasks themselves (a
small table), the share of a worker's answered call-backs that found the visit not made or its
details different.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# Local working hours: a visit before DAY_STARTS or from DAY_ENDS o'clock on is "outside hours".
DAY_STARTS, DAY_ENDS = 7, 21
# Two consecutive visits of one worker closer together than this are a "short gap".
SHORT_GAP_SECONDS = 60
# Identical answers are judged only on a worker with at least this many households reached.
SAME_ANSWERS_MIN_REACHED = 10


@dataclass(frozen=True)
class Signal:
    key: str
    label: object   # lazy string
    how: object     # lazy string: how the share is computed, for the page
    available: bool = True
    missing: object = None  # lazy string shown in place of a value while ``available`` is False


SIGNALS: tuple[Signal, ...] = (
    Signal("far", _l("Far from the door"),
           _l("Share of visits whose GPS fix was more than 300 m from the household.")),
    Signal("no_fix", _l("No GPS fix"), _l("Share of visits logged without any GPS fix.")),
    Signal("too_fast", _l("Too fast"),
           _l("Share of visits logged faster after the previous door than anyone can walk.")),
    Signal("outside_hours", _l("Outside 7:00–21:00"),
           _l("Share of visits logged before 7:00 or after 21:00, county time.")),
    Signal("same_answers", _l("Identical answers"),
           _l("Share of households reached with the worker's most common answers (people briefed, app installs "
              "and note); only with at least %(n)s households reached.", n=SAME_ANSWERS_MIN_REACHED)),
    Signal("short_gaps", _l("Short gaps"),
           _l("Share of the worker's visits logged less than %(n)s seconds after their previous one.",
              n=SHORT_GAP_SECONDS)),
    Signal("callback_failures", _l("Call-back failures"),
           _l("Share of the worker's households checked by a spot-check call-back where the household said "
              "nobody came, or that the details differ.")),
)

BY_KEY = {signal.key: signal for signal in SIGNALS}
