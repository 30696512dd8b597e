"""The Python client against a scriptable stand-in server (tests/client_fakes.py).

What the fake cannot show — real segmentation, enforcement and alignment — is covered
by the tests that run the client against the real in-process server.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from tarjama.client import (
    AsyncTranslator,
    Busy,
    DeadlineExceeded,
    Document,
    Glossary,
    HealthStatus,
    InvalidRequest,
    MessageTooLarge,
    NotFound,
    RetryPolicy,
    ServerUnavailable,
    Term,
    Translator,
    Unauthenticated,
)
from tarjama.client.errors import error_from_status
from tarjama.glossary import bundled_glossary_path, load_glossary, match_key
from tarjama.server.serve.messages import invalid_argument, queue_full
from tarjama.v1 import translator_pb2 as pb
from tarjama.wire import translation_from_proto, translation_to_proto
from tests.client_fakes import FakeServer, self_signed_certificate, start_fake_server
from tests.live_server import TOKEN, live_server

FAST_RETRIES = RetryPolicy(retries=3, initial_backoff=0.01, max_backoff=0.02)
SENTENCE = "التقى الرئيس الروسي فلاديمير بوتين وزير الخارجية الأمريكي جون كيري في موسكو."
CUSTOM_YAML = """\
name: local-names
description: names this newsroom spells its own way
terms:
  - source: جون كيري
    target: John F. Kerry
    kind: person
