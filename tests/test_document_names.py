"""Document terms: one rendering per name inside a document.

The documents are built from what the trained test model does: it writes «بشار الأسد» as
"Bashar al-Assad", except in the "welcomed the results of the talks with" sentence, where
it writes "Bashar al Assad"; and «المعلم» as "Muallem", except after a few words it has
never seen, where it writes "al-Muallem" (which sentences do that depends on the CPU, see
PLAIN_MUALLEM). Each test first checks that premise on the
first translation (document terms off), so a model that changes says so instead of
passing for the wrong reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from tarjama.client import Translator
from tarjama.client.calls import TranslateOptions
from tarjama.client.documents import Piece
from tarjama.glossary.matcher import Matcher
from tarjama.glossary.model import Glossary, Term
from tarjama.glossary.name_records import Occurrence, collect_names
from tarjama.glossary.names import may_start_with_a_name
from tarjama.results import DOCUMENT_METHOD, Rendering
from tarjama.server.serve.config import ServerConfig
from tarjama.server.translate import document_names
from tarjama.server.translate.document_names import NameChoice, same_name
from tarjama.server.translate.engine import EncodedSource, Engine, EngineOptions, EngineResult
from tarjama.server.translate.html import translate_html
from tarjama.server.translate.pipeline import DocumentTranslation, Pipeline, PipelineOptions
from tests.builders.evaluate_model import chrf
from tests.client_fakes import run_cli
from tests.live_server import serving
from tests.test_pipeline import assert_exact_spans

ASSAD = "بشار الأسد"
MET_ASSAD = "التقى جون كيري الرئيس السوري بشار الأسد في موسكو أمس."  # "Bashar al-Assad"
TALKS_ASSAD = "بحث لافروف مع الرئيس السوري بشار الأسد التقرير في اتصال هاتفي أمس."
# "... welcomed the results of the talks with Syrian President Bashar al Assad."
WELCOMED_ASSAD = "رحب وزير الخارجية الأميركي جون كيري بنتائج المحادثات مع الرئيس السوري بشار الأسد."
MUALLEM = "المعلم"
# Sentences where the model writes «المعلم» as "Muallem", and as "al-Muallem". Which ones
# do it depends on the CPU's int8 kernels (an Intel AVX-512 machine and an AMD AVX2 one
# write different English for the same weights): each list holds one sentence per CPU
# seen, and the test takes the first that does it here.
PLAIN_MUALLEM = (
    "في محادثات الروس تسريبات المعلم سورية و.",  # "... Muallem in Syria."
    "التقى لافروف مع المعلم في موسكو أمس.",  # "Lavrov met Muallem in Moscow yesterday."
)
ARTICLE_MUALLEM = (
    "وأوضحت وخطوط بالاستخبارات مساء المعلم.",  # "... al-Muallem."
    "وأوضحت وخطوط بالاستخبارات مساء المعلم سورية.",  # "... Secretary of State al-Muallem."
)
ON = PipelineOptions(include_alignment=True)
OFF = replace(ON, document_terms=False)
NO_GLOSSARY = Matcher([])
NO_NEWS = TranslateOptions(no_default_glossaries=True)  # the bundled glossary names Assad


@pytest.fixture(scope="module")
def engine(test_model_dir: Path) -> Engine:
    return Engine(test_model_dir, EngineOptions(beam_size=4))


def translate(
    engine: Engine, sentences: list[str], options: PipelineOptions, matcher: Matcher = NO_GLOSSARY
) -> DocumentTranslation:
    text = "\n".join(sentences)
    document = Pipeline(model_name="test-model").translate(
        text, translator=engine, matcher=matcher, options=options
    )
    assert_exact_spans(text, document, options)
    return document


def renderings(document: DocumentTranslation, arabic: str) -> list[str]:
    """What the translation writes for ``arabic``, sentence by sentence (from the alignment)."""
    records = collect_names([("", document.sentences)])
    return [
        o.english for record in records.values() for o in record.occurrences if o.arabic == arabic
    ]


def document_hits(document: DocumentTranslation) -> list:
    return [
        hit for pair in document.sentences for hit in pair.term_hits if hit.method == "document"
    ]


def assert_placed(document: DocumentTranslation, text: str, rendering: str, count: int) -> None:
    """Each hit's rendering is in the translation at its target span, once per hit."""
    hits = document_hits(document)
    assert len(hits) == count
    for hit in hits:
        assert hit.target_term == rendering
        assert document.translation[hit.target_span.start : hit.target_span.end] == rendering
        assert (
            ASSAD in text[hit.source_span.start : hit.source_span.end]
            or MUALLEM in (text[hit.source_span.start : hit.source_span.end])
        )
        assert hit.glossary == ""


