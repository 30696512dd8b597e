"""Reading and writing glossaries in the YAML schema of glossary/README.md.

Only PyYAML's safe loader is used: a glossary file can never construct Python objects.
The loader walks the composed node tree so that each problem names its line, and it
collects every problem of a file before raising.

Files come from anyone who may call PutGlossary, so reading one costs at most linear time
and memory in its size: the size and the number of terms are checked before the terms are
built, anchors and aliases (a few hundred bytes of them expand to gigabytes) are refused
while composing, before anything is expanded, nesting is bounded, and messages quote
values shortened.
"""

from __future__ import annotations

import os
from typing import Any

import yaml
from yaml import events, nodes

from tarjama.glossary.model import (
    MAX_FILE_BYTES,
    MAX_TERMS,
    SOURCE_LANGUAGE,
    TARGET_LANGUAGE,
    Glossary,
    GlossaryError,
    Problem,
    Term,
    validate_glossary,
)

GLOSSARY_KEYS = ("name", "description", "source_language", "target_language", "version", "terms")
TERM_KEYS = (
    "source", "target", "kind", "note", "exact", "article", "guard", "ambiguous", "skip_when",
    "apply_when",
)  # fmt: skip
MAX_DEPTH = 8  # the schema nests four levels: glossary, terms, term, source forms
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses ~5x faster


def load_glossary(path: str | os.PathLike[str]) -> Glossary:
    """Read and validate the glossary file at `path`; raise GlossaryError listing all problems."""
    return read_glossary_file(path)[1]


