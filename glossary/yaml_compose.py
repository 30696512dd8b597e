"""YAML text to a node tree, safely, with every problem located at its line.

Only PyYAML's safe loader is used: a glossary file can never construct Python objects.
Files come from anyone who may call PutGlossary, so composing one costs at most linear
time and memory in its size: anchors and aliases (a few hundred bytes of them expand to
gigabytes) are refused while composing, before anything is expanded, nesting is bounded,
and messages quote values shortened. :mod:`.yaml_io` turns the tree into a Glossary.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml import events, nodes

from tarjama.glossary.model import Problem

MAX_DEPTH = 8  # the schema nests four levels: glossary, terms, term, source forms
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses ~5x faster


def compose(loader: yaml.SafeLoader) -> yaml.Node | None:
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
                raise Refused("a file holds one glossary: remove the second document", event)
            continue
        if isinstance(event, events.StreamStartEvent | events.DocumentEndEvent):
            continue
        if isinstance(event, events.AliasEvent) or getattr(event, "anchor", None):
            raise Refused("anchors and aliases (&, *) are not allowed: write values out", event)
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
                raise Refused(f"nested more than {MAX_DEPTH} levels deep", event)
            mapping = isinstance(event, events.MappingStartEvent)
            kind = nodes.MappingNode if mapping else nodes.SequenceNode
            tag = _tag(loader, event, kind, None)
            stack.append(kind(tag, [], start, None, flow_style=event.flow_style))
            continue
        else:
            raise Refused(f"unexpected {type(event).__name__}", event)
        if stack:
            stack[-1].value.append(node)
        else:
            root = node
    return root


def _tag(loader: yaml.SafeLoader, event: Any, kind: type, value: str | None) -> str:
    if event.tag is None or event.tag == "!":
        return str(loader.resolve(kind, value, event.implicit))
    return str(event.tag)


class Refused(yaml.MarkedYAMLError):
    """YAML the glossary reader does not accept, located at the event that has it."""

    def __init__(self, problem: str, at: Any) -> None:  # an event or a node
        super().__init__(problem=problem, problem_mark=at.start_mark)


def node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as error:  # e.g. a 5,000-digit number, 2024-13-45
        raise Refused("a value cannot be read: put it in quotes", node) from error


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def syntax_problem(file: str, text: str, error: yaml.YAMLError) -> Problem:
    if isinstance(error, yaml.reader.ReaderError):
        position = error.position
        if Loader is not yaml.SafeLoader:  # libyaml counts UTF-8 bytes, PyYAML characters
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
    if isinstance(error, Refused):
        return Problem(file, line, "", problem)
    context = getattr(error, "context", None)
    detail = f"{context}, {problem}" if context else problem
    return Problem(file, line, "", f"YAML syntax error: {shorten(detail, 200)}")


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
