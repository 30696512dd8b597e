"""The YAML glossary schema: loading, every rejection rule, and writing back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tarjama.glossary import (
    MAX_FILE_BYTES,
    Glossary,
    GlossaryError,
    Problem,
    Term,
    dump_glossary,
    load_glossary,
    parse_glossary,
    validate_terms,
)

GLOSSARIES = Path(__file__).parent / "data" / "glossaries"
HEADER = "name: news\nterms:\n"


def test_valid_file_loads_with_every_field() -> None:
    glossary = load_glossary(GLOSSARIES / "news_small.yaml")
    assert (glossary.name, glossary.version) == ("news-small", 3)
    assert glossary.description == "People, organisations and places of the seed article"
    assert (glossary.source_language, glossary.target_language) == ("ar", "en")
    assert len(glossary.terms) == 14
    islamic_state = next(t for t in glossary.terms if t.target == "Islamic State")
    assert islamic_state.sources == ("داعش", "تنظيم الدولة الإسلامية")
    assert islamic_state.kind == "organization"
    assert islamic_state.exact is True
    assert islamic_state.note == "داعش is never written with proclitics in wire copy"
    assert islamic_state.line == 26
    putin = glossary.terms[1]
    assert (putin.sources, putin.kind, putin.note, putin.exact, putin.line) == (
        ("بوتين",),
        "person",
        "",
        False,
        11,
    )


def test_optional_fields_take_their_defaults() -> None:
    glossary = parse_glossary(HEADER + "  - source: حلب\n    target: Aleppo\n", "g.yaml")
    assert glossary == Glossary("news", (Term(("حلب",), "Aleppo", kind="other"),))
    assert glossary.version is None


@pytest.mark.parametrize("empty_terms", ["terms: []\n", "terms:\n"])
def test_a_glossary_may_have_no_terms_yet(empty_terms: str) -> None:
    assert parse_glossary("name: empty\n" + empty_terms, "g.yaml").terms == ()


def test_byte_order_mark_is_accepted() -> None:
    glossary = parse_glossary("\ufeff" + HEADER + "  - source: حلب\n    target: Aleppo\n", "g")
    assert glossary.terms[0].target == "Aleppo"


def term_yaml(source: str = "حلب", target: str = "Aleppo", extra: str = "") -> str:
    return HEADER + f"  - source: {source}\n    target: {target}\n{extra}"


LONG_ARABIC = "ب" * 513  # 1026 UTF-8 bytes
INVALID_CASES = [
    pytest.param("name: news\nterms: [a, b\n", r"g\.yaml:3: YAML syntax error", id="syntax"),
    pytest.param(
        HEADER + "  - source: حلب\n\ttarget: Aleppo\n",
        r"g\.yaml:4: YAML syntax error",
        id="tab-indent",
    ),
    pytest.param(
        term_yaml(source="بوتين\x07"),
        r"g\.yaml:3: character U\+0007 is not allowed in YAML",
        id="raw-control-character",
    ),
    pytest.param("", r"g\.yaml:1: the file is empty", id="empty-file"),
    pytest.param("- just\n- a list\n", r"g\.yaml:1: expected a mapping", id="root-not-mapping"),
    pytest.param("name: news\n", r"g\.yaml:1: terms is missing", id="missing-terms"),
    pytest.param("name: news\nterms: حلب\n", r"g\.yaml:2: terms must be a list", id="terms-text"),
    pytest.param(HEADER + "  - حلب\n", r"g\.yaml:3: each term must be a mapping", id="term-text"),
    pytest.param(
        "name: news\ncolour: red\nterms: []\n",
        r"g\.yaml:2: unknown key 'colour': use name, description",
        id="unknown-top-key",
    ),
    pytest.param(
        term_yaml(extra="    colour: red\n"),
        r"g\.yaml:5: حلب: unknown key 'colour': use source, target, kind, note, exact, "
        r"article, guard, ambiguous, skip_when, apply_when",
        id="unknown-term-key",
    ),
    pytest.param(
        term_yaml(extra="    target: Halab\n"),
        r"g\.yaml:5: حلب: duplicate key 'target' \(also at line 4\)",
        id="duplicate-term-key",
    ),
    pytest.param(
        "name: news\nname: other\nterms: []\n",
        r"g\.yaml:2: duplicate key 'name' \(also at line 1\)",
        id="duplicate-top-key",
    ),
    pytest.param("terms: []\n", r"g: name is missing", id="missing-name"),
    pytest.param(
        "name: News Agency\nterms: []\n", r"g\.yaml:1: name 'News Agency' is not valid", id="name"
    ),
    pytest.param(
        f"name: {'a' * 65}\nterms: []\n", r"g\.yaml:1: name 'a{65}' is not valid", id="name-long"
    ),
    pytest.param(
        "name: news\nsource_language: fa\nterms: []\n",
        r"g\.yaml:2: source_language must be 'ar'",
        id="source-language",
    ),
    pytest.param(
        "name: news\ntarget_language: fr\nterms: []\n",
        r"g\.yaml:2: target_language must be 'en'",
        id="target-language",
    ),
    pytest.param(
        "name: news\nversion: 0\nterms: []\n",
        r"g\.yaml:2: version must be a positive integer, not 0",
        id="version-zero",
    ),
    pytest.param(
        "name: news\nversion: two\nterms: []\n",
        r"g\.yaml:2: version must be a positive integer, not 'two'",
        id="version-text",
    ),
    pytest.param(
        "name: news\nversion: true\nterms: []\n",
        r"g\.yaml:2: version must be a positive integer, not True",
        id="version-bool",
    ),
    pytest.param(
        HEADER + "  - target: Aleppo\n",
        r"g\.yaml:3: Aleppo: source is missing or empty",
        id="missing-source",
    ),
    pytest.param(
        term_yaml(source='""'), r"g\.yaml:3: Aleppo: a source form is empty", id="empty-source"
    ),
    pytest.param(
        term_yaml(source="[]"), r"g\.yaml:3: Aleppo: source is missing or empty", id="empty-list"
    ),
    pytest.param(
        term_yaml(source="[حلب, '  ']"), r"g\.yaml:3: حلب: a source form is empty", id="blank-form"
    ),
    pytest.param(
        HEADER + "  - source: حلب\n",
        r"g\.yaml:3: حلب: target is missing or empty",
        id="missing-target",
    ),
    pytest.param(
        term_yaml(target='"  "'), r"g\.yaml:3: حلب: target is missing or empty", id="empty-target"
    ),
    pytest.param(
        term_yaml(target="1967"),
        r"g\.yaml:4: حلب: target must be text: put 1967 in quotes",
        id="target-number",
    ),
    pytest.param(
        term_yaml(source="[حلب, 12]"),
        r"g\.yaml:3: حلب: source 12 must be Arabic text",
        id="source-number",
    ),
    pytest.param(
        term_yaml(source="ISIS"), r"g\.yaml:3: ISIS: source 'ISIS' has no Arabic letter", id="latin"
    ),
    pytest.param(
        term_yaml(source="'٢٠١٥'"),
        r"g\.yaml:3: ٢٠١٥: source '٢٠١٥' has no Arabic letter",
        id="digits-only",
    ),
    pytest.param(
        term_yaml(source='"حلب\\a"'),
        r"g\.yaml:3: .*: source 'حلب\\x07' contains control characters",
        id="escaped-control-character",
    ),
    pytest.param(
        term_yaml(target='"Aleppo\\u202e"'),
        r"g\.yaml:3: حلب: target 'Aleppo\\u202e' contains control characters",
        id="bidi-override",
    ),
    pytest.param(
        term_yaml(target='"Aleppo\\nCity"'),
        r"g\.yaml:3: حلب: target 'Aleppo\\nCity' contains control characters",
        id="newline-in-target",
    ),
    pytest.param(
        term_yaml(extra="    kind: city\n"),
        r"g\.yaml:3: حلب: kind 'city' is not one of person, organization, place, other",
        id="kind",
    ),
    pytest.param(
        term_yaml(extra="    exact: maybe\n"),
        r"g\.yaml:5: حلب: exact must be true or false",
        id="exact-not-bool",
    ),
    pytest.param(
        term_yaml(source=LONG_ARABIC),
        r"g\.yaml:3: ب+…: source 'ب+…' is 1026 UTF-8 bytes, over the 1024 limit",
        id="source-too-long",
    ),
    pytest.param(
        term_yaml(target="A" * 1025),
        r"g\.yaml:3: حلب: target 'A+…' is 1025 UTF-8 bytes, over the 1024 limit",
        id="target-too-long",
    ),
    pytest.param(
        term_yaml() + "  - source: حلب\n    target: Aleppo\n",
        r"g\.yaml:5: حلب: duplicate source 'حلب', already at line 3: remove one",
        id="duplicate-source",
    ),
    pytest.param(
        term_yaml(source="[حلب, حلب]"),
        r"g\.yaml:3: حلب: duplicate source 'حلب', already at line 3",
        id="duplicate-form-in-one-term",
    ),
    pytest.param(
        term_yaml(source="سورية") + "  - source: سوريه\n    target: Aleppo\n",
        r"g\.yaml:5: سوريه: duplicate source 'سوريه', already at line 3 \('سورية' is the same",
        id="duplicate-after-normalisation",
    ),
    pytest.param(
        term_yaml(source="الأسد", target="Assad") + "  - source: الْأَسَد\n    target: Asad\n",
        r"g\.yaml:5: الْأَسَد: source 'الْأَسَد' is already at line 3 with a different target "
        r"'Assad' \(here 'Asad'\)",
        id="same-source-two-targets",
    ),
]


@pytest.mark.parametrize(("text", "message"), INVALID_CASES)
def test_invalid_glossaries_are_rejected_naming_file_line_and_term(text: str, message: str) -> None:
    source_name = "g" if message.startswith("g:") else "g.yaml"
    with pytest.raises(GlossaryError, match=message):
        parse_glossary(text, source_name)


def test_every_problem_of_a_file_is_reported() -> None:
    with pytest.raises(GlossaryError) as caught:
        load_glossary(GLOSSARIES / "invalid.yaml")
    file = str(GLOSSARIES / "invalid.yaml")
    assert [(p.file, p.line, p.term) for p in caught.value.problems] == [
        (file, 1, ""),
        (file, 5, "بوتين"),
        (file, 6, "ISIS"),
        (file, 8, "بوتينُ"),
        (file, 10, "موسكو"),
    ]
    lines = str(caught.value).splitlines()
    assert len(lines) == 5
    assert lines[1].startswith(
        f"{file}:5: بوتين: unknown key 'colour': use source, target, kind, note, exact, article"
    )


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (
            Problem("g.yaml", 4, "حلب", "kind 'city' is wrong"),
            "g.yaml:4: حلب: kind 'city' is wrong",
        ),
        (Problem("g.yaml", 1, "", "name is missing"), "g.yaml:1: name is missing"),
        (Problem("g.yaml", None, "", "too big"), "g.yaml: too big"),
    ],
)
def test_problem_format(problem: Problem, text: str) -> None:
    assert str(problem) == text


def test_oversized_file_is_rejected_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(term_yaml().encode() + b"#" * MAX_FILE_BYTES)
    with pytest.raises(GlossaryError, match=r"big\.yaml: \d+ bytes is over the 10485760 byte"):
        load_glossary(path)


def test_oversized_text_is_rejected() -> None:
    text = term_yaml() + "#" * MAX_FILE_BYTES
    with pytest.raises(GlossaryError, match=r"pushed: \d+ bytes is over the 10485760 byte limit"):
        parse_glossary(text, "pushed")


def test_file_that_is_not_utf8_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(HEADER.encode() + "  - source: حلب\n    target: Alépo\n".encode("cp1256"))
    with pytest.raises(GlossaryError, match=r"latin1\.yaml:3: the file is not valid UTF-8"):
        load_glossary(path)


def test_missing_file_is_reported_as_a_problem(tmp_path: Path) -> None:
    with pytest.raises(GlossaryError, match=r"absent\.yaml: cannot read the file"):
        load_glossary(tmp_path / "absent.yaml")


def test_yaml_tags_that_build_python_objects_are_refused() -> None:
    text = "name: news\nterms: !!python/object/apply:os.system ['true']\n"
    with pytest.raises(GlossaryError, match=r"g\.yaml:2: tag '.*python/object/apply.*' is not"):
        parse_glossary(text, "g.yaml")


@pytest.mark.parametrize(
    "terms",
    [
        [Term(("",), "Aleppo")],
        [Term(("حلب",), "")],
        [Term((), "Aleppo")],
        [Term(("حلب",), "Aleppo"), Term(("حَلَب",), "Halab")],
    ],
)
def test_validate_terms_checks_inline_terms_without_lines(terms: list[Term]) -> None:
    problems = validate_terms(terms, "request")
    assert len(problems) == 1
    assert problems[0].file == "request"
    assert problems[0].line is None


ROUND_TRIP_GLOSSARIES = [
    pytest.param(Glossary("empty"), id="empty"),
    pytest.param(
        Glossary(
            "tricky",
            (
                Term(("حلب",), "Aleppo: the city", kind="place", note="# not a comment"),
                Term(("داعش", "تنظيم الدولة"), "Islamic State", "organization", exact=True),
                Term(("ترامب", "ترمب"), "'Trump'", "person", note="line one\nline two"),
                Term(("- الناتو",), "- NATO", note='"quoted" and [bracketed]'),
                Term(("نعم",), "yes"),
                Term(("فارغ",), "null"),
                Term(("مئة",), "100"),
            ),
            description="Targets that YAML would otherwise read as other types",
            version=7,
        ),
        id="tricky",
    ),
]


@pytest.mark.parametrize("glossary", ROUND_TRIP_GLOSSARIES)
def test_dump_then_parse_gives_the_same_glossary(glossary: Glossary) -> None:
    assert parse_glossary(dump_glossary(glossary), "dumped.yaml") == glossary


def test_dumped_fixture_round_trips_and_keeps_the_schema_layout() -> None:
    glossary = load_glossary(GLOSSARIES / "news_small.yaml")
    text = dump_glossary(glossary)
    assert parse_glossary(text, "dumped.yaml") == glossary
    assert text.startswith("name: news-small\ndescription: People, organisations")
    assert "  - source: [داعش, تنظيم الدولة الإسلامية]\n    target: Islamic State\n" in text
    assert "    exact: true\n" in text