def read_glossary_file(
    path: str | os.PathLike[str], label: str | None = None
) -> tuple[str, Glossary]:
    """The text of the glossary file at `path` and the glossary it holds.

    `label` names the file in messages (default: the path).
    """
    file = label or os.fspath(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # the file may grow after a stat
            if len(data) > MAX_FILE_BYTES:
                size = max(os.fstat(handle.fileno()).st_size, len(data))
                raise GlossaryError([_too_big(file, size)])
    except OSError as error:
        raise GlossaryError(
            [Problem(file, None, "", f"cannot read the file: {error.strerror or error}")]
        ) from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise GlossaryError(
            [Problem(file, line, "", "the file is not valid UTF-8: save it as UTF-8")]
        ) from error
    return text, parse_glossary(text, file)


def parse_glossary(text: str, source_name: str) -> Glossary:
    """Parse and validate glossary YAML `text`; `source_name` names it in messages."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise GlossaryError([_too_big(source_name, size)])
    reader = _Reader(source_name)
    text = text.removeprefix("\ufeff")
    loader: yaml.SafeLoader | None = None
    try:
        loader = _Loader(text)
        glossary = reader.read(loader)
    except yaml.YAMLError as error:
        raise GlossaryError([_syntax_problem(source_name, text, error)]) from error
    finally:
        if loader is not None:
            loader.dispose()
    if glossary is not None:
        reader.problems.extend(validate_glossary(glossary, source_name, reader.field_lines))
    if reader.problems:
        raise GlossaryError(sorted(reader.problems, key=lambda problem: problem.line or 0))
    assert glossary is not None
    return glossary


class _Reader:
    """Turns the composed YAML into a Glossary, noting type and key problems on the way."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.field_lines: dict[str, int] = {}

    def read(self, loader: yaml.SafeLoader) -> Glossary | None:
        root = _compose(loader)
        if root is None:
            self._report(1, "", "the file is empty: write a mapping with name and terms")
            return None
        if not isinstance(root, yaml.MappingNode):
            self._report(_line(root), "", "expected a mapping with name, terms and so on")
            return None
        if not self._tags_allowed(loader, root):
            return None
        fields = self._mapping(loader, root, GLOSSARY_KEYS, "")
        self.field_lines = {key: _line(node) for key, node in fields.items()}
        if "terms" not in fields:
            self._report(_line(root), "", "terms is missing: add `terms:` with a list of terms")
        terms_node = fields.get("terms")
        terms: list[Term] = []
        if isinstance(terms_node, yaml.SequenceNode) and len(terms_node.value) > MAX_TERMS:
            count = len(terms_node.value)
            self._report(
                _line(terms_node), "", f"{count} terms is over the limit of {MAX_TERMS}: split it"
            )
        elif isinstance(terms_node, yaml.SequenceNode):
            terms = [t for t in (self._term(loader, n) for n in terms_node.value) if t]
        elif terms_node is not None and _value(loader, terms_node) is not None:
            self._report(_line(terms_node), "", "terms must be a list of terms")
        version = _value(loader, fields["version"]) if "version" in fields else None
        return Glossary(
            name=self._text(loader, fields.get("name"), "", "name"),
            terms=tuple(terms),
            description=self._text(loader, fields.get("description"), "", "description"),
            source_language=self._text(
                loader, fields.get("source_language"), "", "source_language", SOURCE_LANGUAGE
            ),
            target_language=self._text(
                loader, fields.get("target_language"), "", "target_language", TARGET_LANGUAGE
            ),
            version=version,
        )

    def _tags_allowed(self, loader: yaml.SafeLoader, root: yaml.Node) -> bool:
        """Report tags the safe loader cannot build (!!python/...), before building anything."""
        allowed = True
        pending = [root]
        while pending:
            node = pending.pop()
            if node.tag not in loader.yaml_constructors:
                allowed = False
                self._report(
                    _line(node), "", f"tag {_brief(node.tag)} is not allowed: use plain YAML values"
                )
            if isinstance(node, yaml.SequenceNode):
                pending.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                pending.extend(item for pair in node.value for item in pair)
        return allowed

    def _term(self, loader: yaml.SafeLoader, node: yaml.Node) -> Term | None:
        if not isinstance(node, yaml.MappingNode):
            self._report(_line(node), "", "each term must be a mapping with source and target")
            return None
        label = _label(node)
        fields = self._mapping(loader, node, TERM_KEYS, label)
        flags = {}
        for key in ("exact", "guard", "ambiguous"):
            flags[key] = _value(loader, fields[key]) if key in fields else False
            if not isinstance(flags[key], bool):
                self._report(_line(fields[key]), label, f"{key} must be true or false")
                flags[key] = False
        return Term(
            sources=self._sources(loader, fields.get("source"), label),
            target=self._text(loader, fields.get("target"), label, "target"),
            kind=self._text(loader, fields.get("kind"), label, "kind", "other"),
            note=self._text(loader, fields.get("note"), label, "note"),
            exact=flags["exact"],
            article=self._text(loader, fields.get("article"), label, "article"),
            guard=flags["guard"],
            ambiguous=flags["ambiguous"],
            skip_when=self._sources(loader, fields.get("skip_when"), label),
            apply_when=self._sources(loader, fields.get("apply_when"), label),
            line=_line(node),
        )

    def _mapping(
        self, loader: yaml.SafeLoader, node: yaml.MappingNode, allowed: tuple[str, ...], label: str
    ) -> dict[str, yaml.Node]:
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = _value(loader, key_node)
            if key not in allowed:
                self._report(
                    _line(key_node), label, f"unknown key {_brief(key)}: use {', '.join(allowed)}"
                )
            elif key in fields:
                self._report(
                    _line(key_node),
                    label,
                    f"duplicate key {_brief(key)} (also at line {_line(fields[key])}): keep one",
                )
            else:
                fields[key] = value_node
        return fields

    def _sources(
        self, loader: yaml.SafeLoader, node: yaml.Node | None, label: str
    ) -> tuple[str, ...]:
        if node is None:
            return ()
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        sources = []
        for item in items:
            value = _value(loader, item)
            if value is None:
                continue
            if isinstance(value, str):
                sources.append(value)
            else:
                self._report(_line(item), label, f"source {_brief(value)} must be Arabic text")
        return tuple(sources)

    def _text(
        self,
        loader: yaml.SafeLoader,
        node: yaml.Node | None,
        label: str,
        key: str,
        default: str = "",
    ) -> str:
        if node is None:
            return default
        value = _value(loader, node)
        if value is None:
            return default
        if not isinstance(value, str):
            self._report(_line(node), label, f"{key} must be text: put {_brief(value)} in quotes")
            return _brief(value)
        return value

    def _report(self, line: int, label: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, label, message))