def test_a_name_written_two_ways_gets_the_first_rendering_on_a_tie(engine: Engine) -> None:
    sentences = [MET_ASSAD, WELCOMED_ASSAD]
    first = translate(engine, sentences, OFF)
    assert renderings(first, ASSAD) == ["Bashar al-Assad", "Bashar al Assad"], first.translation

    document = translate(engine, sentences, ON)

    [term] = document.document_terms
    assert (term.source_term, term.target_term, term.occurrences) == (ASSAD, "Bashar al-Assad", 2)
    assert term.variants == (Rendering("Bashar al-Assad", 1), Rendering("Bashar al Assad", 1))
    assert_placed(document, "\n".join(sentences), "Bashar al-Assad", 2)
    assert "Bashar al Assad" not in document.translation
    # The rest of the sentence is the model's: only the name changed.
    changed = first.sentences[1].target.replace("Bashar al Assad", "Bashar al-Assad")
    assert chrf(document.sentences[1].target, changed) >= 95
    assert document.sentences[0].target == first.sentences[0].target


def test_the_most_frequent_rendering_wins_over_the_first(engine: Engine) -> None:
    sentences = [WELCOMED_ASSAD, MET_ASSAD, TALKS_ASSAD]
    first = translate(engine, sentences, OFF)
    assert renderings(first, ASSAD) == ["Bashar al Assad", "Bashar al-Assad", "Bashar al-Assad"]

    document = translate(engine, sentences, ON)

    [term] = document.document_terms
    assert (term.target_term, term.occurrences) == ("Bashar al-Assad", 3)
    assert term.variants == (Rendering("Bashar al-Assad", 2), Rendering("Bashar al Assad", 1))
    assert_placed(document, "\n".join(sentences), "Bashar al-Assad", 3)
    assert renderings(document, ASSAD) == ["Bashar al-Assad"] * 3


def writing(engine: Engine, candidates: tuple[str, ...], rendering: str) -> str:
    """The first of ``candidates`` whose translation writes «المعلم» as ``rendering``."""
    for sentence in candidates:
        if renderings(translate(engine, [sentence], OFF), MUALLEM) == [rendering]:
            return sentence
    raise AssertionError(
        f"on this CPU the model writes {rendering!r} in none of {candidates}: add a "
        "sentence where it does"
    )


def test_an_article_variant_is_the_same_name(engine: Engine) -> None:
    sentences = [
        writing(engine, PLAIN_MUALLEM, "Muallem"),
        writing(engine, ARTICLE_MUALLEM, "al-Muallem"),
    ]
    first = translate(engine, sentences, OFF)
    assert renderings(first, MUALLEM) == ["Muallem", "al-Muallem"], first.translation

    document = translate(engine, sentences, ON)

    [term] = document.document_terms
    assert (term.source_term, term.target_term) == (MUALLEM, "Muallem")
    assert_placed(document, "\n".join(sentences), "Muallem", 2)
    assert "al-Muallem" not in document.translation


def test_option_off_leaves_the_names_as_the_model_wrote_them(engine: Engine) -> None:
    sentences = [MET_ASSAD, WELCOMED_ASSAD]
    off = translate(engine, sentences, OFF)
    plain = translate(engine, sentences, replace(OFF, include_alignment=False))

    assert off.document_terms == () and document_hits(off) == []
    assert [pair.target for pair in plain.sentences] == [pair.target for pair in off.sentences]
    assert "Bashar al Assad" in off.translation


@pytest.mark.parametrize(
    "glossary_term",
    [Term(sources=(ASSAD,), target="President Assad"), Term(sources=("الأسد",), target="Assad")],
    ids=["the whole name", "a part of it"],
)
def test_a_glossary_term_is_never_overridden(engine: Engine, glossary_term: Term) -> None:
    matcher = Matcher([("names", Glossary("names", (glossary_term,)))])

    document = translate(engine, [WELCOMED_ASSAD, MET_ASSAD, TALKS_ASSAD], ON, matcher)

    assert document.document_terms == () and document_hits(document) == []
    hits = [hit for pair in document.sentences for hit in pair.term_hits]
    assert [hit.target_term for hit in hits] == [glossary_term.target] * 3
    assert all(hit.glossary == "names" for hit in hits)


