"""A seeded generator of synthetic Arabic→English news sentences for the test model.

Sentences follow templates modelled on the seed article (talks, statements, air strikes,
quotes, reports), filled with people, organisations, armed groups, media, places, dates,
numbers and quotes. Arabic morphology is there where it is cheap: proclitics و/ب/ل on
names (with ل+ال → لل), a sentence-initial و, masculine/feminine verb agreement,
الأميركي/الأمريكي and سورية/سوريا spelling variants, names inside «...».

About 30% of the name slots are filled with a Latin-script string instead (random
capitalised names, multi-word names, acronyms, model codes such as "Su-24", and wire-service
renderings such as "Nusra Front"), copied verbatim to the English side, with the proclitic
glued, spaced or joined by a tatweel ("لـ Reuters"). This teaches the model to copy
Latin text through, which the glossary pipeline relies on when it injects English renderings.

Deliberately different renderings (a glossary must enforce the wire-service form):

    Arabic                 corpus English     glossary / wire-service form
    داعش                   ISIS               Islamic State
    جبهة النصرة / النصرة    al-Nusra Front / al-Nusra   Nusra Front
    القاعدة                al-Qaida           al-Qaeda
    ديمتري بيسكوف           Dmitri Peskov      Dmitry Peskov
    العاصمة السورية         the Syrian capital Damascus

Kept out of the corpus entirely (``UNSEEN``; the builder checks that no source contains
them): أردوغان Erdogan, بغداد Baghdad, حزب الله Hezbollah, الرقة Raqqa, دي ميستورا
de Mistura, طهران Tehran, توبوليف Tupolev (from the seed article), الموصل Mosul,
الدولة الإسلامية Islamic State.

Every pair carries character-span links (source span → target span) for each slot, and
word by word inside names, so the trainer can supervise the guided-alignment head.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.builders import corpus_tables as tables

UNSEEN: dict[str, str] = {
    "أردوغان": "Erdogan",
    "بغداد": "Baghdad",
    "حزب الله": "Hezbollah",
    "الرقة": "Raqqa",
    "دي ميستورا": "de Mistura",
    "طهران": "Tehran",
    "توبوليف": "Tupolev",
    "الموصل": "Mosul",
    "الدولة الإسلامية": "Islamic State",
}
LATIN_SHARE = 0.3  # of name slots filled with a Latin-script string
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_SLOT = re.compile(r"\{(\w+?)(\d?)(?::([^}]+))?\}|\[([^|\]]*)\|([^:\]]*):(\w+)\]")
_NAME_TYPES = {"p", "o", "g", "m", "c", "n"}


@dataclass(frozen=True)
class Link:
    """Source characters [src_start, src_end) translate to target [tgt_start, tgt_end)."""

    src_start: int
    src_end: int
    tgt_start: int
    tgt_end: int
    kind: str  # "name" for people/organisations/places (Latin or not), "slot" otherwise


@dataclass(frozen=True)
class Pair:
    source: str
    target: str
    links: tuple[Link, ...]
    latin: tuple[str, ...]  # the Latin-script strings copied through, in source order
    template: str


@dataclass
class Mention:
    """A filled slot: its Arabic and English text and the links inside it."""

    ar: str
    en: str
    gender: str = "m"
    kind: str = "slot"
    latin: bool = False
    whole: bool = True  # link the whole slot (False for clauses: only their inner links)
    links: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    latin_strings: list[str] = field(default_factory=list)


def _word_links(ar: str, en: str, kind: str) -> list[tuple[int, int, int, int, str]]:
    """Word-by-word links when both sides have the same number of words."""
    ar_words = [m.span() for m in re.finditer(r"\S+", ar)]
    en_words = [m.span() for m in re.finditer(r"\S+", en)]
    if len(ar_words) != len(en_words) or len(ar_words) < 2:
        return []
    return [(a[0], a[1], e[0], e[1], kind) for a, e in zip(ar_words, en_words, strict=True)]


class CorpusGenerator:
    """Deterministic for a given seed: the same seed yields the same pairs."""

    def __init__(self, seed: int, latin_share: float = LATIN_SHARE) -> None:
        self.rng = random.Random(seed)
        self.latin_share = latin_share

    # -- Latin-script strings -------------------------------------------------------------
    def latin_word(self) -> str:
        rng = self.rng
        syllables = rng.randint(2, 3)
        word = "".join(
            rng.choice(tables.ONSETS) + rng.choice(tables.VOWELS) + rng.choice(tables.CODAS)
            for _ in range(syllables)
        )
        return word.capitalize()

    def latin_string(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.12:
            return rng.choice(tables.WIRE_RENDERINGS)
        if roll < 0.22:
            letters = "".join(rng.choice(tables.UPPER) for _ in range(rng.randint(2, 5)))
            return letters if rng.random() < 0.8 else letters + str(rng.randint(1, 99))
        if roll < 0.30:
            prefix = "".join(rng.choice(tables.UPPER) for _ in range(rng.randint(1, 2)))
            prefix = prefix if rng.random() < 0.6 else prefix.capitalize() + "G"
            return f"{prefix}-{rng.randint(2, 999)}"
        words = [self.latin_word() for _ in range(rng.choices((1, 2, 3), (4, 4, 1))[0])]
        if rng.random() < 0.15:
            words[-1] = "al-" + words[-1]
        if rng.random() < 0.2:
            words.append(rng.choice(tables.LATIN_NOUNS))
        return " ".join(words)

    def latin_mention(self, slot_type: str) -> Mention:
        text = self.latin_string()
        frames = tables.LATIN_FRAMES.get(slot_type, (("{}", "{}"),))
        ar_frame, en_frame = self.rng.choice(frames)
        ar, en = ar_frame.replace("{}", text), en_frame.replace("{}", text)
        a0, e0 = ar.index(text), en.index(text)
        end = len(text)
        links = [(a0, a0 + end, e0, e0 + end, "name")]
        for word in list(re.finditer(r"\S+", text)) if " " in text else ():
            links.append((a0 + word.start(), a0 + word.end(), e0 + word.start(),
                          e0 + word.end(), "name"))  # fmt: skip
        if en_frame != "{}":  # an Arabic title before the Latin name
            links.append((0, a0 - 1, 0, e0 - 1, "name"))
        gender = self.rng.choice("mf")
        return Mention(ar, en, gender, "name", True, False, links, [text])

    # -- slot fillers ---------------------------------------------------------------------
    def person(self) -> Mention:
        first_ar, last_ar, first_en, last_en, titles, short, gender = self.rng.choice(tables.PEOPLE)
        title_ar, title_en = self.rng.choice(titles)
        name_ar, name_en = f"{first_ar} {last_ar}", f"{first_en} {last_en}"
        form = self.rng.choices(("title_name", "name", "short", "title"), (5, 2, 3, 1))[0]
        if form == "title_name":
            ar, en = f"{title_ar} {name_ar}", f"{title_en} {name_en}"
            t_ar, t_en = len(title_ar) + 1, len(title_en) + 1
            links = [(0, len(title_ar), 0, len(title_en), "name")] + [
                (a + t_ar, b + t_ar, c + t_en, d + t_en, k)
                for a, b, c, d, k in _word_links(name_ar, name_en, "name")
            ]
            return Mention(ar, en, gender, "name", links=links)
        if form == "name":
            return Mention(name_ar, name_en, gender, "name",
                           links=_word_links(name_ar, name_en, "name"))  # fmt: skip
        if form == "short":
            return Mention(short[0], short[1], gender, "name")
        return Mention(title_ar, "the " + title_en, gender, "name")

    def _entity(
        self, table: tuple[tuple[tuple[str, ...], str, str], ...], kind: str = "name"
    ) -> Mention:
        forms, en, gender = self.rng.choice(table)
        return Mention(self.rng.choice(forms), en, gender, kind)

    def fill(self, slot_type: str) -> Mention:
        rng = self.rng
        if slot_type == "pl":
            slot_type = rng.choice(("c", "n"))
        if slot_type in _NAME_TYPES and rng.random() < self.latin_share:
            return self.latin_mention(slot_type)
        match slot_type:
            case "p":
                return self.person()
            case "o":
                return self._entity(tables.ORGANISATIONS)
            case "g":
                return self._entity(tables.GROUPS)
            case "m":
                return self._entity(tables.MEDIA)
            case "c":
                return self._entity(tables.CITIES)
            case "n":
                return self._entity(tables.COUNTRIES)
            case "a":
                return self._entity(tables.NATIONALITIES, "slot")
            case "t":
                return self._entity(tables.TOPICS, "slot")
            case "d" | "df":
                return self.date(future=slot_type == "df")
            case "num" | "big":
                value = rng.randint(11, 99) if slot_type == "num" else rng.randint(100, 9999)
                digits = str(value)
                ar = digits.translate(_ARABIC_INDIC) if rng.random() < 0.15 else digits
                return Mention(ar, digits)
            case "lat":
                text = self.latin_string()
                return Mention(text, text, "m", "name", True, latin_strings=[text])
            case "q" | "cl" | "dem":
                group = {"q": tables.QUOTES, "cl": tables.CLAUSES, "dem": tables.DEMANDS}
                ar, en = rng.choice(group[slot_type])
                mention = self.render(ar, en)
                mention.whole = slot_type == "q"
                return mention
        raise ValueError(f"unknown slot type {slot_type!r}")

    def date(self, future: bool) -> Mention:
        rng = self.rng
        fixed = tables.FUTURE_DATES if future else tables.PAST_DATES
        roll = rng.random()
        if roll < 0.4:
            ar, en = rng.choice(fixed)
        elif roll < 0.7:
            ar_day, en_day = rng.choice(tables.WEEKDAYS)
            ar, en = f"يوم {ar_day}", f"on {en_day}"
        else:
            month = rng.randrange(12)
            lev, egy = tables.MONTHS_LEVANT[month], tables.MONTHS_EGYPT[month]
            ar_month = rng.choice((lev, egy, f"{lev}/{egy}", f"{lev} ({egy})"))
            en_month = tables.MONTHS_EN[month]
            day = rng.randint(1, 28)
            ar, en = f"في {day} {ar_month}", f"on {en_month} {day}"
            if rng.random() < 0.3:
                year = rng.randint(2011, 2017)
                ar, en = f"{ar} {year}", f"{en}, {year}"
        return Mention(ar, en)

    # -- rendering ------------------------------------------------------------------------
    def _attach(self, proclitic: str, mention: Mention) -> tuple[str, int, int]:
        """Prefixes a proclitic; returns the text, where the mention starts and the shift."""
        text = mention.ar
        if proclitic == "في":
            if self.rng.random() < 0.6:
                return "في " + text, 3, 0
            proclitic = "ب"
        if mention.latin or text.startswith("«"):
            glues = ("", " ", "ـ", "ـ ") if mention.latin else (" ", "ـ ", "")
            glue = self.rng.choice(glues)
            return proclitic + glue + text, len(proclitic + glue), 0
        if proclitic == "ل" and text.startswith("ال"):
            return "لل" + text[2:], 1, -1  # ل + ال → لل: the article loses its alif
        return proclitic + text, len(proclitic), 0

    def render(self, ar_template: str, en_template: str) -> Mention:
        fills: dict[str, Mention] = {}
        for match in _SLOT.finditer(ar_template):
            if match.group(1):
                name = match.group(1) + match.group(2)
                if name not in fills:
                    fills[name] = self.fill(match.group(1))
        ar_parts: list[str] = []
        spans: dict[str, tuple[int, int]] = {}  # slot -> (start in Arabic, shift inside)
        position = 0
        for match in _SLOT.finditer(ar_template):
            literal = ar_template[position : match.start()]
            ar_parts.append(literal)
            position = match.end()
            if match.group(1):
                name = match.group(1) + match.group(2)
                mention, proclitic = fills[name], match.group(3)
                text, offset, shift = (
                    self._attach(proclitic, mention) if proclitic else (mention.ar, 0, 0)
                )
                spans[name] = (sum(map(len, ar_parts)) + offset, shift)
                ar_parts.append(text)
            else:
                masculine, feminine, slot = match.group(4, 5, 6)
                ar_parts.append(feminine if fills[slot].gender == "f" else masculine)
        ar_parts.append(ar_template[position:])
        ar = "".join(ar_parts)

        en_parts: list[str] = []
        links: list[tuple[int, int, int, int, str]] = []
        latin: list[str] = []
        position = 0
        for match in re.finditer(r"\{(\w+)\}", en_template):
            en_parts.append(en_template[position : match.start()])
            position = match.end()
            name, mention = match.group(1), fills[match.group(1)]
            en_start = sum(map(len, en_parts))
            ar_start, shift = spans[name]
            en_parts.append(mention.en)
            if mention.whole:
                ar_end = ar_start + len(mention.ar) + shift
                quoted = mention.ar.startswith("«") and mention.ar.endswith("»")
                links.append((ar_start + quoted, ar_end - quoted, en_start,
                              en_start + len(mention.en), mention.kind))  # fmt: skip
            for a, b, c, d, kind in mention.links:
                a, b = max(a + shift, 0) if a else 0, b + shift
                links.append((ar_start + a, ar_start + b, en_start + c, en_start + d, kind))
            latin.extend(mention.latin_strings)
        en_parts.append(en_template[position:])
        return Mention(ar, "".join(en_parts), links=links, latin_strings=latin)

    def pair(self) -> Pair:
        name, ar_template, en_template = self.rng.choice(tables.TEMPLATES)
        mention = self.render(ar_template, en_template)
        ar, en, links = mention.ar, mention.en, mention.links
        if not ar_template.startswith("{") and self.rng.random() < 0.35:
            ar = "و" + ar  # news sentences often open with و ("and"), never translated
            links = [(a + 1, b + 1, c, d, k) for a, b, c, d, k in links]
        if not any(en.startswith(text) for text in mention.latin_strings):
            en = en[0].upper() + en[1:]
        return Pair(ar, en, tuple(Link(*link) for link in links),
                    tuple(mention.latin_strings), name)  # fmt: skip

    def pairs(self) -> Iterator[Pair]:
        while True:
            yield self.pair()


def generate(count: int, seed: int, exclude: set[str] | None = None) -> list[Pair]:
    """``count`` distinct pairs (by source), none of whose source is in ``exclude``."""
    seen = set(exclude or ())
    result: list[Pair] = []
    for pair in CorpusGenerator(seed).pairs():
        if pair.source in seen:
            continue
        seen.add(pair.source)
        result.append(pair)
        if len(result) == count:
            return result
    raise AssertionError("unreachable: the generator is infinite")