def _compose(loader: yaml.SafeLoader) -> yaml.Node | None:
    """The document's node tree, built from the parser's events without recursion.

    PyYAML's own composer would follow aliases and recurse once per nesting level; this
    one refuses both before building anything.
    """
    stack: list[yaml.Node] = []
    root: yaml.Node | None = None
    documents = 0
    while not loader.check_event(events.StreamEndEvent):
        event = loader.get_event()
        # The stubs type marks as PyYAML's; libyaml makes its own, which nodes take as well.
        start: Any = event.start_mark
        end: Any = event.end_mark
        if isinstance(event, events.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Refused("a file holds one glossary: remove the second document", event)
            continue
        if isinstance(event, events.StreamStartEvent | events.DocumentEndEvent):
            continue
        if isinstance(event, events.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused("anchors and aliases (&, *) are not allowed: write values out", event)
        node: yaml.Node
        if isinstance(event, events.CollectionEndEvent):
            node = stack.pop()
            node.end_mark = end
            if isinstance(node, nodes.MappingNode):
                node.value = list(zip(node.value[0::2], node.value[1::2], strict=True))
        elif isinstance(event, events.ScalarEvent):
            tag = _tag(loader, event, nodes.ScalarNode, event.value)
            node = nodes.ScalarNode(tag, event.value, start, end, event.style)
        elif isinstance(event, events.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep", event)
            mapping = isinstance(event, events.MappingStartEvent)
            kind = nodes.MappingNode if mapping else nodes.SequenceNode
            tag = _tag(loader, event, kind, None)
            stack.append(kind(tag, [], start, None, flow_style=event.flow_style))
            continue
        else:
            raise _Refused(f"unexpected {type(event).__name__}", event)
        if stack:
            stack[-1].value.append(node)
        else:
            root = node
    return root


def _tag(loader: yaml.SafeLoader, event: Any, kind: type, value: str | None) -> str:
    if event.tag is None or event.tag == "!":
        return str(loader.resolve(kind, value, event.implicit))
    return str(event.tag)


class _Refused(yaml.MarkedYAMLError):
    """YAML the glossary reader does not accept, located at the event that has it."""

    def __init__(self, problem: str, at: Any) -> None:  # an event or a node
        super().__init__(problem=problem, problem_mark=at.start_mark)


def _value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as error:  # e.g. a 5,000-digit number, 2024-13-45
        raise _Refused("a value cannot be read: put it in quotes", node) from error


def _brief(value: object, limit: int = 60) -> str:
    """`value` quoted for a message, shortened: a message never grows with the input."""
    return _shorten(repr(value), limit)


def _label(node: yaml.MappingNode) -> str:
    """The term's first source form as written, for messages about a term."""
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == "source":
            forms = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for form in forms:
                if isinstance(form, yaml.ScalarNode) and form.value.strip():
                    return _shorten(str(form.value), 40)
    return ""


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _too_big(file: str, size: int) -> Problem:
    return Problem(
        file, None, "", f"{size} bytes is over the {MAX_FILE_BYTES} byte limit: split the glossary"
    )


def _syntax_problem(file: str, text: str, error: yaml.YAMLError) -> Problem:
    if isinstance(error, yaml.reader.ReaderError):
        position = error.position
        if _Loader is not yaml.SafeLoader:  # libyaml counts UTF-8 bytes, PyYAML characters
            position = len(text.encode()[:position].decode(errors="ignore"))
        return Problem(
            file,
            text.count("\n", 0, position) + 1,
            "",
            f"character U+{error.character:04X} is not allowed in YAML: remove it",
        )
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line: int | None = mark.line + 1 if mark is not None else None
    problem = getattr(error, "problem", None) or str(error)
    if isinstance(error, _Refused):
        return Problem(file, line, "", problem)
    context = getattr(error, "context", None)
    detail = f"{context}, {problem}" if context else problem
    return Problem(file, line, "", f"YAML syntax error: {_shorten(detail, 200)}")


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists; a term's several source forms on one line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_sources(dumper: yaml.SafeDumper, forms: tuple) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", forms, flow_style=True)


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(tuple, _represent_sources)
_Dumper.add_representer(str, _represent_text)


def dump_glossary(glossary: Glossary) -> str:
    """YAML text of `glossary` in the same schema; parse_glossary reads it back equal."""
    document: dict[str, Any] = {"name": glossary.name}
    if glossary.description:
        document["description"] = glossary.description
    document["source_language"] = glossary.source_language
    document["target_language"] = glossary.target_language
    if glossary.version is not None:
        document["version"] = glossary.version
    document["terms"] = [_term_document(term) for term in glossary.terms]
    return yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1_000_000)


def _term_document(term: Term) -> dict[str, Any]:
    document: dict[str, Any] = {
        "source": term.sources[0] if len(term.sources) == 1 else tuple(term.sources),
        "target": term.target,
        "kind": term.kind,
    }
    if term.note:
        document["note"] = term.note
    for key in ("exact", "guard", "ambiguous"):
        if getattr(term, key):
            document[key] = True
    if term.article:
        document["article"] = term.article
    for key in ("skip_when", "apply_when"):
        if getattr(term, key):
            document[key] = list(getattr(term, key))
    return document


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