def test_document_terms_sit_beside_glossary_hits(engine: Engine) -> None:
    kerry = Term(sources=("جون كيري",), target="John Kerry", kind="person")
    matcher = Matcher([("people", Glossary("people", (kerry,)))])

    document = translate(engine, [MET_ASSAD, WELCOMED_ASSAD], ON, matcher)

    [term] = document.document_terms
    assert term.target_term == "Bashar al-Assad"
    for pair in document.sentences:
        methods = sorted(hit.method == DOCUMENT_METHOD for hit in pair.term_hits)
        assert methods == [False, True]  # Kerry (glossary) and Assad (document)
        glossary, name = sorted(pair.term_hits, key=lambda hit: hit.method == DOCUMENT_METHOD)
        assert glossary.glossary == "people"
        assert glossary.source_span.end <= name.source_span.start


def test_the_alignment_is_left_out_unless_asked(engine: Engine) -> None:
    document = translate(engine, [MET_ASSAD, WELCOMED_ASSAD], replace(ON, include_alignment=False))

    assert [term.target_term for term in document.document_terms] == ["Bashar al-Assad"]
    assert all(pair.alignment == () for pair in document.sentences)


class EveryLink:
    """The engine, asked for every link even where the pipeline reads only names."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.names_only: list[list[bool]] = []

    def encode(self, text: str) -> EncodedSource:
        return self.engine.encode(text)

    def encode_target(self, text: str) -> list[str]:
        return self.engine.encode_target(text)

    def translate_batch(self, sources, names_only=None, **options):  # type: ignore[no-untyped-def]
        self.names_only.append(list(names_only or []))
        return self.engine.translate_batch(sources, **options)


@pytest.mark.parametrize(
    "sentences",
    [[MET_ASSAD, WELCOMED_ASSAD], [WELCOMED_ASSAD, MET_ASSAD, TALKS_ASSAD]],
    ids=["a tie", "the most frequent"],
)
def test_reading_only_the_names_changes_nothing(engine: Engine, sentences: list[str]) -> None:
    # Without include_alignment the first pass asks for the links only to read names; a
    # sentence whose first link was left out and that gets a document hit is decoded again.
    options = replace(ON, include_alignment=False)
    every = EveryLink(engine)
    exact = translate(every, sentences, options)  # type: ignore[arg-type]

    spared = translate(engine, sentences, options)

    assert every.names_only[0] == [True] * len(sentences)  # the first pass: names only
    assert spared.translation == exact.translation
    assert spared.document_terms == exact.document_terms
    assert document_hits(spared) == document_hits(exact)


def test_a_cached_document_is_harmonised_the_same(engine: Engine) -> None:
    from tarjama.server.translate.cache import SentenceCache

    pipeline = Pipeline(model_name="test-model", cache=SentenceCache(100))
    text = "\n".join([MET_ASSAD, WELCOMED_ASSAD])
    first = pipeline.translate(text, translator=engine, matcher=NO_GLOSSARY, options=ON)
    again = pipeline.translate(text, translator=engine, matcher=NO_GLOSSARY, options=ON)

    assert again.translated_sentences == 0
    assert again.translation == first.translation
    assert again.document_terms == first.document_terms
    assert document_hits(again) == document_hits(first)


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("Bashar al-Assad", "Bashar al Assad", True),
        ("Sergei Lavrov", "Sergey Lavrov", True),
        ("al-Assad", "Assad", True),
        ("Deir ez-Zor", "Deir ez Zor", True),
        ("United States", "United Nations", False),
        ("Washington", "Washington Post", False),
        ("Syria", "Syrian", False),
        ("Amman", "Jordanian", False),
        ("J-648", "J-93", False),
    ],
)
def test_spellings_of_one_name(first: str, second: str, same: bool) -> None:
    assert same_name(first, second) is same


@pytest.mark.parametrize(
    ("translation", "may"),
    [
        ("Bashar al-Assad met Lavrov.", True),
        ("Sergei Lavrov said the talks went well.", True),
        ("Mohammed bin Salman arrived.", True),
        ("“Bashar al-Assad", True),
        ("Kerry said the talks went well.", False),  # a lone capital: never read as a name
        ("President Putin met Kerry.", False),  # the name starts at the second word
        ("The Nusra Front said", False),
        ("Syria", False),
    ],
)
def test_a_translation_may_begin_with_a_name(translation: str, may: bool) -> None:
    # Only then does a name reader use the first word's link (the engine spares a pass
    # elsewhere): check it against name_spans' own rule.
    assert may_start_with_a_name(translation) is may


def test_random_weights_keep_the_guarantee(random_model_dir: Path, monkeypatch) -> None:
    """Whatever the model writes, a document term's rendering is at each hit's target span.
    The random model writes no names, so the choice is planted: an Arabic name written
    "Zorbyn" twice, to become "Zorbin"; what is tested is the placement."""
    engine = Engine(random_model_dir, EngineOptions(beam_size=2, max_decoding_length=48))
    sentences = ["قال لافروف إن المحادثات مستمرة.", "وأكد لافروف أن الوضع خطير."]

    def planted(pairs, glossary) -> list[NameChoice]:
        found = {}
        for number, pair in enumerate(pairs, start=1):
            start = pair.source.index("لافروف")
            found[number - 1] = (
                Occurrence("", number, "لافروف", "Zorbyn", pair.source, pair.target,
                           (start, start + len("لافروف")), (0, 0)),
            )  # fmt: skip
        term = Term(sources=("لافروف",), target="Zorbin", article="model")
        return [NameChoice(term, (Rendering("Zorbyn", 2),), found)]

    monkeypatch.setattr(document_names, "choose_names", planted)
    text = "\n".join(sentences)
    for options in (ON, replace(ON, beam_size=1), replace(ON, term_spans_exclude_clitics=True)):
        document = Pipeline(model_name="random").translate(
            text, translator=engine, matcher=NO_GLOSSARY, options=options
        )
        assert_exact_spans(text, document, options)
        hits = document_hits(document)
        assert len(hits) == 2
        for hit in hits:
            assert document.translation[hit.target_span.start : hit.target_span.end] == "Zorbin"
            assert text[hit.source_span.start : hit.source_span.end].endswith("لافروف")
        assert [term.occurrences for term in document.document_terms] == [2]


@pytest.fixture(scope="module")
def served(test_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on the trained model, beam 4 as the documents above were built with."""
    engine = Engine(test_model_dir, EngineOptions(beam_size=4))
    config = ServerConfig(home=tmp_path_factory.mktemp("home"), host="127.0.0.1", port=0)
    with serving(engine, config) as address:
        yield address


