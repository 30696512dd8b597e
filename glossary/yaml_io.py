"""Reading glossaries in the YAML schema of glossary/README.md (and, re-exported, writing).

The reader walks the node tree :mod:`.yaml_compose` builds safely, so that each problem
names its line, and it collects every problem of a file before raising. Files come from
anyone who may call PutGlossary, so reading one costs at most linear time and memory in
its size: the size and the number of terms are checked before the terms are built.
Writing is :mod:`.yaml_dump`'s.
"""

from __future__ import annotations

import os

import yaml

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
from tarjama.glossary.yaml_compose import (
    Loader,
    compose,
    line_of,
    node_value,
    shorten,
    syntax_problem,
)
from tarjama.glossary.yaml_dump import dump_glossary

__all__ = ["dump_glossary", "load_glossary", "parse_glossary", "read_glossary_file"]

GLOSSARY_KEYS = ("name", "description", "source_language", "target_language", "version", "terms")
TERM_KEYS = (
    "source", "target", "kind", "note", "exact", "article", "guard", "ambiguous", "skip_when",
    "apply_when",
)  # fmt: skip


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
        loader = Loader(text)
        glossary = reader.read(loader)
    except yaml.YAMLError as error:
        raise GlossaryError([syntax_problem(source_name, text, error)]) from error
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
        root = compose(loader)
        if root is None:
            self._report(1, "", "the file is empty: write a mapping with name and terms")
            return None
        if not isinstance(root, yaml.MappingNode):
            self._report(line_of(root), "", "expected a mapping with name, terms and so on")
            return None
        if not self._tags_allowed(loader, root):
            return None
        fields = self._mapping(loader, root, GLOSSARY_KEYS, "")
        self.field_lines = {key: line_of(node) for key, node in fields.items()}
        if "terms" not in fields:
            self._report(line_of(root), "", "terms is missing: add `terms:` with a list of terms")
        terms_node = fields.get("terms")
        terms: list[Term] = []
        if isinstance(terms_node, yaml.SequenceNode) and len(terms_node.value) > MAX_TERMS:
            count = len(terms_node.value)
            self._report(
                line_of(terms_node), "", f"{count} terms is over the limit of {MAX_TERMS}: split it"
            )
        elif isinstance(terms_node, yaml.SequenceNode):
            terms = [t for t in (self._term(loader, n) for n in terms_node.value) if t]
        elif terms_node is not None and node_value(loader, terms_node) is not None:
            self._report(line_of(terms_node), "", "terms must be a list of terms")
        version = node_value(loader, fields["version"]) if "version" in fields else None
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
                    line_of(node),
                    "",
                    f"tag {_brief(node.tag)} is not allowed: use plain YAML values",
                )
            if isinstance(node, yaml.SequenceNode):
                pending.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                pending.extend(item for pair in node.value for item in pair)
        return allowed

    def _term(self, loader: yaml.SafeLoader, node: yaml.Node) -> Term | None:
        if not isinstance(node, yaml.MappingNode):
            self._report(line_of(node), "", "each term must be a mapping with source and target")
            return None
        label = _label(node)
        fields = self._mapping(loader, node, TERM_KEYS, label)
        flags = {}
        for key in ("exact", "guard", "ambiguous"):
            flags[key] = node_value(loader, fields[key]) if key in fields else False
            if not isinstance(flags[key], bool):
                self._report(line_of(fields[key]), label, f"{key} must be true or false")
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
            line=line_of(node),
        )

    def _mapping(
        self, loader: yaml.SafeLoader, node: yaml.MappingNode, allowed: tuple[str, ...], label: str
    ) -> dict[str, yaml.Node]:
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = node_value(loader, key_node)
            if key not in allowed:
                self._report(
                    line_of(key_node), label, f"unknown key {_brief(key)}: use {', '.join(allowed)}"
                )
            elif key in fields:
                self._report(
                    line_of(key_node),
                    label,
                    f"duplicate key {_brief(key)} (also at line {line_of(fields[key])}): keep one",
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
            value = node_value(loader, item)
            if value is None:
                continue
            if isinstance(value, str):
                sources.append(value)
            else:
                self._report(line_of(item), label, f"source {_brief(value)} must be Arabic text")
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
        value = node_value(loader, node)
        if value is None:
            return default
        if not isinstance(value, str):
            self._report(line_of(node), label, f"{key} must be text: put {_brief(value)} in quotes")
            return _brief(value)
        return value

    def _report(self, line: int, label: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, label, message))


def _brief(value: object, limit: int = 60) -> str:
    """`value` quoted for a message, shortened: a message never grows with the input."""
    return shorten(repr(value), limit)


def _label(node: yaml.MappingNode) -> str:
    """The term's first source form as written, for messages about a term."""
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == "source":
            forms = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for form in forms:
                if isinstance(form, yaml.ScalarNode) and form.value.strip():
                    return shorten(str(form.value), 40)
    return ""


def _too_big(file: str, size: int) -> Problem:
    return Problem(
        file, None, "", f"{size} bytes is over the {MAX_FILE_BYTES} byte limit: split the glossary"
    )
