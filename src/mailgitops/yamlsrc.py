"""Safe YAML loading that keeps every value's position and refuses YAML's traps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from mailgitops.diagnostics import Diagnostic, error, json_path

try:  # libyaml is ~7x faster and still gives node marks
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]  # same interface, another class

MAX_YAML_BYTES = 1_000_000
MAX_DEPTH = 40  # config files nest 4 levels; deep nesting is an attack on recursion limits

PathKey = tuple[str | int, ...]

_STD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
}
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_YAML11_BOOLS = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|True|TRUE|False|FALSE)$")
_OCTAL_LOOKING = re.compile(r"^[-+]?0[0-9_]+$")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
# numbers only YAML 1.1 reads (1.2 tools read text): `5_87`, `0b1010`; and `1e3`, the reverse
_YAML11_ONLY_NUMBER = re.compile(r"^[-+]?(0b[01_]+|[0-9][0-9_]*_[0-9_]*(\.[0-9_]*)?)$")
_YAML12_ONLY_NUMBER = re.compile(r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")
_STR = "tag:yaml.org,2002:str"
# spaces and marks that look like nothing or like a space: pasted from web pages and word processors
_INVISIBLE = re.compile("[\u00a0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]")
_VALUE = "tag:yaml.org,2002:value"  # PyYAML's reading of a plain `=`


@dataclass(frozen=True, slots=True)
class Pos:
    line: int  # 1-based
    col: int  # 1-based


@dataclass(slots=True)
class YamlDoc:
    """A loaded YAML file: plain JSON-like data plus the position of every value and key."""

    file: str
    data: Any
    values: dict[PathKey, Pos] = field(default_factory=dict)
    keys: dict[PathKey, Pos] = field(default_factory=dict)
    # the source text of plain numbers, so `1.10` (read as 1.1) can be quoted back to the user
    raw: dict[PathKey, str] = field(default_factory=dict)

    def pos(self, path: PathKey) -> Pos:
        """Position of the value at `path`, or of its nearest parent that has one."""
        p = tuple(path)
        while p:
            if p in self.values:
                return self.values[p]
            p = p[:-1]
        return self.values.get((), Pos(1, 1))

    def key_pos(self, path: PathKey) -> Pos:
        return self.keys.get(tuple(path)) or self.pos(path)

    def at(self, path: PathKey, code: str, message: str, *, hint: str | None = None,
           key: bool = False) -> Diagnostic:
        """An error located at the value (or, with key=True, the key) at `path`."""
        p = self.key_pos(path) if key else self.pos(path)
        return error(self.file, p.line, p.col, code, message, json_path=json_path(path), hint=hint)


def _mark(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


class _Converter:
    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self.diags: list[Diagnostic] = []
        self.seen: set[int] = set()
        self.aliases: list[PathKey] = []

    def _err(self, node: yaml.Node, code: str, message: str, path: PathKey,
             hint: str | None = None) -> None:
        p = _mark(node)
        self.diags.append(error(self.doc.file, p.line, p.col, code, message,
                                json_path=json_path(path), hint=hint))

    def convert(self, node: yaml.Node, path: PathKey) -> Any:
        self.doc.values[path] = _mark(node)
        if len(path) > MAX_DEPTH:
            self._err(node, "yaml-too-deep", f"values nest deeper than {MAX_DEPTH} levels", path,
                      hint="config files are shallow; flatten this value")
            return None
        if id(node) in self.seen:
            self.aliases.append(path)
            return None
        self.seen.add(id(node))
        if node.tag not in _STD_TAGS and not (node.tag == _VALUE and isinstance(node, yaml.ScalarNode)):
            self._err(node, "yaml-tag", f"custom YAML tag {node.tag!r} is not allowed", path,
                      hint="remove the tag; only plain YAML values are accepted")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                self._err(knode, "yaml-alias", "YAML merge keys (<<) are not allowed", path,
                          hint="write the keys out in full")
                continue
            if not isinstance(knode, yaml.ScalarNode):
                self._err(knode, "yaml-key", "mapping keys must be plain text", path,
                          hint="write the key as a plain word followed by a colon, e.g. `name:`")
                continue
            key = str(knode.value)
            if (hidden := _INVISIBLE.search(key)) is not None:
                clean, col = _INVISIBLE.sub("", key).strip(), knode.start_mark.column + hidden.start() + 1
                self._err(knode, "yaml-invisible", f"the key `{clean}` holds an invisible character, "
                          f"{_named(hidden.group())}, at column {col}", (*path, clean),
                          hint="retype the line with plain spaces (text pasted from a web page or a word "
                          "processor brings these)")
                key = clean
            kpath = (*path, key)
            if key in out:
                first = self.doc.keys[kpath]
                self._err(knode, "duplicate-key",
                          f"duplicate key {key!r} (first defined at line {first.line})", kpath,
                          hint="remove one of them; YAML would silently keep only the last")
                continue
            self.doc.keys[kpath] = _mark(knode)
            out[key] = self.convert(vnode, kpath)
        return out

    def _scalar(self, node: yaml.ScalarNode, path: PathKey) -> Any:
        text = node.value
        plain = not node.style  # libyaml gives '' for plain scalars, the pure loader None
        if plain and _YAML11_BOOLS.match(text):
            self._err(node, "yaml-ambiguous",
                      f"`{text}` is read as a boolean by YAML 1.1 tools and as text by others",
                      path, hint=f'write true/false for a yes/no setting, or quote it: "{text}"')
            return text
        if plain and _OCTAL_LOOKING.match(text) and text.lstrip("+-") != "0":
            self._err(node, "yaml-ambiguous",
                      f"`{text}` has a leading zero: YAML 1.1 reads it as an octal number",
                      path, hint=f'write {text.lstrip("0") or "0"} for a number, or quote it: "{text}"')
            return text
        if plain and _SEXAGESIMAL.match(text):
            zone = bool(path) and path[-1] == "timezone"  # `+01:00`: an offset, where a place is named
            self._err(node, "yaml-ambiguous",
                      f"`{text}` is read as a base-60 number by YAML 1.1", path,
                      hint="name the place instead of an offset, such as Europe/Berlin (an offset "
                           "never changes for summer time)" if zone else f'quote it: "{text}"')
            return text
        reading = self._version_dependent(node, text) if plain else None
        if reading:
            self._err(node, "yaml-ambiguous", f"`{text}` {reading}", path,
                      hint=f'quote it so every tool reads the same text: "{text}"'
                      + ("" if text == "=" else ", or write the number in plain digits"))
            return text
        if node.tag == "tag:yaml.org,2002:timestamp":
            return text  # dates stay text; the schema says which format it must have
        value = yaml.constructor.SafeConstructor.construct_scalar(_CONSTRUCTOR, node)
        if plain and node.tag in _NUMBER_TAGS:
            self.doc.raw[path] = text
        return self._resolved(node, str(value), path)

    def _resolved(self, node: yaml.ScalarNode, text: str, path: PathKey) -> Any:
        try:
            return _resolve(node.tag, text)
        except ValueError:  # Python refuses to read an integer of more than 4,300 digits
            self._err(node, "yaml-number-too-long",
                      f"a number of {len(text):,} characters is longer than any setting takes", path,
                      hint="write the number the setting needs, or quote it if it is meant as text")
            return text


    @staticmethod
    def _version_dependent(node: yaml.ScalarNode, text: str) -> str | None:
        """How YAML 1.1 and 1.2 tools read a plain scalar differently (editors use 1.2)."""
        if node.tag == _VALUE:
            return "has a special meaning in YAML 1.1 (the `value` key)"
        if _YAML11_ONLY_NUMBER.match(text):
            return "is read as a number by YAML 1.1 tools and as text by others"
        if node.tag == _STR and _YAML12_ONLY_NUMBER.match(text):
            return "is read as a number by YAML 1.2 tools and as text by YAML 1.1 ones"
        return None


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _resolve(tag: str, text: str) -> Any:
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text in ("true", "True", "TRUE")
    if tag == "tag:yaml.org,2002:int":
        return _CONSTRUCTOR.construct_yaml_int(yaml.ScalarNode(tag, text))
    if tag == "tag:yaml.org,2002:float":
        return _CONSTRUCTOR.construct_yaml_float(yaml.ScalarNode(tag, text))
    return text


def _compose(text: str, file: str) -> tuple[list[yaml.Node], Diagnostic | None]:
    """The node trees of every document in `text`, or the syntax error that stops the parser."""
    try:
        return list(yaml.compose_all(text, Loader=_Loader)), None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        lines = text.split("\n")
        here = lines[line - 1] if 0 < line <= len(lines) else ""
        if "\t" in here[:col] and here[:col].strip(" \t") == here[:col - 1].strip(" \t") == "":
            # PyYAML says "found character '\t' that cannot start any token": the fix is simple
            return [], error(file, line, here.index("\t") + 1, "yaml-syntax",
                             "this line is indented with a tab; YAML indents with spaces only",
                             hint="replace the tab with spaces (as many as the lines around it use)")
        if (hidden := _INVISIBLE.search(here)) is not None:
            return [], error(file, line, hidden.start() + 1, "yaml-invisible",
                             f"line {line} holds an invisible character, {_named(hidden.group())}, "
                             "that YAML cannot read here", hint="remove it (retype the line)")
        problem = e.problem or "invalid YAML"
        if e.context:
            problem = f"{problem} ({e.context})"
        return [], error(file, line, col, "yaml-syntax", f"YAML syntax error: {problem}",
                         hint="check indentation, colons and quotes on this line and the one above")
    except yaml.reader.ReaderError as e:  # a control character: no mark, only an offset
        line, col = _offset_pos(text, e.position)
        return [], error(file, line, col, "yaml-syntax", f"YAML cannot read this character: {e.reason}",
                         hint="remove it (it may be invisible: retype the line)")
    except yaml.YAMLError as e:
        return [], error(file, 1, 1, "yaml-syntax", f"YAML error: {e}",
                         hint="save the file as plain YAML text")


def _named(char: str) -> str:
    import unicodedata

    return f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed').lower()})"


def _offset_pos(text: str, offset: int) -> tuple[int, int]:
    """Line and column of a reader error's offset: libyaml counts UTF-8 bytes, PyYAML characters."""
    if not issubclass(_Loader, yaml.reader.Reader):  # libyaml's loader
        offset = len(text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "ignore"))
    start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - start + 1


