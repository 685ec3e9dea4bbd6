"""Safe YAML into plain data, remembering the line and column of every node.

The composer is PyYAML's SafeLoader with three guards added while it builds the
node graph: a budget on the nodes a walk of the document would visit (every
alias counts the whole subtree it repeats, so a "billion laughs" file is refused
at its first few aliases), a nesting limit, and a refusal of aliases that point
into their own anchor. The walk that follows turns nodes into dicts, lists and
strings, records where each path came from, and reports duplicate keys, which
PyYAML would silently resolve by keeping the last one.

Every plain scalar becomes a string (only `~`/`null`/empty become None): the
models coerce "3" to 3 where they want a number, and nothing is lost on the way,
so `extension: 0044` stays "0044" and `close: 18:00` is not YAML 1.1's 1080.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dialplans.errors import Diagnostic, NodePath, Severity, format_path

MAX_NODES = 50_000
MAX_DEPTH = 64

_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS: dict[type[Node], set[str]] = {
    ScalarNode: {_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp")},
    SequenceNode: {_TAG + "seq"},
    MappingNode: {_TAG + "map"},
}
_NULL_TAG = _TAG + "null"
_MERGE_TAG = _TAG + "merge"
_HASH_KEY_COMMENT = re.compile(r"^(\s*)#\s*:")


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int


_START = Position(1, 1)


class _Refused(yaml.composer.ComposerError):
    """The composer stops: the document is too big, too deep, or loops through an alias."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


