"""Starts LibreTranslate with the benchmark's fixed decoding length; runs in the peer's venv.

argos-translate calls ``translate_batch`` without a decoding length, so a random-weight
model would decode up to 256 tokens per sentence while tarjama and the raw engine decode
exactly the benchmark's length. This launcher replaces ``ctranslate2.Translator`` (which
argos-translate looks up at call time) by a subclass that sets min = max decoding length,
and appends the number of sentences of each call to a file, one line per call. Nothing
else of LibreTranslate changes.

    python bench/_peer_launch.py DECODE_LENGTH BATCH_LOG -- LIBRETRANSLATE_ARGUMENTS...
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import ctranslate2


def fixed_length_translator(length: int, batch_log: str) -> type[ctranslate2.Translator]:
    lock = threading.Lock()

    class FixedLengthTranslator(ctranslate2.Translator):
        def translate_batch(self, source: Any, *args: Any, **options: Any) -> Any:
            options["min_decoding_length"] = options["max_decoding_length"] = length
            with lock, open(batch_log, "a", encoding="utf-8") as log:
                log.write(f"{len(source)}\n")
            return super().translate_batch(source, *args, **options)

    return FixedLengthTranslator


def main() -> None:
    length, batch_log, separator, *arguments = sys.argv[1:]
    if separator != "--":
        raise SystemExit(__doc__)
    ctranslate2.Translator = fixed_length_translator(int(length), batch_log)
    from libretranslate.main import main as libretranslate_main

    sys.argv = ["libretranslate", *arguments]
    libretranslate_main()


if __name__ == "__main__":
    main()
