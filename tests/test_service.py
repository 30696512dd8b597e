"""The Translator service over a real in-process server on port 0 (random-weight model).

Random weights make the English arbitrary, so translations are checked against a direct
pipeline call on the engine (the same sentences, the same glossary), and glossary
renderings against the glossary: the pipeline guarantees them whatever the model says.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from tarjama.glossary import Matcher, load_glossary
from tarjama.server.serve.app import TarjamaServer, create_server
from tarjama.server.serve.config import ServerConfig
from tarjama.server.stores import glossary_disk
from tarjama.server.translate.engine import Engine, EngineOptions
from tarjama.server.translate.pipeline import DocumentTranslation, Pipeline, PipelineOptions
from tarjama.server.translate.segment import segment
from tarjama.v1 import translator_pb2 as pb
from tarjama.v1 import translator_pb2_grpc as pb_grpc

TOKEN = "letmein-7f3a"
AUTH = (("authorization", f"Bearer {TOKEN}"),)
PUTIN_KERRY = (
    "أجرى الرئيس الروسي فلاديمير بوتين محادثات مع وزير الخارجية الأميركي جون كيري.\n"
    "وأعلن الكرملين أنها ركّزت على الملفين السوري والأوكراني."
)
SYRIA_YAML = """\
name: syria
description: Syrian war coverage
terms:
  - source: تدمر
    target: Palmyra
    kind: place