def _position(mark: Any) -> Position:
    return _START if mark is None else Position(mark.line + 1, mark.column + 1)


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that counts what the document expands to while composing it."""

    def __init__(self, text: str, max_nodes: int) -> None:
        super().__init__(text)
        self._max_nodes = max_nodes
        self._expanded = 0
        self._depth = 0
        # Expanded size of every finished node; a node missing here is still being composed.
        self._sizes: dict[int, int] = {}

    def _spend(self, nodes: int, mark: Any) -> None:
        self._expanded += nodes
        if self._expanded > self._max_nodes:
            raise _Refused(
                f"the document expands to more than {self._max_nodes:,} nodes; refusing it "
                "(anchors and aliases that repeat each other multiply: is this an alias bomb?)",
                mark,
            )

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None:
                if id(target) not in self._sizes:
                    raise _Refused(
                        f"alias *{event.anchor} points into its own anchor &{event.anchor}, "
                        "which would repeat forever",
                        event.start_mark,
                    )
                self._spend(self._sizes[id(target)], event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        node = super().compose_node(parent, index)
        self._depth -= 1
        if node is not None:
            self._sizes[id(node)] = 1 + sum(self._sizes[id(child)] for child in _children(node))
            self._spend(1, node.start_mark)
        return node


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


@dataclass
class SourceDocument:
    """The plain data of a YAML file and where each of its nodes stands."""

    file: str
    data: Any = None
    values: dict[NodePath, Position] = field(default_factory=dict)
    keys: dict[NodePath, Position] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Nodes already reported as unusable: later stages say nothing more about them.
    faulty: set[NodePath] = field(default_factory=set)

    def is_faulty(self, path: NodePath) -> bool:
        return any(path[: len(bad)] == bad for bad in self.faulty)

    def locate(self, path: NodePath, *, key: bool = False) -> Position:
        """Where `path` stands (its key, if asked and known); else its nearest known ancestor."""
        if key and path in self.keys:
            return self.keys[path]
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, _START)

    def report(self, position: Position, path: str, message: str, severity: Severity = "error") -> None:
        diagnostic = Diagnostic(self.file, position.line, position.column, path, message, severity)
        if diagnostic not in self.diagnostics:
            self.diagnostics.append(diagnostic)


def read_yaml(text: str, file: str, *, max_nodes: int = MAX_NODES) -> SourceDocument:
    """Compose and walk `text`; problems land in `diagnostics`, and `data` is None if it did not parse."""
    document = SourceDocument(file)
    _warn_about_hash_key_comments(text, document)
    try:
        root = _compose(text, max_nodes)
    except yaml.MarkedYAMLError as exc:
        document.report(_position(exc.problem_mark), "", _yaml_problem(exc))
        return document
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        where = Position(before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)
        document.report(where, "", f"the character {chr(exc.character)!r} is not allowed in YAML text")
        return document
    if root is None:
        document.report(_START, "", "the file is empty; a dialplan needs at least `menus` and `dids`")
        return document
    if isinstance(root, ScalarNode) and root.tag == _NULL_TAG:
        # `---` alone is an empty scalar that PyYAML places after the line: point at the document.
        document.report(
            _position(root.start_mark) if root.value else _START,
            "",
            "the document is empty (a null value): a dialplan is a mapping of `key: value` lines, "
            "and needs at least `menus` and `dids`",
        )
        return document
    document.data = _Walker(document).value(root, ())
    return document


def _compose(text: str, max_nodes: int) -> Node | None:
    loader = _GuardedLoader(text, max_nodes)  # the reader checks for unprintable characters right here
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "invalid YAML"
    if "'\\t'" in problem:
        return "a tab character: YAML indents with spaces only"
    if isinstance(exc, _Refused):
        return problem
    if exc.context and "alias" in exc.context:
        return f"invalid YAML: {problem} ('*' starts a YAML alias: to use the star key, quote it as \"*\")"
    if exc.context and "single document" in exc.context:
        return "a second YAML document (after `---`): a dialplan file holds exactly one"
    if "mapping values are not allowed" in problem:
        return f"invalid YAML: {problem} (a value that contains ': ' must be quoted)"
    context = (
        f" ({exc.context}, line {exc.context_mark.line + 1})" if exc.context and exc.context_mark else ""
    )
    return f"invalid YAML: {problem}{context}"


def _warn_about_hash_key_comments(text: str, document: SourceDocument) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HASH_KEY_COMMENT.match(line)
        if match:
            document.report(
                Position(number, len(match.group(1)) + 1),
                "",
                'this line is a YAML comment, not an option for the # key; write it as "#": ...',
                "warning",
            )


class _Walker:
    def __init__(self, document: SourceDocument) -> None:
        self._document = document

    def _problem(self, node: Node, path: NodePath, message: str) -> None:
        self._document.report(_position(node.start_mark), format_path(path), message)

    def value(self, node: Node, path: NodePath) -> Any:
        self._document.values[path] = _position(node.start_mark)
        if node.tag not in _ALLOWED_TAGS[type(node)]:
            self._problem(node, path, f"the YAML tag {_tag_name(node.tag)} has no meaning in a dialplan")
            self._document.faulty.add(path)
        if isinstance(node, ScalarNode):
            return None if node.tag == _NULL_TAG else node.value
        if isinstance(node, SequenceNode):
            return [self.value(child, (*path, index)) for index, child in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        mapping: dict[str, Any] = {}
        for key, key_node, value_node in self._entries(node, path):
            self._document.keys[(*path, key)] = _position(key_node.start_mark)
            mapping[key] = self.value(value_node, (*path, key))
        return mapping

    def _entries(self, node: MappingNode, path: NodePath) -> list[tuple[str, Node, Node]]:
        """The key/value pairs of a mapping, with `<<: *anchor` merges under the explicit keys."""
        entries: list[tuple[str, Node, Node]] = []
        first_seen: dict[str, Node] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, path, "a key must be plain text, not a list or a mapping")
                continue
            key = key_node.value
            if key in first_seen:
                first_line = first_seen[key].start_mark.line + 1
                self._problem(
                    key_node, (*path, key), f"duplicate key {key!r}: it is already set on line {first_line}"
                )
                continue
            first_seen[key] = key_node
            entries.append((key, key_node, value_node))
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, MappingNode):
                    self._problem(source, path, "`<<` merges a mapping (or a list of them) into this one")
                    continue
                for key, key_node, value_node in self._entries(source, path):
                    if key not in first_seen:
                        first_seen[key] = key_node
                        entries.append((key, key_node, value_node))
        return entries
