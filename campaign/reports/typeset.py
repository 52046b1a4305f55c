"""The measures of an official document (GB/T 9704-2012 党政机关公文格式) and the typesetting the
PDF engine cannot do itself: titles broken into balanced lines at word boundaries (WeasyPrint has
no ``text-wrap: balance``), and a masthead narrowed to fit the type area.

Widths are measured with the font the PDF embeds (Noto Serif CJK SC, found through fontconfig);
without it, a CJK character counts one em and anything else half of one.
"""
from __future__ import annotations

import itertools
import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache

MM = 72 / 25.4  # points in a millimetre
TYPE_WIDTH = 156 * MM  # the type area (版心) of A4: 156 mm × 225 mm
TYPE_HEIGHT = 225 * MM
BODY_SIZE = 16.0  # 3号, the size of the main text (仿宋)
TITLE_SIZE = 22.0  # 2号, the title (小标宋)
LINES, CHARS = 22, 28  # lines a page, characters a line
LINE_HEIGHT = TYPE_HEIGHT / LINES
LETTER_SPACING = TYPE_WIDTH / CHARS - BODY_SIZE - 0.02  # a little under zero: 28 characters fill the line
MASTHEAD_SIZE = 34.0  # the office's name in the red masthead (发文机关标志), before narrowing
MASTHEAD_NARROWEST = 0.55  # mastheads of long names are set in narrowed type, down to this

# Words kept whole in titles; any other character may end a line.
WORDS = ("关于", "打击治理", "电信网络诈骗", "电信诈骗", "网络诈骗", "工作", "情况", "进展", "通报", "领导小组",
         "办公室", "无诈", "创建", "敲门行动", "反诈", "宣传", "预警", "劝阻")
DATE = re.compile(r"\d+年(?:\d+月(?:\d+日)?)?|\d+月(?:\d+日)?|\d+日")
LATIN = re.compile(r"[0-9A-Za-z.%]+")
NO_LINE_START = set("，。、：；！？）》」』〕】…—·的了")
NO_LINE_END = set("（《「『〔【至")


@dataclass(frozen=True)
class Masthead:
    """The masthead's size (pt) and its horizontal scale (1 when it fits as it is)."""

    text: str
    size: float
    scale: float
    width: float  # pt, before scaling

    @property
    def margin(self) -> float:
        """The left margin (pt, negative when wider than the type area) that centres the unscaled line."""
        return (TYPE_WIDTH - self.width) / 2


@lru_cache(maxsize=4)
def _metrics(family: str) -> dict[int, float] | None:
    """Advance widths (in em) by code point for the font fontconfig picks for ``family``."""
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}:%{index}", family], capture_output=True, text=True,
                               check=True, timeout=10).stdout
        path, index = found.rsplit(":", 1)
        from fontTools.ttLib import TTFont

        font = TTFont(path, fontNumber=int(index or 0), lazy=True)
        if "CJK" not in font["name"].getDebugName(1):
            return None
        units = font["head"].unitsPerEm
        advances = font["hmtx"].metrics
        return {code: advances[glyph][0] / units for code, glyph in font.getBestCmap().items()}
    except (OSError, ValueError, KeyError, subprocess.SubprocessError):
        return None


def _fallback(char: str) -> float:
    return 0.5 if ord(char) < 0x2E80 and char != "—" else 1.0


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The width of ``text`` in points at ``size`` in the serif CJK face."""
    widths = _metrics("Noto Serif CJK SC:bold" if bold else "Noto Serif CJK SC") or {}
    return sum(widths.get(ord(c), _fallback(c)) for c in text) * size


def tokens(text: str, keep: tuple[str, ...] = ()) -> list[str]:
    """``text`` cut where a line may end: never inside a word of ``keep`` or ``WORDS``, a date
    (2026年11月29日), or a Latin word; punctuation stays with its neighbour."""
    words = sorted({w for w in (*keep, *WORDS) if w}, key=len, reverse=True)
    pieces: list[str] = []
    i = 0
    while i < len(text):
        word = next((w for w in words if text.startswith(w, i)), None)
        if word is None:
            match = DATE.match(text, i) or LATIN.match(text, i)
            word = match.group(0) if match else text[i]
        pieces.append(word)
        i += len(word)
    glued: list[str] = []
    for piece in pieces:
        if glued and (piece[0] in NO_LINE_START or glued[-1][-1] in NO_LINE_END or piece.isspace()):
            glued[-1] += piece
        else:
            glued.append(piece)
    return glued


def _chars(line: str) -> int:
    return len(line.strip())


def balanced_lines(text: str, size: float = TITLE_SIZE, width: float = TYPE_WIDTH, *,
                   keep: tuple[str, ...] = (), bold: bool = True) -> list[str]:
    """``text`` in the fewest lines that fit ``width``, broken between words, with the lines as even
    as can be (the longer ones first), and never a line of one character."""
    parts = tokens(text, keep)
    if any(text_width(p, size, bold=bold) > width for p in parts):  # a word wider than the line: cut anywhere
        parts = tokens(text)
        parts = [c for p in parts for c in ([p] if text_width(p, size, bold=bold) <= width else list(p))]
    for count in range(1, len(parts) + 1):
        best = None
        for cuts in itertools.combinations(range(1, len(parts)), count - 1):
            bounds = (0, *cuts, len(parts))
            lines = ["".join(parts[a:b]) for a, b in itertools.pairwise(bounds)]
            widths = [text_width(line, size, bold=bold) for line in lines]
            if max(widths) > width or (len(lines) > 1 and min(_chars(line) for line in lines) < 2):
                continue
            falling = all(a >= b for a, b in itertools.pairwise(widths))
            key = (round(max(widths) / size * 2), not falling, round(max(widths) - min(widths), 1))
            if best is None or key < best[0]:
                best = (key, lines)
        if best is not None:
            return best[1]
    return [text]


def masthead(text: str, size: float = MASTHEAD_SIZE, width: float = TYPE_WIDTH) -> Masthead:
    """The masthead on one line: as it is when it fits, else narrowed, and smaller only when the
    narrowest type would not fit either."""
    natural = text_width(text, size, bold=True)
    if natural <= width:
        return Masthead(text, size, 1.0, natural)
    scale = width / natural
    if scale >= MASTHEAD_NARROWEST:
        return Masthead(text, size, round(scale, 4), natural)
    size = size * scale / MASTHEAD_NARROWEST
    return Masthead(text, round(size, 2), MASTHEAD_NARROWEST, text_width(text, size, bold=True))
