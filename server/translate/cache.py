"""A sentence-level LRU cache shared by all requests.

Wire copy repeats itself (datelines, boilerplate, updates of the same story), so a
translated sentence is kept under a key the pipeline builds from everything that shaped
the translation: model, sentence text, the glossary hits applied to it, and the options.
The cache neither builds nor reads keys and values; it only bounds how many it keeps.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CacheStats:
    """Lookups since the cache was made, and what it holds now."""

    hits: int
    misses: int
    size: int
    max_entries: int
    evictions: int

    @property
    def hit_rate(self) -> float:
        """Share of lookups that hit; 0.0 before the first lookup."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


class SentenceCache:
    """Thread-safe least-recently-used map holding at most ``max_entries`` values.

    ``max_entries=0`` keeps nothing (every lookup misses), so a server can turn caching
    off without a second code path.
    """

    def __init__(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be 0 or more, not {max_entries}")
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._evictions = 0

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value cached under ``key`` (now the most recently used), else ``default``."""
        with self._lock:
            try:
                value = self._entries[key]
            except KeyError:
                self._misses += 1
                return default
            self._entries.move_to_end(key)
            self._hits += 1
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Caches ``value``, dropping the least recently used entry when full."""
        if self.max_entries == 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
                self._evictions += 1

    def clear(self) -> None:
        """Forgets every entry (the counters stay)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                self._hits, self._misses, len(self._entries), self.max_entries, self._evictions
            )