def load_yaml(text: str, file: str) -> tuple[YamlDoc, list[Diagnostic]]:
    """Parse one YAML document; positions are kept, problems returned (never raised)."""
    doc = YamlDoc(file=file, data=None)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_YAML_BYTES:
        return doc, [error(file, 1, 1, "file-too-large",
                           f"file is {size:,} bytes; the limit is {MAX_YAML_BYTES:,}",
                           hint="config files are small; split it or remove generated content")]
    nodes, problem = _compose(text, file)
    if problem is not None:
        return doc, [problem]
    if len(nodes) > 1:
        n = nodes[1]
        return doc, [error(file, n.start_mark.line + 1, 1, "yaml-multiple-documents",
                           "the file holds more than one YAML document (---)",
                           hint="keep one document per file")]
    if not nodes or nodes[0] is None:
        return doc, []
    conv = _Converter(doc)
    doc.data = conv.convert(nodes[0], ())
    if conv.aliases:
        conv.diags.extend(_alias_diagnostics(text, file))
    return doc, conv.diags


def _alias_diagnostics(text: str, file: str) -> list[Diagnostic]:
    """Aliases share their anchor's node, so find where each `*name` was written."""
    return [
        error(file, ev.start_mark.line + 1, ev.start_mark.column + 1, "yaml-alias",
              f"YAML alias *{ev.anchor} is not allowed",
              hint="write the value out in full; config files must read the same to people and tools")
        for ev in yaml.parse(text, Loader=_Loader)
        if isinstance(ev, yaml.AliasEvent) and ev.start_mark is not None
    ]
