"""A YAML or JSON document as text plus node positions; edits are insertions only.

`drift infer --update` must leave every declared line of a contract as it was. Re-emitting a
parsed document cannot promise that (quoting, folding, indentation and comments all move), so
the text is kept and new parts are *inserted* at positions read from the YAML node tree: a new
key of a block mapping or item of a block sequence goes on new lines after the last line of
that mapping or sequence, indented like its siblings; into flow collections (JSON, `{a: 1}`)
it goes after the last member, JSON-formatted (JSON is YAML flow syntax).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from drift.core.pointer import split

__all__ = ["TextDocument"]

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # YAML 1.1 line breaks, as the parser counts
# Surrogate escapes (`\ud83d`) stop the YAML reader; a same-length stand-in keeps positions.
_SURROGATE = re.compile(r"(?<!\\)((?:\\\\)*)\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_MAX_REFS = 32


class TextDocument:
    """Read a document's node tree; collect insertions; `render()` the edited text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.is_json = text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[")
        self._bom = 1 if text.startswith("\ufeff") else 0  # parsed without it: line 0 shifts
        stand_in = _SURROGATE.sub(lambda m: m.group(1) + "\\u0058", text[self._bom :])
        if self.is_json:
            stand_in = stand_in.replace("\t", " ")  # JSON whitespace; YAML allows no tabs
        self.root: Node | None = yaml.compose(stand_in, Loader=_LOADER)
        self._starts = [0, *(m.end() for m in _BREAK.finditer(text))]
        self.step = self._indent_step()
        self.indented_sequences = self._sequences_indented()
        self._inserts: list[tuple[int, int, int, str]] = []  # offset, -indent, order, text

    # -- reading ---------------------------------------------------------------------------

    @staticmethod
    def get(node: Node | None, key: str) -> Node | None:
        found = None
        if isinstance(node, MappingNode):
            for k, v in node.value:
                if isinstance(k, ScalarNode) and k.value == key:
                    found = v  # the last of duplicate keys wins, as when loading
        return found

    @staticmethod
    def scalar(node: Node | None) -> str | None:
        return node.value if isinstance(node, ScalarNode) else None

    @staticmethod
    def items(node: Node | None) -> list[tuple[str, Node]]:
        if not isinstance(node, MappingNode):
            return []
        return [(k.value, v) for k, v in node.value if isinstance(k, ScalarNode)]

    def deref(self, node: Node | None, depth: int = 0) -> Node | None:
        """Follow local `$ref`s; None for references into other files or that do not resolve."""
        for _ in range(_MAX_REFS):
            ref = self.scalar(self.get(node, "$ref"))
            if ref is None:
                return node
            if not ref.startswith("#") or depth > _MAX_REFS:
                return None
            node = self.at(unquote(ref[1:]), depth + 1)
        return None

    def at(self, pointer: str, depth: int = 0) -> Node | None:
        """The node at a JSON pointer, following `$ref`s on the way (not at the end)."""
        node = self.root
        for segment in split(pointer):
            node = self.deref(node, depth)
            if isinstance(node, SequenceNode):
                index = int(segment) if segment.isdigit() else len(node.value)
                node = node.value[index] if index < len(node.value) else None
            else:
                node = self.get(node, segment)
            if node is None:
                return None
        return node

    # -- writing ---------------------------------------------------------------------------

    def add_member(self, mapping: Node | None, key: str, value: Any) -> bool:
        """Insert `key: value` as the mapping's last member; False when it is not a mapping."""
        if not isinstance(mapping, MappingNode):
            return False
        if mapping.flow_style or not mapping.value:
            self._flow(mapping, key, value)
            return True
        indent = mapping.value[0][0].start_mark.column
        self._block(self._last_line(mapping) + 1, indent, self._dump({key: value}))
        return True

    def append_item(self, sequence: Node | None, value: Any) -> bool:
        """Insert `value` as the sequence's last item; False when it is not a sequence."""
        if not isinstance(sequence, SequenceNode):
            return False
        if sequence.flow_style or not sequence.value:
            self._flow(sequence, None, value)
            return True
        indent = sequence.start_mark.column  # the column of its `-` indicators
        self._block(self._last_line(sequence) + 1, indent, self._dump([value]))
        return True

    def render(self) -> str:
        out: list[str] = []
        last = 0
        for offset, _, _, text in sorted(self._inserts):
            out.append(self.text[last:offset])
            if offset == len(self.text) and last < offset and not _ends_with_break(self.text):
                out.append(self.newline)
            out.append(text)
            last = offset
        out.append(self.text[last:])
        return "".join(out)

    # -- internals -------------------------------------------------------------------------

    def _dump(self, value: Any) -> list[str]:
        text = yaml.dump(
            value,
            Dumper=_IndentedDumper if self.indented_sequences else yaml.SafeDumper,
            default_flow_style=False,
            sort_keys=False,
            allow_unicode=True,
            width=1_000_000,
            indent=min(max(self.step, 2), 9),
        )
        return text.splitlines()

    def _block(self, line: int, indent: int, lines: list[str]) -> None:
        offset = self._starts[line] if line < len(self._starts) else len(self.text)
        text = "".join(" " * indent + row + self.newline for row in lines)
        self._inserts.append((offset, -indent, len(self._inserts), text))

    def _flow(self, node: MappingNode | SequenceNode, key: str | None, value: Any) -> None:
        ascii_only = self.is_json and self.text.isascii()
        member = "" if key is None else json.dumps(key, ensure_ascii=ascii_only) + ": "
        if not node.value:  # `{}` / `[]`: inside the brackets
            text = member + json.dumps(value, ensure_ascii=ascii_only)
            offset = self._offset(node.end_mark) - 1
            self._inserts.append((offset, -node.start_mark.column, len(self._inserts), text))
            return
        last = node.value[-1]
        first_of_last, end_of_last = (last[0], last[1]) if isinstance(last, tuple) else (last, last)
        indent = first_of_last.start_mark.column
        if first_of_last.start_mark.line > node.start_mark.line:  # one member per line
            dumped = json.dumps(value, indent=self.step, ensure_ascii=ascii_only)
            body = (member + dumped).replace("\n", self.newline + " " * indent)
            text = "," + self.newline + " " * indent + body
        else:
            text = ", " + member + json.dumps(value, ensure_ascii=ascii_only)
        offset = self._offset(end_of_last.end_mark)
        self._inserts.append((offset, -indent, len(self._inserts), text))

    def _offset(self, mark: Any) -> int:
        return int(self._starts[mark.line] + mark.column + (self._bom if mark.line == 0 else 0))

    def _last_line(self, node: Node) -> int:
        """The last line holding part of a block collection (where new members go after)."""
        if isinstance(node, MappingNode) and not node.flow_style and node.value:
            key, value = node.value[-1]
            return max(int(key.end_mark.line), self._value_line(value, key.start_mark.index))
        if isinstance(node, SequenceNode) and not node.flow_style and node.value:
            return max(int(node.start_mark.line), self._value_line(node.value[-1], -1))
        return self._value_line(node, -1)

    def _value_line(self, node: Node, after: int) -> int:
        if node.start_mark.index < after:  # an alias: the anchored node lies further up
            return 0
        if isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
            return self._last_line(node)
        end = node.end_mark
        if isinstance(node, ScalarNode) and node.style in ("|", ">") and end.column == 0:
            return int(end.line) - 1  # a block scalar ends at the start of the next line
        return int(end.line)

    def _sequences_indented(self) -> bool:
        """Whether the document's first block sequence under a key is indented below it."""
        stack: list[Node] = [self.root] if self.root is not None else []
        while stack:
            node = stack.pop(0)
            for key, value in node.value if isinstance(node, MappingNode) else []:
                if isinstance(value, SequenceNode) and not value.flow_style and value.value:
                    return bool(value.start_mark.column > key.start_mark.column)
                if isinstance(value, MappingNode | SequenceNode):
                    stack.append(value)
            for item in node.value if isinstance(node, SequenceNode) else []:
                stack.append(item)
        return False

    def _indent_step(self) -> int:
        root = self.root
        if not isinstance(root, MappingNode) or not root.value:
            return 2
        if root.flow_style:
            first = root.value[0][0].start_mark
            step = first.column - root.start_mark.column
            return step if first.line > root.start_mark.line and step > 0 else 2
        for key, value in root.value:
            if isinstance(value, MappingNode) and not value.flow_style and value.value:
                step = value.value[0][0].start_mark.column - key.start_mark.column
                if step > 0:
                    return int(step)
        return 2


class _IndentedDumper(yaml.SafeDumper):
    """Block sequences indented under their key (`key:\n  - item`), as many documents have."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _ends_with_break(text: str) -> bool:
    return bool(text) and text[-1] in "\r\n\x85\u2028\u2029"
