"""The options of the translation layer, one type per stage, each the one source of its
defaults (the server's settings take theirs from here).

Light on purpose: the server's configuration imports it without loading CTranslate2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineOptions:
    """How CTranslate2 runs the model. Passed straight to ``ctranslate2.Translator``.

    Attributes:
        device: "cpu", "cuda" or "auto".
        compute_type: CTranslate2 compute type; "int8" is the fast choice on CPU.
        inter_threads: batches translated in parallel (each gets ``intra_threads``).
        intra_threads: threads per batch; 0 lets CTranslate2 choose.
        beam_size: default beam width when a call does not give one.
        max_decoding_length: hard cap on target tokens per sentence.
        min_decoding_length: floor on target tokens; 0 for real use. Benchmarks on
            random-weight models set min = max so every run decodes the same length.
        max_input_length: source tokens beyond this are truncated by CTranslate2;
            segmentation keeps real sentences well below it.
    """

    device: str = "cpu"
    compute_type: str = "int8"
    inter_threads: int = 1
    intra_threads: int = 0
    beam_size: int = 4
    max_decoding_length: int = 256
    min_decoding_length: int = 0
    max_input_length: int = 512


@dataclass(frozen=True)
class PipelineOptions:
    """Per-request options (mirrors ``tarjama.v1.PipelineOptions``).

    Attributes:
        beam_size: beam width; None for the translator's default.
        include_alignment: return word alignments in document coordinates.
        include_unconstrained: also return each sentence's translation without glossaries.
        term_spans_exclude_clitics: report a hit's source span without its proclitics
            («وبالقاهرة» → «القاهرة»).
        use_cache: look sentences up in the cache (results are stored either way).
        document_terms: give a name the model writes in more than one way in the document
            one rendering (``tarjama.server.translate.document_names``).
        alignment_for_names: set by the pipeline, not by callers: the alignment is asked
            for only so that document terms can read the names, so a sentence's first
            English word keeps its link only where a name of two words or more may begin
            the sentence (``Engine.translate_batch``'s ``names_only``).
    """

    beam_size: int | None = None
    include_alignment: bool = False
    include_unconstrained: bool = False
    term_spans_exclude_clitics: bool = False
    use_cache: bool = True
    document_terms: bool = True
    alignment_for_names: bool = False
