"""Split a content file into YAML front matter and Markdown body, with true line numbers.

YAML is read with a safe loader (libyaml's when installed: same results, several times
faster). Besides the constructed values we keep each scalar's source text, so a field that
must be text (``slug: 010``, ``title: yes``) is taken exactly as the author typed it rather
than as the number or boolean YAML would make of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from passivepress.errors import ContentError, Problem

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader without YAML's timestamps: dates are read by passivepress itself, in
    the site's time zone, and a date that does not exist (2024-02-30) gets a located
    message instead of an exception from deep inside PyYAML."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}

KeyPath = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Constructed YAML data plus the raw text and line of every value, by key path."""

    data: Any
    raw: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, *path: str | int) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


@dataclass
class FrontMatter:
    doc: YamlDocument
    body: str
    body_line: int
    has_front_matter: bool


def _walk(
    root: yaml.Node,
    lines: dict[KeyPath, int],
    first_line: int,
    problems: list[Problem],
    source: Path | str,
) -> Any:
    """The raw-text mirror of a node tree, recording the line of each key and item.

    YAML aliases make the tree a graph: each node is mirrored once (an alias chain must
    not cost exponential time) and a node that contains itself is refused.
    """
    return _Mirror(lines, first_line, problems, source).walk(root, ())


@dataclass
class _Mirror:
    """One walk of :func:`_walk`. A class rather than a nested function calling itself:
    that would be a reference cycle, and every file's walk would wait for the cycle
    collector (20 MB at 10,000 essays)."""

    lines: dict[KeyPath, int]
    first_line: int
    problems: list[Problem]
    source: Path | str
    done: dict[int, Any] = field(default_factory=dict)
    active: set[int] = field(default_factory=set)

    def walk(self, node: yaml.Node, path: KeyPath) -> Any:
        lines, first_line = self.lines, self.first_line
        lines.setdefault(path, node.start_mark.line + first_line)
        if id(node) in self.done:
            return self.done[id(node)]
        if id(node) in self.active:
            self.problems.append(
                Problem(
                    "an alias refers to the value that contains it",
                    self.source,
                    node.start_mark.line + first_line,
                    hint="remove the '*' alias, or point it at another anchor",
                )
            )
            return None
        self.active.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            out: Any = node.value
        elif isinstance(node, yaml.SequenceNode):
            out = [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
        else:
            out = {}
            for key_node, value_node in node.value:
                key = (
                    str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                )
                line = key_node.start_mark.line + first_line
                if key in out:
                    self.problems.append(
                        Problem(
                            f"the key '{key}' appears twice",
                            self.source,
                            line,
                            hint=f"the first '{key}' is on line {lines[(*path, key)]}; "
                            "keep only one",
                        )
                    )
                    continue
                lines[(*path, key)] = line
                out[key] = self.walk(value_node, (*path, key))
                lines[(*path, key)] = line
        self.active.discard(id(node))
        self.done[id(node)] = out
        return out


def load_yaml(text: str, source: Path | str, first_line: int = 1) -> YamlDocument:
    """Safely load one YAML document; ``first_line`` is the file line of ``text``'s first line.

    Raises :class:`ContentError` pointing at the file line of the problem.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(data=None, raw=None)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else None
        column = mark.column + 1 if mark else None
        what = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise ContentError(
            Problem(
                f"could not parse YAML: {what}",
                source,
                line,
                column,
                hint="check the indentation, and put values containing ': ' or starting with "
                "a special character ([ { * & ! | > ' \" % @ `) in quotes",
            )
        ) from None
    except yaml.YAMLError as exc:
        raise ContentError(Problem(f"could not parse YAML: {exc}", source, first_line)) from None
    finally:
        loader.dispose()
    problems: list[Problem] = []
    lines: dict[KeyPath, int] = {}
    raw = _walk(node, lines, first_line, problems, source)
    if problems:
        raise ContentError(problems)
    return YamlDocument(data=data, raw=raw, lines=lines)


def decode(data: bytes, source: Path | str) -> str:
    """Text of a content file: UTF-8 (a byte-order mark is dropped), newlines normalised."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(
            Problem(
                "the file is not valid UTF-8 text",
                source,
                line,
                hint="save it as UTF-8 in your editor",
            )
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split(text: str, source: Path | str) -> FrontMatter:
    """Separate front matter from the body.

    Front matter is recognised only when the file's very first line is ``---``; a ``---``
    anywhere later is the author's thematic break and belongs to the body.
    """
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter(YamlDocument({}, {}), text, 1, has_front_matter=False)
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            yaml_text = "\n".join(lines[1:i])
            body = "\n".join(lines[i + 1 :])
            doc = load_yaml(yaml_text, source, first_line=2)
            if doc.data is None:
                doc = YamlDocument({}, {}, {})
            elif not isinstance(doc.data, dict):
                raise ContentError(
                    Problem(
                        "front matter must be a list of 'key: value' lines",
                        source,
                        2,
                        hint="for example:\n    title: My essay\n    date: 2024-03-01",
                    )
                )
            return FrontMatter(doc, body, i + 2, has_front_matter=True)
    raise ContentError(
        Problem(
            "the front matter that starts on line 1 is never closed",
            source,
            1,
            hint="end it with a line containing only '---'",
        )
    )
