"""How `tarjama translate` writes a translation: text, JSON, TSV or a side-by-side page."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

from google.protobuf import json_format

from tarjama.client.cli import EXIT_USAGE, CliError
from tarjama.client.cli_inputs import Job
from tarjama.client.html_report import render_html
from tarjama.results import DOCUMENT_METHOD, SentencePair, Translation
from tarjama.wire import translation_to_proto


class Output:
    """Writes each translation in the chosen format, to its file or to standard output."""

    def __init__(self, output_format: str, jobs: list[Job], *, review_only: bool = False) -> None:
        self.format = output_format
        self.review_only = review_only
        # Several inputs sharing standard output need telling apart.
        self.label_inputs = sum(job.output is None for job in jobs) > 1
        self.stdout_header_done = False

    def write(self, job: Job, text: str, translation: Translation) -> None:
        if job.output is None:
            sys.stdout.write(self.render(job, text, translation))
            sys.stdout.flush()
            return
        content = self.render(job, text, translation)
        try:
            job.output.parent.mkdir(parents=True, exist_ok=True)
            job.output.write_text(content, encoding="utf-8")
        except OSError as error:
            raise CliError(
                f"cannot write {job.output}: {error.strerror or error}", EXIT_USAGE
            ) from error

    def render(self, job: Job, text: str, translation: Translation) -> str:
        label = self.label_inputs and job.output is None
        if self.review_only and self.format != "tsv":  # TSV keeps the sentence numbers
            translation = flagged_only(translation)
        if self.format == "json":
            return render_json(translation)
        if self.format == "html":
            return render_html(text, translation, title=job.path.name if job.path else "stdin")
        if self.format == "tsv":
            header = not (job.output is None and self.stdout_header_done)
            self.stdout_header_done |= job.output is None
            return render_tsv(
                translation,
                job.name if label else None,
                header=header,
                review_only=self.review_only,
            )
        heading = f"==> {job.name} <==\n" if label else ""
        if self.review_only:  # the flagged sentences, one a line: the rest is not printed
            return heading + "".join(_cell(pair.target) + "\n" for pair in translation.sentences)
        return heading + translation.translation.rstrip("\n") + "\n"


def flagged_only(translation: Translation) -> Translation:
    """Only the pairs that need review; their spans still point into the whole text."""
    pairs = tuple(pair for pair in translation.sentences if pair.needs_review)
    return replace(translation, sentences=pairs)


def render_json(translation: Translation) -> str:
    """The TranslateResponse in protobuf's JSON mapping, proto field names, one line."""
    return json.dumps(response_dict(translation), ensure_ascii=False) + "\n"


def response_dict(translation: Translation) -> dict:
    return json_format.MessageToDict(
        translation_to_proto(translation),
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )


def render_tsv(
    translation: Translation, file_label: str | None, *, header: bool, review_only: bool = False
) -> str:
    """One row per sentence pair; a first column names the input when several share it.
    The last column lists the document terms placed in the sentence (the names given one
    rendering across the document), ``Arabic=English`` as ``-t`` takes them."""
    prefix = [] if file_label is None else [_cell(file_label)]
    columns = ["sentence", "source", "target", "confidence", "review", "document_terms"]
    columns = columns if file_label is None else ["file", *columns]
    rows = [columns] if header else []
    rows += [
        [
            *prefix,
            str(number),
            _cell(pair.source),
            _cell(pair.target),
            *_review_cells(pair),
            _document_cell(pair),
        ]
        for number, pair in enumerate(translation.sentences, start=1)
        if pair.needs_review or not review_only
    ]
    return "".join("\t".join(row) + "\n" for row in rows)


def _review_cells(pair: SentencePair) -> list[str]:
    """The confidence, and the codes of the review reasons (empty: no review needed)."""
    codes = dict.fromkeys(reason.code for reason in pair.review_reasons)
    return [f"{pair.confidence:.2f}", ",".join(codes)]


def _document_cell(pair: SentencePair) -> str:
    """The document terms placed in the sentence, as `-t` takes them: «Arabic=English»."""
    terms = [
        f"{hit.source_term}={hit.target_term}"
        for hit in pair.term_hits
        if hit.method == DOCUMENT_METHOD
    ]
    return _cell("; ".join(dict.fromkeys(terms)))


def _cell(value: str) -> str:
    return " ".join(value.split())  # tabs and line breaks would break the columns
