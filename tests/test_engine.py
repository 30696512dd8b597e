import json
from pathlib import Path

import pytest

from tarjama.server.translate.engine import Engine, EngineError, EngineOptions


@pytest.fixture(scope="module")
def engine(random_model_dir: Path) -> Engine:
    return Engine(random_model_dir, EngineOptions(max_decoding_length=16))


def test_source_tokens_carry_exact_spans(engine: Engine) -> None:
    text = "أجرى  الرئيسُ «Nusra» ١٢ بوتين"
    encoded = engine.encode(text)
    assert encoded.pieces, "SentencePiece produced no pieces"
    for token in encoded.tokens:
        covered = text[token.start : token.end]
        assert covered == covered.strip()
        assert token.start <= token.end <= len(text)
    # Byte-fallback pieces of one character share its span: count each span once.
    distinct_spans = dict.fromkeys((t.start, t.end) for t in encoded.tokens)
    covered_text = "".join(text[start:end] for start, end in distinct_spans)
    assert covered_text == text.replace(" ", "")


def test_translate_batch_returns_one_result_per_sentence(engine: Engine) -> None:
    results = engine.translate_batch(["أجرى الرئيس الروسي محادثات", "وقال بيسكوف"])
    assert len(results) == 2
    for result in results:
        assert result.score <= 0
        assert result.attention is None
        for token in result.target_tokens:
            assert 0 <= token.start <= token.end <= len(result.text)


def test_alignment_links_are_word_spans_of_both_sentences(engine: Engine) -> None:
    [result] = engine.translate_batch(["أجرى الرئيس الروسي محادثات"], with_alignment=True)
    assert result.attention is not None
    assert len(result.attention) == len(result.target_tokens)
    source_words = {"أجرى", "الرئيس", "الروسي", "محادثات"}
    for link in result.links:
        assert result.source.text[link.source[0] : link.source[1]] in source_words
        target_word = result.text[link.target[0] : link.target[1]]
        assert target_word and target_word == target_word.strip()


def test_forced_prefix_starts_the_translation(engine: Engine) -> None:
    prefix = engine.encode_target("The Nusra Front")
    [result] = engine.translate_batch(["أعلنت جبهة النصرة"], target_prefixes=[prefix])
    assert result.text.startswith("The Nusra Front")


def test_manifest_is_read(engine: Engine) -> None:
    assert engine.manifest.name == "random-tiny"
    assert engine.compute_type.startswith("int8")


def test_missing_files_name_the_fix(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({}))
    with pytest.raises(EngineError, match=r"missing model\.bin.*tarjama model fetch"):
        Engine(tmp_path)


def test_attention_in_a_beam_batch_equals_attention_alone(engine: Engine) -> None:
    # CTranslate2 4.8 gets the first attention row of batched beam search wrong; the
    # engine repairs it, so alignments never depend on a sentence's batch mates.
    sentences = ["أجرى الرئيس الروسي فلاديمير بوتين محادثات مع كيري", "وقال بيسكوف"]
    together = engine.translate_batch(sentences, beam_size=4, with_alignment=True)
    for sentence, batched in zip(sentences, together, strict=True):
        [alone] = engine.translate_batch([sentence], beam_size=4, with_alignment=True)
        assert alone.text == batched.text
        assert alone.attention is not None and batched.attention is not None
        for row_alone, row_batched in zip(alone.attention, batched.attention, strict=True):
            assert row_alone == pytest.approx(row_batched, abs=1e-4)


def test_names_only_keeps_the_first_row_only_where_a_name_may_begin(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tarjama.server.translate import engine as engine_module

    sentences = ["أجرى الرئيس الروسي فلاديمير بوتين محادثات مع كيري", "وقال بيسكوف", "وصل لافروف"]
    exact = engine.translate_batch(sentences, beam_size=4, with_alignment=True)
    assert len({result.text for result in exact}) == 3, "the premise: three translations"
    # Random weights write no names: say which translation begins with one.
    monkeypatch.setattr(engine_module, "may_start_with_a_name", lambda text: text == exact[0].text)

    names = engine.translate_batch(
        sentences, beam_size=4, with_alignment=True, names_only=[True, True, False]
    )

    # A name may begin the first: its row is kept; not the second: left out; the third
    # asked for every link.
    assert [result.first_link_left_out for result in names] == [False, True, False]
    for kept, full in zip(names, exact, strict=True):
        assert kept.text == full.text
        assert kept.attention is not None and full.attention is not None
        for row_kept, row_full in zip(kept.attention[1:], full.attention[1:], strict=True):
            assert row_kept == pytest.approx(row_full, abs=1e-4)
    for index in (0, 2):
        assert names[index].attention[0] == pytest.approx(exact[index].attention[0], abs=1e-4)
    assert names[1].attention[0] == () and names[1].aligned_source_token(0) is None


# -- the GPU path: no GPU here, so CTranslate2's translator is a stand-in that records ------


@pytest.fixture
def translator_arguments(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    from tarjama.server.translate import engine as engine_module

    given: list[dict[str, object]] = []

    class RecordingTranslator:
        def __init__(self, model_path: str, **options: object) -> None:
            given.append({"model_path": model_path, **options})

    monkeypatch.setattr(engine_module.ctranslate2, "Translator", RecordingTranslator)
    return given


@pytest.mark.parametrize("compute_type", ["float16", "int8_float16"])
def test_gpu_options_reach_ctranslate2(
    random_model_dir: Path, translator_arguments: list[dict[str, object]], compute_type: str
) -> None:
    Engine(random_model_dir, EngineOptions(device="cuda", compute_type=compute_type))
    assert translator_arguments == [
        {
            "model_path": str(random_model_dir),
            "device": "cuda",
            "compute_type": compute_type,
            "inter_threads": 1,
            "intra_threads": 0,
        }
    ]


def test_the_bench_runs_its_raw_engine_and_server_on_the_device_it_is_given(
    random_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import _processes, _raw, run

    given: list[dict[str, object]] = []
    monkeypatch.setattr(_raw.ctranslate2, "Translator", lambda path, **kw: given.append(kw))
    bench = run.Benchmark(smoke=True, out=random_model_dir, device="cuda")
    decoding = _raw.Decoding(4, 10, 0, device=bench.device, compute_type=bench.compute_type)
    _raw.RawEngine(random_model_dir, decoding)
    assert given == [
        {"device": "cuda", "compute_type": "float16", "inter_threads": 1, "intra_threads": 0}
    ]
    assert decoding.by_tokens  # GPU batches are cut by source tokens
    arguments = _processes._decoding_arguments(decoding)  # what the server child is given
    assert {"--device=cuda", "--compute-type=float16"} <= set(arguments)
