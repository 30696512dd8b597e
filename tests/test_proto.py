"""The committed generated modules must match translator.proto."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("generate", ROOT / "proto" / "generate.py")
assert _spec and _spec.loader
generate = importlib.util.module_from_spec(_spec)  # proto/generate.py, the one regenerator
_spec.loader.exec_module(generate)

API_DIR = ROOT / "proto" / "tarjama" / "v1"
# Lines that name the generator's version: they differ between grpcio-tools releases
# without any change to the API.
_VERSION_LINE = re.compile(r"Protobuf Python Version|GRPC_GENERATED_VERSION|_runtime_version")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate.generate(out)
    return out / "tarjama" / "v1"


def _serialized_descriptor(module_path: Path) -> bytes:
    text = module_path.read_text(encoding="utf-8")
    match = re.search(r"AddSerializedFile\((b'.*?')\)\n", text, re.DOTALL)
    assert match, f"{module_path} has no serialized descriptor"
    return bytes(ast.literal_eval(match.group(1)))


def _without_version_lines(path: Path) -> list[str]:
    return [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not _VERSION_LINE.search(line)
    ]


@pytest.mark.parametrize("proto", sorted(p.stem for p in API_DIR.glob("*.proto")))
def test_generated_modules_match_the_proto(proto: str, regenerated: Path) -> None:
    hint = "run `python proto/generate.py` and commit the result"
    committed, fresh = API_DIR / f"{proto}_pb2.py", regenerated / f"{proto}_pb2.py"
    assert _serialized_descriptor(committed) == _serialized_descriptor(fresh), hint
    for suffix in ("_pb2_grpc.py", "_pb2.pyi"):
        committed, fresh = API_DIR / f"{proto}{suffix}", regenerated / f"{proto}{suffix}"
        assert _without_version_lines(committed) == _without_version_lines(fresh), hint


def test_generated_modules_import_under_the_namespace() -> None:
    from tarjama.v1 import translator_pb2, translator_pb2_grpc

    assert translator_pb2.DESCRIPTOR.package == "tarjama.v1"
    assert hasattr(translator_pb2_grpc, "TranslatorStub")
    assert importlib.util.find_spec("tarjama.v1.translator_pb2") is not None


def test_every_term_field_of_the_news_glossary_survives_the_wire():
    from tarjama import wire
    from tarjama.glossary import bundled_glossary_path, load_glossary

    path = bundled_glossary_path("news")
    assert path is not None
    news = load_glossary(path)
    assert any(term.skip_when or term.guard or term.article for term in news.terms)

    back = wire.glossary_from_proto(wire.glossary_to_proto(news))

    assert back.terms == news.terms


def test_document_terms_and_their_hits_survive_the_wire():
    from tarjama import wire
    from tarjama.results import (
        DocumentTerm,
        Rendering,
        SentencePair,
        Span,
        TermHit,
        Translation,
    )

    hit = TermHit("", "لافروف", "Lavrov", Span(4, 10), Span(0, 6), "document")
    pair = SentencePair("قال لافروف.", "Lavrov said.", Span(0, 11), Span(0, 12), (hit,))
    term = DocumentTerm("لافروف", "Lavrov", 1, (Rendering("Lavrov", 1), Rendering("Lavrof", 1)))
    translation = Translation("r", "Lavrov said.", (pair,), "m", document_terms=(term,))

    assert wire.translation_from_proto(wire.translation_to_proto(translation)) == translation
    # A response from a server before document terms reads as none.
    older = wire.translation_to_proto(translation)
    older.ClearField("document_terms")
    assert wire.translation_from_proto(older).document_terms == ()
