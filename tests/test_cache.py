"""The sentence cache: LRU order, bounds, counters, and use from many threads at once."""

from __future__ import annotations

import threading

import pytest

from tarjama.server.translate.cache import SentenceCache

SENTENCES = [
    "أجرى الرئيس الروسي فلاديمير بوتين محادثات مع وزير الخارجية الأميركي جون كيري",
    "وقال الناطق باسم الكرملين ديمتري بيسكوف إن المحادثات كانت بناءة",
    "وأعلن الكرملين أنها ركزت على الملفين السوري والأوكراني",
    "مشاركة :",
]


def key(sentence: str, *, beam_size: int = 4, hits: tuple[object, ...] = ()) -> tuple[object, ...]:
    """Shaped like the pipeline's keys: model, sentence, glossary hits, options."""
    return ("opus-mt-ar-en", sentence, hits, beam_size, False, False, False)


def test_hit_returns_the_stored_value_and_counts() -> None:
    cache = SentenceCache(8)
    cache.put(key(SENTENCES[0]), "Russian President Vladimir Putin held talks with John Kerry")
    assert cache.get(key(SENTENCES[0])) == (
        "Russian President Vladimir Putin held talks with John Kerry"
    )
    assert cache.get(key(SENTENCES[1])) is None
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.size) == (1, 1, 1)
    assert stats.hit_rate == 0.5


@pytest.mark.parametrize(
    "other",
    [
        key(SENTENCES[0], beam_size=1),
        key(SENTENCES[0], hits=(("news", "Kremlin", 0, 9),)),
        key(SENTENCES[0] + " "),
    ],
    ids=["another beam", "a glossary hit", "another text"],
)
def test_keys_differing_in_anything_do_not_share_an_entry(other: tuple[object, ...]) -> None:
    cache = SentenceCache(8)
    cache.put(key(SENTENCES[0]), "cached translation")
    assert cache.get(other, "missing") == "missing"


def test_least_recently_used_entry_goes_first() -> None:
    cache = SentenceCache(3)
    for sentence in SENTENCES[:3]:
        cache.put(key(sentence), sentence.upper())
    cache.get(key(SENTENCES[0]))  # now the most recently used
    cache.put(key(SENTENCES[3]), "Share:")
    assert cache.get(key(SENTENCES[1])) is None
    assert [cache.get(key(s)) is not None for s in (SENTENCES[0], SENTENCES[2], SENTENCES[3])] == [
        True,
        True,
        True,
    ]
    assert cache.stats().evictions == 1
    assert len(cache) == 3


def test_put_replaces_an_existing_value_without_growing() -> None:
    cache = SentenceCache(2)
    cache.put(key(SENTENCES[2]), "first translation")
    cache.put(key(SENTENCES[2]), "second translation")
    assert cache.get(key(SENTENCES[2])) == "second translation"
    assert len(cache) == 1


def test_zero_entries_keeps_nothing() -> None:
    cache = SentenceCache(0)
    cache.put(key(SENTENCES[0]), "Putin")
    assert cache.get(key(SENTENCES[0])) is None
    assert cache.stats().hit_rate == 0.0


def test_clear_forgets_entries_but_keeps_counters() -> None:
    cache = SentenceCache(4)
    cache.put(key(SENTENCES[0]), "Putin")
    cache.get(key(SENTENCES[0]))
    cache.clear()
    assert cache.get(key(SENTENCES[0])) is None
    assert (cache.stats().hits, cache.stats().misses, len(cache)) == (1, 1, 0)


def test_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="max_entries must be 0 or more, not -1"):
        SentenceCache(-1)


def test_many_threads_keep_values_counters_and_bound_consistent() -> None:
    cache = SentenceCache(50)
    threads_count, rounds = 16, 200
    barrier = threading.Barrier(threads_count)
    wrong_values: list[object] = []

    def hammer(worker: int) -> None:
        barrier.wait()
        for n in range(rounds):
            # 80 keys in all, each thread cycling over 20 of them.
            sentence = SENTENCES[n % len(SENTENCES)]
            sentence_key = key(sentence, beam_size=(worker % 4) * 20 + n % 20)
            value = cache.get(sentence_key)
            if value is None:
                cache.put(sentence_key, sentence_key)
            elif value != sentence_key:
                wrong_values.append(value)

    threads = [threading.Thread(target=hammer, args=(w,)) for w in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = cache.stats()
    assert wrong_values == []
    assert stats.hits + stats.misses == threads_count * rounds
    assert stats.size == 50
    # Two threads missing the same key both put it; the second put replaces, not grows.
    assert 0 < stats.evictions <= stats.misses - 50
