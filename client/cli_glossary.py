"""`tarjama glossary ...`: check glossary files and find their terms in text, no server needed.

A glossary argument is a file path or the name of a bundled glossary (`news` is the
packaged glossary/news.yaml); a path wins when both exist.

`match` shows what translation will do with each hit: the text is cut into sentences and
each sentence's hits decided as the translation pipeline does it (one decision function,
``tarjama.server.translate.enforce.ambiguity.decide``): enforce, skip (with the reason) or
guard. A hit marked ``enforce?`` is a doubtful term that translation still skips where the
model's plain translation reads it as an ordinary word or the adjective; only translating
shows that.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from tarjama.client.cli import EXIT_FAILURE, EXIT_OK, CliError, counted
from tarjama.glossary import (
    Glossary,
    GlossaryError,
    Matcher,
    Problem,
    bundled_glossary_names,
    bundled_glossary_path,
    load_glossary,
)
from tarjama.server.translate.enforce.ambiguity import ENFORCE, GUARD, SKIP, Decision

ACTIONS = (ENFORCE, SKIP, GUARD)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "glossary",
        help="check and match glossaries offline; list, show, push and delete them on a server",
        description="Work with YAML glossaries (schema: glossary/README.md).",
    )
    commands = parser.add_subparsers(dest="glossary_command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check glossary files against the schema",
        description="Check each glossary; list every problem as FILE:LINE: TERM: MESSAGE.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="glossary file or bundled name")
    validate.set_defaults(func=run_validate)

    match = commands.add_parser(
        "match",
        help="show where glossary terms occur in Arabic text",
        description="Find glossary terms in Arabic text, as the translator would.",
    )
    match.add_argument(
        "--glossary",
        "-g",
        action="append",
        required=True,
        metavar="FILE",
        help="glossary file or bundled name (repeat; earlier ones win on overlaps)",
    )
    match.add_argument(
        "text",
        nargs="?",
        default="-",
        metavar="TEXT",
        help="a text file, literal Arabic text, or - for standard input (the default)",
    )
    match.add_argument(
        "--json", action="store_true", help="print the hits and their decisions as JSON"
    )
    match.set_defaults(func=run_match)

    from tarjama.client.cli_glossary_remote import register_remote  # list/show/push/delete

    register_remote(commands)
    from tarjama.client.cli_suggest import register as register_suggest  # mined drafts

    register_suggest(commands)


def run_validate(args: argparse.Namespace) -> int:
    failed = 0
    for argument in args.files:
        try:
            glossary = _load(argument)
        except GlossaryError as error:
            failed += 1
            _print_problems(error.problems)
            continue
        version = f", version {glossary.version}" if glossary.version is not None else ""
        terms = counted(len(glossary.terms), "term")
        print(f"OK {argument}: {terms} (glossary {glossary.name!r}{version})")
    if failed:
        print(f"{failed} of {len(args.files)} glossaries are invalid", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def run_match(args: argparse.Namespace) -> int:
    glossaries: list[tuple[str, Glossary]] = []
    problems: list[Problem] = []
    for argument in args.glossary:
        try:
            glossary = _load(argument)
        except GlossaryError as error:
            problems.extend(error.problems)
            continue
        glossaries.append((glossary.name, glossary))
    if problems:
        _print_problems(problems)
        return EXIT_FAILURE
    text = _read_text(args.text)
    hits = [
        Hit.from_decision(text, offset, decision)
        for offset, decision in _decisions(text, Matcher(glossaries))
    ]
    if args.json:
        document = {"hits": [hit.__dict__ for hit in hits]}
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        _print_table(hits)
    return EXIT_OK


def _decisions(text: str, matcher: Matcher) -> list[tuple[int, Decision]]:
    """Each hit's decision and its sentence's offset in ``text``: sentences cut with the
    whole text's hits kept whole, then matched and decided one by one, as the translation
    pipeline does."""
    from tarjama.server.translate.enforce.ambiguity import decide
    from tarjama.server.translate.segment import segment

    whole = [(match.start, match.end) for match in matcher.find(text)]
    decisions = []
    for sentence in segment(text, keep=whole):
        source = text[sentence.start : sentence.end]
        if sentence.has_arabic:
            decisions += [(sentence.start, decide(source, m)) for m in matcher.find(source)]
    return decisions


@dataclass(frozen=True)
class Hit:
    """One term occurrence as `glossary match` prints it (also its JSON keys). ``action``:
    what translation does with it, "enforce", "skip" or "guard"; ``reason``: why it is
    skipped or a guard; ``model_may_skip``: enforced unless the model's plain translation
    reads the words as an ordinary word or the adjective."""

    source_term: str
    target_term: str
    text: str
    start: int
    end: int
    glossary: str
    kind: str
    proclitic: str
    term_start: int
    term_end: int
    action: str
    reason: str | None
    model_may_skip: bool

    @classmethod
    def from_decision(cls, text: str, offset: int, decision: Decision) -> Hit:
        """The hit of ``decision``, made in the sentence starting at ``offset``."""
        match = decision.match
        return cls(
            source_term=match.source_form,
            target_term=match.target,
            text=text[offset + match.start : offset + match.end],
            start=offset + match.start,
            end=offset + match.end,
            glossary=match.glossary,
            kind=match.term.kind,
            proclitic=match.proclitic,
            term_start=offset + match.term_start,
            term_end=offset + match.term_end,
            action=decision.action,
            reason=decision.reason,
            model_may_skip=decision.doubtful,
        )

    @property
    def shown_action(self) -> str:
        return self.action + ("?" if self.model_may_skip else "")


def _load(argument: str) -> Glossary:
    """Load a glossary named by path or, failing that, by bundled name."""
    if _is_file(argument):
        return load_glossary(argument)
    bundled = bundled_glossary_path(argument)
    if bundled is not None:
        return load_glossary(bundled)
    names = ", ".join(bundled_glossary_names()) or "none"
    raise GlossaryError(
        [
            Problem(
                argument,
                None,
                "",
                f"no such file, and no bundled glossary by that name (bundled: {names})",
            )
        ]
    )


def _read_text(argument: str) -> str:
    """The input text: standard input for "-", a file's content, or the argument itself."""
    if argument == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            return sys.stdin.read()
        return _decode(stream.read(), "standard input")
    if _is_file(argument):
        try:
            return _decode(Path(argument).read_bytes(), argument)
        except OSError as error:
            raise CliError(f"cannot read {argument}: {error.strerror or error}") from error
    return argument


