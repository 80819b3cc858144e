"""YAML loading that remembers line numbers, so configuration errors can say where they are.

``load(text, source)`` returns plain ``dict``/``list``/scalar values, except that mappings
and sequences are :class:`MarkedDict` / :class:`MarkedList`, which carry the 1-based line of
the node itself and of each key or element.  Only the safe YAML subset is constructed.
"""

from __future__ import annotations

import yaml

from seawall.errors import ConfigError


class MarkedDict(dict):
    line: int = 0
    key_lines: dict

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class MarkedList(list):
    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def line_of(value, default: int = 0) -> int:
    return getattr(value, "line", default) or default


def _build(node, source: str):
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        mapping = MarkedDict()
        mapping.line, mapping.key_lines = line, {}
        for key_node, value_node in node.value:
            key = _build(key_node, source)
            if isinstance(key, dict | list):
                raise ConfigError(problems=[f"{source}:{key_node.start_mark.line + 1}: "
                                            "a mapping key must be a plain value"])
            if key in mapping:
                raise ConfigError(problems=[f"{source}:{key_node.start_mark.line + 1}: "
                                            f"duplicate key {key!r}"])
            mapping[key] = _build(value_node, source)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping
    if isinstance(node, yaml.SequenceNode):
        sequence = MarkedList(_build(item, source) for item in node.value)
        sequence.line = line
        sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
        return sequence
    # Scalars: let the safe constructor resolve the tag (int, bool, null, str ...).
    return yaml.SafeLoader(yaml.safe_dump(None)).construct_object(node, deep=True)


def load(text: str, source: str = "<string>"):
    """Parse one YAML document; syntax errors become ConfigError with the line number."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark else source
        message = f"{where}: YAML syntax error: {exc.problem or exc}"
        if exc.context_mark is not None and exc.context_mark is not mark:
            # Unclosed brackets and quotes are noticed later than where they start.
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise ConfigError(problems=[message]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(problems=[f"{source}: YAML error: {exc}"]) from None
    if node is None:
        raise ConfigError(problems=[f"{source}:1: the file is empty"])
    try:
        return _build(node, source)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError(problems=[f"{where}: {exc.problem}"]) from None