"""


@dataclass
class Running:
    server: TarjamaServer
    stub: pb_grpc.TranslatorStub
    config: ServerConfig
    engine: Engine


@pytest.fixture(scope="module")
def engine(random_model_dir: Path) -> Engine:
    # Random weights rarely emit </s>: cap the decode so tests stay fast.
    return Engine(random_model_dir, EngineOptions(max_decoding_length=12, beam_size=2))


@pytest.fixture(scope="module")
def running(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    config = ServerConfig(
        home=tmp_path_factory.mktemp("home"),
        host="127.0.0.1",
        port=0,
        beam_size=2,
        max_characters=3_000,
        max_sentences=25,
        max_inline_terms=3,
        glossary_check_ms=0,
        auth_token=TOKEN,
        rpc_threads=32,
    )
    server, port = create_server(config, engine)
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    assert isinstance(server, TarjamaServer)
    yield Running(server, pb_grpc.TranslatorStub(channel), config, engine)
    channel.close()
    server.stop(None).wait()


def direct_translation(
    running: Running, text: str, glossary_names: tuple[str, ...] = ("news",)
) -> DocumentTranslation:
    """What the pipeline says for `text` called directly on the engine, no server, no cache."""
    folder = running.config.glossary_dir
    matcher = Matcher([(name, load_glossary(folder / f"{name}.yaml")) for name in glossary_names])
    pipeline = Pipeline(model_name=running.engine.manifest.name)
    return pipeline.translate(
        text, translator=running.engine, matcher=matcher, options=PipelineOptions()
    )


def status_of(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as raised:
        call()  # type: ignore[operator]
    return raised.value.code(), raised.value.details()


def test_translate_returns_aligned_pairs_and_enforced_terms(running: Running) -> None:
    response = running.stub.Translate(
        pb.TranslateRequest(
            text=PUTIN_KERRY,
            request_id="story-42",
            options=pb.TranslateOptions(include_alignment=True),
        )
    )
    assert response.request_id == "story-42"
    assert response.model == running.engine.manifest.name
    assert [(g.name, g.version) for g in response.glossaries] == [("news", 1)]
    assert len(response.sentences) == 2 and "\n" in response.translation
    targets = []
    for pair in response.sentences:
        assert PUTIN_KERRY[pair.source_span.start : pair.source_span.end] == pair.source
        assert response.translation[pair.target_span.start : pair.target_span.end] == pair.target
        for hit in pair.term_hits:
            assert PUTIN_KERRY[hit.source_span.start : hit.source_span.end].endswith(
                hit.source_term
            )
            assert response.translation[hit.target_span.start : hit.target_span.end] == (
                hit.target_term
            )
            targets.append(hit.target_term)
        for link in pair.alignment:
            assert link.source.end <= len(PUTIN_KERRY)
            assert link.target.end <= len(response.translation)
        assert pair.alignment
    assert targets == ["Vladimir Putin", "John Kerry", "Kremlin"]
    assert response.stats.term_hits == 3
    assert response.stats.source_characters == len(PUTIN_KERRY)


def test_a_request_without_id_gets_one(running: Running) -> None:
    response = running.stub.Translate(pb.TranslateRequest(text="قال بيسكوف"))
    assert len(response.request_id) == 16


def test_the_server_says_what_a_direct_pipeline_call_says(running: Running) -> None:
    response = running.stub.Translate(
        pb.TranslateRequest(text=PUTIN_KERRY, options=pb.TranslateOptions(skip_cache=True))
    )
    expected = direct_translation(running, PUTIN_KERRY)
    assert response.translation == expected.translation
    assert [p.target for p in response.sentences] == [p.target for p in expected.sentences]


def test_100_concurrent_clients_get_their_own_correct_answers(
    running: Running, seed_article: str
) -> None:
    sentences = [seed_article[s.start : s.end] for s in segment(seed_article) if s.has_arabic]
    documents = [sentences[i % len(sentences)] for i in range(100)]
    expected = {text: direct_translation(running, text).translation for text in set(documents)}
    port = running.server.port

    def client(number: int) -> tuple[str, pb.TranslateResponse]:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.TranslatorStub(channel)
            request = pb.TranslateRequest(
                text=documents[number],
                request_id=f"client-{number}",
                options=pb.TranslateOptions(skip_cache=True),
            )
            return documents[number], stub.Translate(request, timeout=120)

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(client, range(100)))
    for number, (text, response) in enumerate(answers):
        assert response.request_id == f"client-{number}"
        assert response.translation == expected[text]
    assert running.server.backend is not None
    assert running.server.backend.batcher.stats().multi_request_batches > 0


@pytest.mark.parametrize(
    ("request_fields", "match"),
    [
        ({"text": ""}, r"text is empty: send the Arabic document"),
        ({"text": " \n\t "}, r"text is empty"),
        ({"text": "بوتين " * 600}, r"text has 3600 characters, over the limit of 3000: split"),
        ({"text": "قال بوتين. " * 30}, r"text has 30 sentences, over the limit of 25: split"),
        (
            {"text": "قال بوتين", "options": pb.TranslateOptions(beam_size=17)},
            r"options.beam_size 17 is over the limit of 16: use 1-16, or 0 for the server",
        ),
        (
            {"text": "في تدمر", "terms": [pb.Term(source=["تدمر"], target="")]},
            r"terms: تدمر: target is missing or empty: write the English rendering",
        ),
        (
            {"text": "في تدمر", "terms": [pb.Term(source=[""], target="Palmyra")]},
            r"a source form is empty: write the Arabic form",
        ),
        (
            {"text": "في تدمر", "terms": [pb.Term(source=["Tadmur"], target="Palmyra")]},
            r"source 'Tadmur' has no Arabic letter",
        ),
        (
            {"text": "في تدمر", "terms": [pb.Term(source=[f"ت{i}"], target="x") for i in range(4)]},
            r"4 inline terms is over the limit of 3: put the terms in a server glossary",
        ),
        (
            {"text": "في تدمر", "glossaries": ["news", "news"]},
            r"glossaries names 'news' more than once",
        ),
        (
            {"text": "في تدمر", "glossaries": [f"g{i % 25_000}" for i in range(50_000)]},
            r"^glossaries names 'g0', 'g1', 'g10' \(and 24997 others\) more than once",
        ),
        ({"text": "في تدمر", "request_id": "x" * 129}, r"request_id has 129 characters"),
        ({"text": "في تدمر", "request_id": "a\nb"}, r"request_id contains control"),
    ],
)
def test_invalid_requests_say_what_to_fix(
    running: Running, request_fields: dict[str, object], match: str
) -> None:
    code, details = status_of(lambda: running.stub.Translate(pb.TranslateRequest(**request_fields)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert re.search(match, details), details


def test_an_unknown_glossary_is_not_found(running: Running) -> None:
    code, details = status_of(
        lambda: running.stub.Translate(pb.TranslateRequest(text="قال بوتين", glossaries=["sport"]))
    )
    assert code == grpc.StatusCode.NOT_FOUND
    assert "glossary 'sport' does not exist (the server has: news" in details


def test_inline_terms_win_over_server_glossaries(running: Running) -> None:
    response = running.stub.Translate(
        pb.TranslateRequest(
            text="التقى كيري نظيره في الكرملين",
            terms=[pb.Term(source=["الكرملين"], target="the Kremlin palace")],
        )
    )
    # Random weights drop the words between the names, so the enforcer may withhold a
    # rendering (reported as skipped, with its reason) rather than glue it to another.
    [pair] = response.sentences
    reported = sorted([*pair.term_hits, *pair.skipped_terms], key=lambda i: i.source_span.start)
    assert [(i.glossary, i.target_term) for i in reported] == [
        ("news", "Kerry"),
        ("", "the Kremlin palace"),
    ]
    assert all(skip.reason for skip in pair.skipped_terms)
    for hit in pair.term_hits:
        assert response.translation[hit.target_span.start : hit.target_span.end] == hit.target_term


def test_no_default_glossaries(running: Running) -> None:
    response = running.stub.Translate(
        pb.TranslateRequest(
            text="التقى كيري نظيره في الكرملين",
            options=pb.TranslateOptions(no_default_glossaries=True),
        )
    )
    assert not response.glossaries
    assert not any(pair.term_hits for pair in response.sentences)


def test_the_second_identical_request_is_served_from_the_cache(running: Running) -> None:
    request = pb.TranslateRequest(text="وقال الناطق الرئاسي ديمتري بيسكوف إن موسكو لن تعلّق.")
    first = running.stub.Translate(request)
    second = running.stub.Translate(request)
    assert first.stats.translated_sentences == 1
    assert (second.stats.cached_sentences, second.stats.translated_sentences) == (1, 0)
    assert second.sentences[0].cached and second.translation == first.translation
    request.options.skip_cache = True
    assert running.stub.Translate(request).stats.cached_sentences == 0


def test_model_info_reports_the_limits_in_force(running: Running) -> None:
    info = running.stub.GetModelInfo(pb.GetModelInfoRequest())
    assert info.name == running.engine.manifest.name
    assert (info.source_language, info.target_language) == ("ar", "en")
    assert info.default_beam_size == 2
    assert list(info.default_glossaries) == ["news"]
    assert info.limits.max_characters == 3_000
    assert info.limits.max_sentences == 25
    assert info.limits.max_inline_terms == 3
    assert info.limits.max_beam_size == 16
    assert info.limits.max_message_bytes == 4 * 1024 * 1024
    assert info.supports_alignment


def test_glossary_lifecycle(running: Running) -> None:
    stub = running.stub
    created = stub.PutGlossary(pb.PutGlossaryRequest(yaml=SYRIA_YAML), metadata=AUTH)
    assert (created.name, created.version, created.term_count) == ("syria", 1, 1)
    listed = stub.ListGlossaries(pb.ListGlossariesRequest())
    assert [(g.name, g.term_count, len(g.terms)) for g in listed.glossaries][-1] == ("syria", 1, 0)
    fetched = stub.GetGlossary(pb.GetGlossaryRequest(name="syria"))
    assert [(t.source[0], t.target) for t in fetched.terms] == [("تدمر", "Palmyra")]
    assert fetched.update_time.seconds > 0

    replaced = pb.Glossary(name="syria", terms=[pb.Term(source=["تدمر"], target="Tadmur")])
    stored = stub.PutGlossary(
        pb.PutGlossaryRequest(glossary=replaced, expected_version=1), metadata=AUTH
    )
    assert stored.version == 2
    response = stub.Translate(pb.TranslateRequest(text="وصلوا إلى تدمر", glossaries=["syria"]))
    assert [(g.name, g.version) for g in response.glossaries] == [("syria", 2)]
    assert response.sentences[0].term_hits[0].target_term == "Tadmur"

    code, details = status_of(
        lambda: stub.PutGlossary(
            pb.PutGlossaryRequest(glossary=replaced, expected_version=1), metadata=AUTH
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert "'syria' is at version 2, not the expected version 1" in details

    deleted = stub.DeleteGlossary(
        pb.DeleteGlossaryRequest(name="syria", expected_version=2), metadata=AUTH
    )
    assert (deleted.name, deleted.version) == ("syria", 2)
    code, _ = status_of(lambda: stub.GetGlossary(pb.GetGlossaryRequest(name="syria")))
    assert code == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("request_", "code", "match"),
    [
        (
            pb.PutGlossaryRequest(yaml=SYRIA_YAML.replace("kind: place", "kind: city")),
            grpc.StatusCode.INVALID_ARGUMENT,
            r"PutGlossary yaml:4: تدمر: kind 'city' is not one of person, organization",
        ),
        (
            pb.PutGlossaryRequest(yaml="name: syria\nterms: [\n"),
            grpc.StatusCode.INVALID_ARGUMENT,
            r"PutGlossary yaml:\d+: YAML syntax error",
        ),
        (
            pb.PutGlossaryRequest(
                glossary=pb.Glossary(name="Syria", terms=[pb.Term(source=["تدمر"], target="P")])
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            r"name 'Syria' is not valid: use 1-64 lower-case letters",
        ),
        (
            pb.PutGlossaryRequest(),
            grpc.StatusCode.INVALID_ARGUMENT,
            r"PutGlossaryRequest has no content: set `glossary` or `yaml`",
        ),
        (
            pb.DeleteGlossaryRequest(name="news"),
            grpc.StatusCode.FAILED_PRECONDITION,
            r"'news' is one of the server's default glossaries",
        ),
        (
            pb.DeleteGlossaryRequest(name="sport"),
            grpc.StatusCode.NOT_FOUND,
            r"glossary 'sport' does not exist",
        ),
    ],
)
def test_rejected_glossary_writes(
    running: Running, request_: object, code: grpc.StatusCode, match: str
) -> None:
    method = (
        running.stub.PutGlossary
        if isinstance(request_, pb.PutGlossaryRequest)
        else running.stub.DeleteGlossary
    )
    got_code, details = status_of(lambda: method(request_, metadata=AUTH))
    assert got_code == code
    assert re.search(match, details), details
    names = [g.name for g in running.stub.ListGlossaries(pb.ListGlossariesRequest()).glossaries]
    assert "syria" not in names and "news" in names


@pytest.mark.parametrize(
    ("metadata", "match"),
    [((), r"PutGlossary needs a bearer token"), ((("authorization", "Bearer nope"),), "wrong")],
)
def test_writes_need_the_token_and_reads_do_not(
    running: Running, metadata: tuple[tuple[str, str], ...], match: str
) -> None:
    code, details = status_of(
        lambda: running.stub.PutGlossary(pb.PutGlossaryRequest(yaml=SYRIA_YAML), metadata=metadata)
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert re.search(match, details), details
    assert running.stub.GetGlossary(pb.GetGlossaryRequest(name="news")).term_count > 0


def test_a_glossary_edited_on_disk_is_picked_up(running: Running) -> None:
    path = running.config.glossary_dir / "levant.yaml"
    path.write_text(SYRIA_YAML.replace("syria", "levant"), encoding="utf-8")
    request = pb.TranslateRequest(text="وصلوا إلى تدمر", glossaries=["levant"])
    first = running.stub.Translate(request)
    path.write_text(path.read_text(encoding="utf-8").replace("Palmyra", "Tadmor"), encoding="utf-8")
    second = running.stub.Translate(request)
    assert [(g.name, g.version) for g in first.glossaries] == [("levant", 1)]
    assert [(g.name, g.version) for g in second.glossaries] == [("levant", 2)]
    assert second.sentences[0].term_hits[0].target_term == "Tadmor"
    assert "Tadmor" in second.translation
    path.unlink()


def test_stream_answers_in_order_with_ids(running: Running) -> None:
    texts = ["قال بوتين", "وقال كيري", "في الكرملين", "أعلن لافروف", "في موسكو"]
    requests = [pb.TranslateRequest(text=t, request_id=f"r{i}") for i, t in enumerate(texts)]
    responses = list(running.stub.TranslateStream(iter(requests)))
    assert [r.request_id for r in responses] == ["r0", "r1", "r2", "r3", "r4"]
    assert [r.sentences[0].source for r in responses] == texts


def test_an_invalid_request_ends_the_stream_after_the_answers_before_it(running: Running) -> None:
    requests = [
        pb.TranslateRequest(text="قال بوتين", request_id="ok-1"),
        pb.TranslateRequest(text="وقال كيري", request_id="ok-2"),
        pb.TranslateRequest(text="", request_id="empty"),
        pb.TranslateRequest(text="في موسكو", request_id="never"),
    ]
    received = []
    with pytest.raises(grpc.RpcError) as raised:
        for response in running.stub.TranslateStream(iter(requests)):
            received.append(response.request_id)
    assert received == ["ok-1", "ok-2"]
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "text is empty" in raised.value.details()


def test_a_read_only_glossary_folder_is_permission_denied(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # chmod does not stop root, who runs CI containers: refuse at the system call instead.
    monkeypatch.setattr(glossary_disk.tempfile, "mkstemp", refuse)
    code, details = status_of(
        lambda: running.stub.PutGlossary(pb.PutGlossaryRequest(yaml=SYRIA_YAML), metadata=AUTH)
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert "glossary folder" in details and "is read-only" in details


class ServerSideContext:
    """Just enough of grpc.ServicerContext to drive the servicer without a transport."""

    def is_active(self) -> bool:
        return True

    def time_remaining(self) -> float | None:
        return None


def test_a_stream_whose_client_does_not_read_is_not_read_ahead_without_bound(
    running: Running,
) -> None:
    pulled: list[int] = []

    def requests() -> Iterator[pb.TranslateRequest]:
        for number in range(50):
            pulled.append(number)
            yield pb.TranslateRequest(text="قال بوتين", request_id=str(number))

    responses = running.server.service.TranslateStream(requests(), ServerSideContext())
    assert next(responses).request_id == "0"
    # The responder holds one answer; the reader has the read-ahead in flight and waits
    # with the next request in hand for a free place.
    bound = running.config.stream_read_ahead + 2
    deadline = time.monotonic() + 30
    while len(pulled) < bound and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # give an unbounded reader the chance to show itself
    assert len(pulled) == bound
    responses.close()
