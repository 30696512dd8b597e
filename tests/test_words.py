import pytest

from tarjama.server.translate.tokens import Token, detokenize, word_index, word_spans


def spans_text(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in spans]


@pytest.mark.parametrize(
    ("pieces", "text"),
    [
        (["▁The", "▁Kremlin", "▁said", "."], "The Kremlin said."),
        (["▁", "<0xE2>", "<0x80>", "<0x9C>", "Nus", "ra", "”"], "“Nusra”"),
        (["▁Put", "in", "<0x2E>", "<0x2E>"], "Putin.."),
        (["▁a", "</s>", "▁b"], "a b"),
        ([], ""),
    ],
)
def test_detokenize_joins_pieces(pieces: list[str], text: str) -> None:
    assert detokenize(pieces)[0] == text


def test_detokenize_spans_point_at_each_piece() -> None:
    text, tokens = detokenize(["▁Vladimir", "▁Put", "in", "▁", "<0xD8>", "<0xA7>", "."])
    assert text == "Vladimir Putin ا."
    assert [text[t.start : t.end] for t in tokens] == ["Vladimir", "Put", "in", "", "ا", "ا", "."]
    assert tokens[1] == Token("▁Put", 9, 12)


def test_incomplete_byte_sequence_becomes_replacement_character() -> None:
    assert detokenize(["▁x", "<0xD9>"])[0] == "x\ufffd"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "قال «داعش»، و(...) 3.5",
            ["قال", "«", "داعش", "»", "،", "و", "(", ".", ".", ".", ")", "3.5"],
        ),
        ("The U.S. said: «no».", ["The", "U.S", ".", "said", ":", "«", "no", "»", "."]),
        ("  وبالقاهرة  ", ["وبالقاهرة"]),
        ("الرئيسُ", ["الرئيسُ"]),
    ],
)
def test_word_spans_split_punctuation_off(text: str, words: list[str]) -> None:
    assert spans_text(text, word_spans(text)) == words


def test_word_index_finds_the_word_of_a_token() -> None:
    text = "أجرى الرئيس «بوتين»"
    words = word_spans(text)
    assert word_index(words, 5, 8) == 1  # a piece inside الرئيس
    assert words[word_index(words, 13, 18) or 0] == (13, 18)  # بوتين inside the quotes
    assert word_index(words, 12, 12) == 2  # an empty span sits on «
    assert word_index([], 0, 1) is None