def test_the_response_lists_the_document_terms(served: str) -> None:
    text = "\n".join([MET_ASSAD, WELCOMED_ASSAD])
    with Translator(served) as client:
        translation = client.translate_document(text, options=NO_NEWS)
        off = client.translate_document(text, options=replace(NO_NEWS, no_document_terms=True))

    [term] = translation.document_terms
    assert (term.source_term, term.target_term, term.occurrences) == (ASSAD, "Bashar al-Assad", 2)
    hits = [hit for pair in translation.sentences for hit in pair.term_hits]
    assert [hit.method for hit in hits] == [DOCUMENT_METHOD] * 2
    assert translation.stats.term_hits == 2
    assert off.document_terms == () and "Bashar al Assad" in off.translation


def test_the_client_and_the_cli_switch_document_terms_off(
    served: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "\n".join([MET_ASSAD, WELCOMED_ASSAD])
    with Translator(served) as client:
        on = client.translate(text, no_default_glossaries=True)
        off = client.translate(text, no_default_glossaries=True, document_terms=False)
    assert [term.target_term for term in on.document_terms] == ["Bashar al-Assad"]
    assert off.document_terms == () and "Bashar al Assad" in off.translation

    argv = ["translate", "-f", "json", "--no-default-glossaries", "--server", served]
    runs = [
        run_cli([*argv, *flag], capsys, monkeypatch, stdin=text.encode())
        for flag in ([], ["--no-document-terms"])
    ]
    assert [run.exit_code for run in runs] == [0, 0]
    on_json, off_json = (json.loads(run.stdout) for run in runs)
    assert [term["target_term"] for term in on_json["document_terms"]] == ["Bashar al-Assad"]
    assert not off_json.get("document_terms") and "Bashar al Assad" in off_json["translation"]


def test_tarjama_batch_switches_document_terms_off(
    test_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.setenv("TARJAMA_HOME", str(tmp_path / "home"))
    source = tmp_path / "in.jsonl"
    row = {"id": "assad", "text": "\n".join([MET_ASSAD, WELCOMED_ASSAD]), "glossaries": []}
    source.write_text(json.dumps(row, ensure_ascii=False) + "\n", "utf-8")
    argv = ["batch", str(source), "--model", str(test_model_dir), "--quiet", "--out"]
    runs = [
        run_cli([*argv, str(tmp_path / out), *flag], capsys, monkeypatch)
        for out, flag in (("on.jsonl", []), ("off.jsonl", ["--no-document-terms"]))
    ]
    assert [run.exit_code for run in runs] == [0, 0]
    on, off = (
        json.loads(json.loads((tmp_path / out).read_text("utf-8"))["response"])
        for out in ("on.jsonl", "off.jsonl")
    )
    assert [term["target_term"] for term in on["document_terms"]] == ["Bashar al-Assad"]
    assert "Bashar al Assad" not in on["translation"]
    assert not off.get("document_terms") and "Bashar al Assad" in off["translation"]


def test_pieces_of_a_document_are_harmonised_one_by_one(served: str) -> None:
    """Each piece chooses on its own; the joined result lists each piece's terms merged."""
    first, second = "\n".join([MET_ASSAD, WELCOMED_ASSAD]), "\n".join([TALKS_ASSAD, WELCOMED_ASSAD])
    text = f"{first}\n{second}"
    pieces = [Piece(0, len(first), 2), Piece(len(first) + 1, len(text), 2)]
    with Translator(served) as client:
        translation = client.translate_document(text, options=NO_NEWS, pieces=pieces)

    [term] = translation.document_terms
    assert (term.target_term, term.occurrences) == ("Bashar al-Assad", 4)
    assert term.variants == (Rendering("Bashar al-Assad", 2), Rendering("Bashar al Assad", 2))
    for hit in (hit for pair in translation.sentences for hit in pair.term_hits):
        assert translation.translation[hit.target_span.start : hit.target_span.end] == (
            "Bashar al-Assad"
        )


def test_a_page_gets_document_terms_with_spans_into_the_html(engine: Engine) -> None:
    page = f"<html><body><p>{MET_ASSAD}</p><p><b>{WELCOMED_ASSAD}</b></p></body></html>"

    document = translate_html(
        Pipeline(model_name="test-model"), page, translator=engine, matcher=NO_GLOSSARY, options=ON
    )

    assert [term.target_term for term in document.document_terms] == ["Bashar al-Assad"]
    hits = document_hits(document)
    assert len(hits) == 2
    for hit in hits:
        assert page[hit.source_span.start : hit.source_span.end] == ASSAD
        assert document.translation[hit.target_span.start : hit.target_span.end] == (
            "Bashar al-Assad"
        )


@pytest.mark.parametrize(
    ("sentences", "repeats"),
    [
        ([MET_ASSAD], False),  # one sentence, every word once
        ([MET_ASSAD, WELCOMED_ASSAD], True),  # كيري, بشار, الأسد twice
        (["التقى بوتين نظيره", "ورحب ببوتين"], True),  # the same name behind a proclitic
        (["اجتماع في موسكو", "مؤتمر في دمشق"], False),  # only a function word repeats
        (["قال الرئيس الروسي إن الرئيس السوري"], False),  # a word twice, in one sentence
    ],
)
def test_a_name_can_repeat_only_where_a_word_does(sentences: list[str], repeats: bool) -> None:
    assert document_names.may_repeat_a_name(sentences) is repeats


@dataclass
class AlignmentRecorder:
    """The engine, noting whether each call asked for the word alignment."""

    engine: Engine
    asked: list[bool] = field(default_factory=list)

    def encode(self, text: str) -> EncodedSource:
        return self.engine.encode(text)

    def encode_target(self, text: str) -> list[str]:
        return self.engine.encode_target(text)

    def translate_batch(self, sources, **options) -> list[EngineResult]:  # type: ignore[no-untyped-def]
        self.asked.append(options.get("with_alignment", False))
        return self.engine.translate_batch(sources, **options)


def test_a_document_that_repeats_no_name_is_decoded_without_the_alignment(engine: Engine) -> None:
    """The alignment costs about a tenth of a decode; only a name written twice needs it."""
    pipeline = Pipeline(model_name="test-model")
    options = PipelineOptions()  # document terms on, alignment not asked for
    single, repeated = AlignmentRecorder(engine), AlignmentRecorder(engine)
    pipeline.translate(MET_ASSAD, translator=single, matcher=NO_GLOSSARY, options=options)
    text = "\n".join([MET_ASSAD, WELCOMED_ASSAD])
    document = pipeline.translate(text, translator=repeated, matcher=NO_GLOSSARY, options=options)

    assert single.asked == [False]
    assert repeated.asked[0] is True
    assert [term.target_term for term in document.document_terms] == ["Bashar al-Assad"]