"""


@pytest.fixture(scope="module")
def news() -> Glossary:
    path = bundled_glossary_path("news")
    assert path is not None
    return load_glossary(path)


@pytest.fixture
def fake(news: Glossary) -> Iterator[FakeServer]:
    server = start_fake_server([news])
    yield server
    server.stop()


@pytest.fixture
def client(fake: FakeServer) -> Iterator[Translator]:
    with Translator(fake.address, retries=FAST_RETRIES, timeout=10) as translator:
        yield translator


def unused_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def test_translate_maps_every_field_of_the_response(client: Translator, seed_article: str):
    result = client.translate(seed_article, request_id="seed-1")

    assert result.request_id == "seed-1"
    assert result.model == "fake-ar-en"
    assert [ref.name for ref in result.glossaries] == ["news"]
    assert len(result.sentences) == result.stats.sentences > 5
    for pair in result.sentences:
        assert pair.source_span.of(seed_article) == pair.source
        assert pair.target_span.of(result.translation) == pair.target
        for hit in pair.term_hits:
            assert hit.glossary == "news"
            assert hit.target_span.of(result.translation) == hit.target_term
            assert pair.source_span.start <= hit.source_span.start < hit.source_span.end
            assert hit.source_span.end <= pair.source_span.end
    assert any(hit.target_term == "Putin" for p in result.sentences for hit in p.term_hits)


@pytest.mark.parametrize(
    "terms",
    [
        {"جون كيري": "John F. Kerry"},
        [Term(sources=("جون كيري",), target="John F. Kerry", kind="person")],
    ],
    ids=["mapping", "term-objects"],
)
def test_inline_terms_are_sent_as_mapping_or_terms(client: Translator, terms):
    result = client.translate(SENTENCE, terms=terms, no_default_glossaries=True)

    hits = result.sentences[0].term_hits
    assert [(hit.glossary, hit.target_term) for hit in hits] == [("", "John F. Kerry")]
    assert hits[0].source_span.of(SENTENCE) == "جون كيري"


def test_glossaries_must_be_a_list_of_names(client: Translator):
    with pytest.raises(TypeError, match=r"glossaries=\[name\]"):
        client.translate(SENTENCE, glossaries="news")


def test_response_round_trips_through_the_dataclasses(client: Translator, seed_article: str):
    message = client._stub.Translate(pb.TranslateRequest(text=seed_article))

    assert translation_to_proto(translation_from_proto(message)) == message


@pytest.mark.parametrize("code", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED])
def test_unavailable_or_cancelled_is_retried_until_it_succeeds(
    client: Translator, fake: FakeServer, code: grpc.StatusCode
):
    fake.script.unavailable_times = 2
    fake.script.failure_code = code

    result = client.translate(SENTENCE)

    assert result.sentences[0].source == SENTENCE
    assert fake.script.calls == ["Translate"] * 3


def test_unavailable_gives_up_after_the_retries(fake: FakeServer):
    fake.script.unavailable_times = 10
    policy = RetryPolicy(retries=2, initial_backoff=0.01, max_backoff=0.01)
    with (
        Translator(fake.address, retries=policy) as client,
        pytest.raises(ServerUnavailable, match="the server is starting"),
    ):
        client.translate(SENTENCE)
    assert fake.script.calls == ["Translate"] * 3


@pytest.mark.parametrize(
    ("call", "method"),
    [
        (lambda c: c.put_glossary(CUSTOM_YAML), "PutGlossary"),
        (lambda c: c.delete_glossary("local-names"), "DeleteGlossary"),
    ],
    ids=["put", "delete"],
)
def test_glossary_writes_are_never_retried(client, fake, call, method):
    # A write whose answer was lost may have been applied: sending it again could apply
    # it twice, so the caller decides.
    fake.script.unavailable_times = 1

    with pytest.raises(ServerUnavailable):
        call(client)

    assert fake.script.calls == [method]


def test_retry_policy_rejects_more_attempts_than_grpc_allows():
    with pytest.raises(ValueError, match="between 0 and 4"):
        RetryPolicy(retries=9)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda c: c.translate(SENTENCE, glossaries=["sports"]), NotFound, "sports"),
        (lambda c: c.translate("   "), InvalidRequest, "text is empty"),
        (lambda c: c.get_glossary("sports"), NotFound, "no glossary named 'sports'"),
        (lambda c: c.delete_glossary("sports"), NotFound, "no glossary named 'sports'"),
    ],
    ids=["unknown-glossary", "empty-text", "get-missing", "delete-missing"],
)
def test_other_errors_are_mapped_and_never_retried(client, fake, call, error, message):
    with pytest.raises(error, match=message):
        call(client)
    assert len(fake.script.calls) == 1


def test_busy_carries_the_servers_retry_delay(client: Translator, fake: FakeServer):
    fake.script.busy_retry_after_ms = 250

    with pytest.raises(Busy, match="queue is full") as raised:
        client.translate(SENTENCE)

    assert raised.value.retry_after_ms == 250
    assert raised.value.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert fake.script.calls == ["Translate"]


def test_deadline_exceeded(client: Translator, fake: FakeServer):
    fake.script.delay_s = 2.0

    with pytest.raises(DeadlineExceeded):
        client.translate(SENTENCE, timeout=0.2)


def test_server_down_says_which_address_cannot_be_reached():
    address = unused_address()
    policy = RetryPolicy(retries=1, initial_backoff=0.01, max_backoff=0.01)
    with (
        Translator(address, retries=policy, timeout=5) as client,
        pytest.raises(ServerUnavailable, match=f"cannot reach the tarjama server at {address}"),
    ):
        client.translate(SENTENCE)


def test_bearer_token_is_sent_and_writes_need_it(fake: FakeServer):
    fake.script.token = "s3cret"
    with Translator(fake.address) as anonymous:
        with pytest.raises(Unauthenticated, match="bearer token"):
            anonymous.put_glossary(CUSTOM_YAML)
        assert "authorization" not in fake.script.metadata[-1]
    with Translator(fake.address, token="s3cret") as authorised:
        stored = authorised.put_glossary(CUSTOM_YAML)
    assert fake.script.metadata[-1]["authorization"] == "Bearer s3cret"
    assert stored.name == "local-names"


def test_glossary_management_round_trip(client: Translator, news: Glossary):
    created = client.put_glossary(CUSTOM_YAML)
    replaced = client.put_glossary(
        Glossary(name="local-names", terms=(Term(("موسكو",), "Moscow", kind="place"),))
    )

    assert (created.version, replaced.version) == (1, 2)
    assert client.get_glossary("local-names").terms == (Term(("موسكو",), "Moscow", kind="place"),)
    listed = {info.name: info for info in client.list_glossaries()}
    assert listed["news"].term_count == len(news.terms)
    assert listed["local-names"].version == 2
    assert client.delete_glossary("local-names") == 2
    assert "local-names" not in {info.name for info in client.list_glossaries()}


def test_model_info(client: Translator):
    info = client.model_info()

    assert (info.name, info.source_language, info.target_language) == ("fake-ar-en", "ar", "en")
    assert info.default_glossaries == ("news",)
    assert info.limits.max_beam_size == 16


@pytest.mark.parametrize(
    ("serving", "service", "expected"),
    [
        (True, "", HealthStatus.SERVING),
        (False, "", HealthStatus.NOT_SERVING),
        (False, "tarjama.v1.Translator", HealthStatus.NOT_SERVING),
        (True, "tarjama.v9.Unknown", HealthStatus.SERVICE_UNKNOWN),
    ],
)
def test_health(client: Translator, fake: FakeServer, serving, service, expected):
    fake.set_serving(serving)

    assert client.health(service) is expected


def test_stream_answers_in_order_with_request_ids(client: Translator):
    documents = [
        Document(SENTENCE, "first"),
        "وصل كيري إلى موسكو.",
        Document("قال بوتين.", "third"),
    ]

    results = list(client.translate_stream(iter(documents)))

    assert [r.sentences[0].source for r in results] == [
        SENTENCE,
        "وصل كيري إلى موسكو.",
        "قال بوتين.",
    ]
    assert [results[0].request_id, results[2].request_id] == ["first", "third"]


def test_stream_error_is_mapped(client: Translator):
    with pytest.raises(NotFound, match="sports"):
        list(client.translate_stream([SENTENCE], glossaries=["sports"]))


def test_async_twin_translates_streams_and_maps_errors(fake: FakeServer):
    async def scenario() -> tuple:
        async with AsyncTranslator(fake.address, retries=FAST_RETRIES) as client:
            fake.script.unavailable_times = 1
            single = await client.translate(SENTENCE, terms={"جون كيري": "John F. Kerry"})

            async def documents():
                yield Document("قال بوتين.", "a")
                yield "وصل كيري إلى موسكو."

            streamed = [result async for result in client.translate_stream(documents())]
            with pytest.raises(NotFound, match="sports"):
                await client.get_glossary("sports")
            return single, streamed, await client.health()

    single, streamed, health = asyncio.run(scenario())

    assert "John F. Kerry" in single.translation
    assert [result.sentences[0].source for result in streamed] == [
        "قال بوتين.",
        "وصل كيري إلى موسكو.",
    ]
    assert streamed[0].request_id == "a"
    assert health is HealthStatus.SERVING


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_tls_with_a_private_root_certificate(tmp_path: Path, news: Glossary):
    key, cert = self_signed_certificate(tmp_path)
    fake = start_fake_server([news], tls_key_and_cert=(key.read_bytes(), cert.read_bytes()))
    try:
        with Translator(fake.address, root_certificates=cert, timeout=10) as client:
            assert client.translate(SENTENCE).sentences[0].source == SENTENCE
        with (
            Translator(fake.address, tls=True, retries=0, timeout=10) as untrusting,
            pytest.raises(ServerUnavailable, match=fake.address),
        ):
            untrusting.health()
    finally:
        fake.stop()


# -- against the real server --------------------------------------------------------------


@pytest.fixture(scope="module")
def live(random_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(random_model_dir, tmp_path_factory.mktemp("home")) as address:
        yield address


def test_live_seed_article_spans_terms_and_alignment(live: str, seed_article: str):
    with Translator(live) as client:
        result = client.translate(seed_article, alignment=True)
        model = client.model_info()

    assert result.model == model.name
    assert result.stats.sentences == len(result.sentences) > 5
    hits = [hit for pair in result.sentences for hit in pair.term_hits]
    # Random weights drop the words between names: a rendering that would stand glued to
    # another is withheld and reported as skipped, with its reason, instead of placed.
    skipped = [skip for pair in result.sentences for skip in pair.skipped_terms]
    reported = {item.target_term for item in [*hits, *skipped]}
    assert reported >= {"Vladimir Putin", "John Kerry", "Kremlin"}
    assert hits and all(skip.reason for skip in skipped)
    assert any(pair.alignment for pair in result.sentences)
    for pair in result.sentences:
        assert pair.source_span.of(seed_article) == pair.source
        assert pair.target_span.of(result.translation) == pair.target
        for hit in pair.term_hits:
            assert hit.target_span.of(result.translation) == hit.target_term  # enforced
            assert match_key(hit.source_term)[-1] in match_key(hit.source_span.of(seed_article))[-1]
        for link in pair.alignment:
            assert pair.source_span.start <= link.source.start < link.source.end
            assert link.source.end <= pair.source_span.end
            assert pair.target_span.start <= link.target.start < link.target.end
            assert link.target.end <= pair.target_span.end


def test_live_glossary_management_needs_the_token(live: str):
    with Translator(live) as anonymous, pytest.raises(Unauthenticated, match="bearer token"):
        anonymous.put_glossary(CUSTOM_YAML)
    with Translator(live, token=TOKEN) as client:
        stored = client.put_glossary(CUSTOM_YAML)
        assert client.get_glossary("local-names").terms == stored.terms
        result = client.translate(SENTENCE, glossaries=["local-names", "news"])
        assert "John F. Kerry" in result.translation
        assert client.delete_glossary("local-names") == stored.version
        with pytest.raises(NotFound, match="local-names"):
            client.get_glossary("local-names")


def test_live_stream_async_and_health(live: str):
    with Translator(live) as client:
        streamed = list(client.translate_stream([Document(SENTENCE, "one"), "قال بوتين."]))
        assert client.health() is HealthStatus.SERVING
    assert streamed[0].request_id == "one"
    assert [result.sentences[0].source for result in streamed] == [SENTENCE, "قال بوتين."]

    async def scenario() -> tuple:
        async with AsyncTranslator(live) as client:
            with pytest.raises(InvalidRequest, match="empty"):
                await client.translate(" ")
            return await client.translate(SENTENCE), await client.health()

    single, health = asyncio.run(scenario())
    assert single.sentences[0].source == SENTENCE
    assert health is HealthStatus.SERVING


def test_rich_error_details_from_the_server_are_read():
    busy_status = queue_full("the translation queue is full: retry in 1500 ms", 1500).status()
    busy = error_from_status(busy_status.code, busy_status.details, busy_status.trailing_metadata)
    assert isinstance(busy, Busy) and busy.retry_after_ms == 1500
    assert busy.error_details.quota_violations[0][0] == "translation queue"

    invalid_status = invalid_argument("text has 9 characters, over the limit", "text").status()
    invalid = error_from_status(
        invalid_status.code, invalid_status.details, invalid_status.trailing_metadata
    )
    assert isinstance(invalid, InvalidRequest)
    assert invalid.error_details.field_violations == (
        ("text", "text has 9 characters, over the limit"),
    )


def test_rich_details_win_over_the_old_retry_trailer():
    status = queue_full("full", 700).status()
    trailers = (("retry-after-ms", "5"), *status.trailing_metadata)
    assert error_from_status(status.code, status.details, trailers).retry_after_ms == 700


def test_a_request_over_the_message_limit_is_too_large_not_busy(
    random_model_dir: Path, tmp_path: Path
):
    with (
        live_server(random_model_dir, tmp_path, max_message_bytes=4096) as address,
        Translator(address) as client,
    ):
        with pytest.raises(
            MessageTooLarge, match=r"over the limit of 4096 bytes: send less"
        ) as raised:
            client.translate(SENTENCE * 60)
        assert client.translate(SENTENCE).sentences
    assert not isinstance(raised.value, Busy)
    assert raised.value.limit == 4096 and raised.value.size > 4096