def _is_file(argument: str) -> bool:
    """True when `argument` names an existing file; literal text (too long, NUL) is not one."""
    try:
        return Path(argument).is_file()
    except (OSError, ValueError):
        return False


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CliError(
            f"{name} is not valid UTF-8 (byte {error.start}): convert it to UTF-8 first"
        ) from error


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def _print_table(hits: list[Hit]) -> None:
    if not hits:
        print("no glossary terms found")
        return
    rows = [
        (
            f"{hit.start}-{hit.end}",
            hit.target_term,
            hit.glossary or "(inline)",
            hit.kind,
            hit.shown_action,
            hit.text,
        )
        for hit in hits
    ]
    header = ("SPAN", "TARGET", "GLOSSARY", "KIND", "ACTION", "ARABIC")
    # Arabic goes last: right-to-left text would otherwise shuffle the columns after it.
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(5)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[5]]))
    counts = {action: sum(1 for hit in hits if hit.action == action) for action in ACTIONS}
    actions = ", ".join(f"{n} {action}" for action, n in counts.items())
    print(f"{counted(len(hits), 'hit')}: {actions}")
    for hit in hits:
        if hit.reason is not None:
            print(f"{hit.start}-{hit.end} {hit.action}: {hit.reason}")
    if any(hit.model_may_skip for hit in hits):
        print(
            "enforce?: skipped where the model's translation reads it as an ordinary word "
            "or the adjective (only translating shows it)"
        )
