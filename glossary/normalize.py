"""Arabic normalisation for matching, with a map back to the original text.

Matching compares normalised text; output always uses the original. Normalisation removes
what varies between writers of the same word (diacritics, tatweel, invisible controls) and
folds letters written in several ways (أ إ آ ٱ → ا, ى → ي, ة → ه, Persian/Urdu code points,
Eastern digits, no-break spaces) so that «الرئيسُ بوتين» and «الرئيس بوتين» compare equal.
Because characters are removed (and presentation-form ligatures expanded), normalised
offsets differ from original ones; :class:`Normalized` maps them back.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

TATWEEL = "\u0640"

# Marks and invisible characters that carry no letter: removed before matching.
_DELETED_RANGES = (
    "\u0610-\u061a"  # Quranic honorifics and small signs
    "\u064b-\u065f"  # harakat: fathatan ... wavy hamza below
    "\u0670"  # superscript alef
    "\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"  # Quranic annotation marks, small waw/yeh
    "\u08d3-\u08e1\u08e3-\u08ff"  # extended Arabic marks
    "\u0640"  # tatweel
    "\u00ad\u034f\u061c"  # soft hyphen, grapheme joiner, Arabic letter mark
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"  # zero-width, bidi
    "\ufe70-\ufe74\ufe76-\ufe7f\ufc5e-\ufc63"  # isolated harakat presentation forms
)
_DELETED = re.compile(f"[{_DELETED_RANGES}]")
# Runs of characters that do not map one-to-one: deleted marks and presentation forms,
# which NFKC expands (ﻻ → لا, ﷲ → الله).
_IRREGULAR_RUN = re.compile(f"[{_DELETED_RANGES}\ufb50-\ufdff\ufe70-\ufefc]+")

_ONE_TO_ONE = {
    # Alef with hamza or madda, alef wasla and rarer alef forms.
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "\u0672": "ا",
    "\u0673": "ا",
    "\u0675": "ا",
    # Yeh: alef maqsura, Farsi yeh, Urdu yeh barree, yeh with vertical dots.
    "ى": "ي",
    "ی": "ي",
    "ے": "ي",
    "ې": "ي",
    # Heh: teh marbuta and Persian/Urdu heh forms.
    "ة": "ه",
    "ۃ": "ه",
    "ہ": "ه",
    "ھ": "ه",
    "ە": "ه",
    "ۀ": "ه",
    # Kaf: keheh and swash kaf.
    "ک": "ك",
    "ڪ": "ك",
    # Letters for sounds Arabic writes with the plain letter (ڤيينا = فيينا, پ for p).
    "ڤ": "ف",
    "ڥ": "ف",
    "پ": "ب",
}
_ONE_TO_ONE.update({chr(0x0660 + d): str(d) for d in range(10)})  # Arabic-Indic digits
_ONE_TO_ONE.update({chr(0x06F0 + d): str(d) for d in range(10)})  # Persian digits
_ONE_TO_ONE.update(
    {space: " " for space in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"}
)
_ONE_TO_ONE.update({space: " " for space in "\u2007\u2008\u2009\u200a\u202f\u205f\u3000"})
_TABLE = str.maketrans(_ONE_TO_ONE)

# A line break, as segmentation and matching both count them (CR LF is one). A single one
# may fall inside a paragraph (text wrapped by its editor); U+2029 always ends a paragraph.
LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
PARAGRAPH_SEPARATOR = "\u2029"

# A word of normalised text: letters and digits of any script (marks are gone by then).
WORD = re.compile(r"[^\W_]+")
_ARABIC_LETTER = re.compile(
    "[\u0621-\u063a\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef"
    "\u06fa-\u06fc\u06ff\u0750-\u077f\u08a0-\u08c9\ufb50-\ufd3d\ufd50-\ufdfb\ufe80-\ufefc]"
)


def contains_arabic_letter(text: str) -> bool:
    """True when `text` has at least one Arabic letter (digits and marks do not count)."""
    return _ARABIC_LETTER.search(text) is not None


def is_attached_mark(char: str) -> bool:
    """True for marks that belong to the letter before them (harakat, tatweel)."""
    return char == TATWEEL or unicodedata.category(char) == "Mn"


@dataclass(frozen=True)
class Normalized:
    """Normalised text plus the map from its code points back to the original's.

    The map is piecewise: between two anchors, normalised and original offsets advance
    together. Anchors sit where characters were removed or expanded.
    """

    text: str
    original: str
    _anchor_norm: tuple[int, ...]
    _anchor_orig: tuple[int, ...]

    def original_index(self, index: int) -> int:
        """Offset in the original of the normalised character at `index`."""
        if index >= len(self.text):
            return len(self.original)
        anchor = bisect_right(self._anchor_norm, index) - 1
        return self._anchor_orig[anchor] + index - self._anchor_norm[anchor]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) of the normalised [start, end), `end > start`.

        The end takes in diacritics and tatweel written after the last letter, so that the
        span covers the whole written word («بوتينُ», not «بوتين» plus a stray damma).
        """
        original_start = self.original_index(start)
        original_end = self.original_index(end - 1) + 1
        while original_end < len(self.original) and is_attached_mark(self.original[original_end]):
            original_end += 1
        return original_start, original_end


def normalize(text: str) -> Normalized:
    """Normalise Arabic `text` for matching; never use the result as output."""
    anchor_norm = [0]
    anchor_orig = [0]

    def anchor(norm_index: int, orig_index: int) -> None:
        if anchor_norm[-1] == norm_index:
            anchor_orig[-1] = orig_index
        elif orig_index - norm_index != anchor_orig[-1] - anchor_norm[-1]:
            anchor_norm.append(norm_index)
            anchor_orig.append(orig_index)

    pieces: list[str] = []
    norm_index = 0
    copied_up_to = 0
    for run in _IRREGULAR_RUN.finditer(text):
        pieces.append(text[copied_up_to : run.start()])
        norm_index += run.start() - copied_up_to
        for orig_index in range(run.start(), run.end()):
            replacement = _replacement(text[orig_index])
            for offset in range(len(replacement)):
                anchor(norm_index + offset, orig_index)
            pieces.append(replacement)
            norm_index += len(replacement)
        anchor(norm_index, run.end())
        copied_up_to = run.end()
    pieces.append(text[copied_up_to:])
    normalized = "".join(pieces).translate(_TABLE)
    return Normalized(normalized, text, tuple(anchor_norm), tuple(anchor_orig))


def _replacement(char: str) -> str:
    """What a deleted mark or a presentation form becomes: "" or its NFKC letters."""
    if _DELETED.match(char):
        return ""
    letters = "".join(c for c in unicodedata.normalize("NFKC", char) if not _DELETED.match(c))
    return "" if letters.isspace() else letters


def normalize_text(text: str) -> str:
    """Just the normalised string, for keys and comparisons where no map is needed."""
    return normalize(text).text
