"""Every colour and marker shape the maps draw, in one place, so that a colour means one thing.

Each theme has its own palette *and* its own shape, so that a reader never takes one theme's mark for
another's, even printed in grey or seen with a colour-vision deficiency. The colours come from
ColorBrewer (Cynthia Brewer's schemes, chosen among those marked colour-blind safe) and from the
Okabe–Ito set; the shapes are drawn by ``static/js/map_legends.js`` and in the legends by
``builders.swatch``.

- Coverage of a village in a round (``COVERAGE_BANDS``): sequential YlGnBu, light to dark as coverage
  rises, drawn as circles (or the village's polygon). The lightest class of the scheme is left out so
  that "< 50 %" still shows on white paper; ``OUTLINE`` edges every mark. ``NO_DATA`` is a neutral
  grey for villages with nothing in scope.
- Zero-incident villages in a period (``ZERO``, ``WITH_CASES``): the two ends of PuOr, violet for no
  case and orange for cases, drawn as squares.
- Creation targets: ``CERTIFIED`` is PiYG's magenta, drawn as a star (the plaque), and ``REVOKED`` a
  dark grey cross (the plaque taken down). Neither is in the coverage hues, so a certified village is
  never read as "≥ 95 % covered".
- Open warnings: the Reds scheme, ``WARNING`` for open and ``OVERDUE`` (darker) for those past their
  time limit, drawn as triangles.
- A grid worker's households in the current round (``HOUSEHOLD_STATUS``): Okabe–Ito, drawn as little
  houses. Not visited is white (an empty house), not home orange, refused reddish purple, reached
  bluish green, vacant or moved away black.
"""
from __future__ import annotations

from campaign.visits.models import Outcome

OUTLINE = "#525252"  # edge of coverage marks and of every legend swatch
MARK_EDGE = "#ffffff"  # edge of the badges (targets, warnings), to stand off the village's mark
PIN_EDGE = "#333333"  # edge of a household, so that a white (not visited) one shows

# (lowest coverage, colour), worst first. YlGnBu, 7-class scheme, classes 2, 3, 5 and 7.
COVERAGE_BANDS: tuple[tuple[float, str], ...] = ((0.0, "#c7e9b4"), (0.5, "#7fcdbb"), (0.8, "#1d91c0"),
                                                 (0.95, "#0c2c84"))
BAND_NAMES = ("< 50%", "50–80%", "80–95%", "≥ 95%")
NO_DATA = "#bdbdbd"

ZERO, WITH_CASES = "#542788", "#e08214"  # PuOr ends

CERTIFIED, REVOKED = "#c51b7d", "#4d4d4d"  # PiYG magenta; a dark grey

WARNING, OVERDUE = "#fb6a4a", "#a50f15"  # Reds

NOT_VISITED = "#ffffff"
HOUSEHOLD_STATUS: dict[Outcome | None, str] = {
    None: NOT_VISITED, Outcome.NOT_HOME: "#e69f00", Outcome.REFUSED: "#cc79a7", Outcome.REACHED: "#009e73",
    Outcome.VACANT: "#000000"}

# The shape of each theme's marks (names known to static/js/map_legends.js).
SHAPES = {"coverage": "circle", "zero": "square", "certified": "star", "revoked": "cross", "warnings": "triangle",
          "households": "house"}


def coverage_colour(coverage: float | None) -> str:
    """The band colour of a coverage share (0–1), grey when nothing is in scope."""
    if coverage is None:
        return NO_DATA
    return next(colour for floor, colour in reversed(COVERAGE_BANDS) if coverage >= floor)


def themes() -> dict[str, tuple[str, ...]]:
    """Each theme's colours, for checking that no two themes share one."""
    return {"coverage": (*(c for _f, c in COVERAGE_BANDS), NO_DATA), "zero": (ZERO, WITH_CASES),
            "targets": (CERTIFIED, REVOKED), "warnings": (WARNING, OVERDUE),
            "households": tuple(HOUSEHOLD_STATUS.values())}
