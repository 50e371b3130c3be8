"""Read a translated XLIFF 2.0 file back: each unit's source and target as plain template text.

Parsed with expat directly (no new dependency), keeping each element's line and column so that
every refusal points into the file the translator sent. A DOCTYPE is refused outright: XLIFF
never needs one, and entity declarations are how XML files attack their readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

from mailgitops.diagnostics import Diagnostic, error
from mailgitops.translations.xliff_write import NS

MAX_BYTES = 20_000_000
_XML_NS = "http://www.w3.org/XML/1998/namespace"


@dataclass(slots=True)
class Elem:
    tag: str  # local name; elements outside the XLIFF 2.0 namespace keep "{ns}name"
    attrs: dict[str, str]
    line: int
    col: int
    children: list[Elem | str] = field(default_factory=list)

    def kids(self, tag: str) -> list[Elem]:
        return [c for c in self.children if isinstance(c, Elem) and c.tag == tag]

    def first(self, tag: str) -> Elem | None:
        found = self.kids(tag)
        return found[0] if found else None

    def plain(self) -> str:
        return "".join(c if isinstance(c, str) else c.plain() for c in self.children)


@dataclass(frozen=True, slots=True)
class ReadUnit:
    file_id: str
    id: str
    source: str
    target: str | None  # None: not translated
    line: int  # of the unit's <target> (or of the <unit> when it has none)
    col: int


@dataclass(frozen=True, slots=True)
class ReadDoc:
    src_lang: str
    trg_lang: str
    units: tuple[ReadUnit, ...]


class _Refused(Exception):
    pass


def _tree(data: bytes) -> Elem:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    stack: list[Elem] = []
    root: list[Elem] = []

    def name(raw: str) -> str:
        ns, _, local = raw.rpartition(" ")
        return local if ns == NS else (f"{{{ns}}}{local}" if ns else local)

    def start(tag: str, attrs: dict[str, str]) -> None:
        el = Elem(name(tag), {name(k): v for k, v in attrs.items()}, parser.CurrentLineNumber,
                  parser.CurrentColumnNumber + 1)
        (stack[-1].children if stack else root).append(el)
        stack.append(el)

    def end(tag: str) -> None:
        stack.pop()

    def chars(value: str) -> None:
        if stack:
            stack[-1].children.append(value)

    def refuse(*args: object) -> None:
        raise _Refused("the file declares a DOCTYPE or entities, which XLIFF never needs")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.Parse(data, True)
    return root[0]


@dataclass(frozen=True, slots=True)
class _Unit:
    """What reading one unit's inline content needs: its codes, where it is, where problems go."""

    codes: dict[str, str]  # a source <ph>'s id -> the text it stands for
    data: dict[str, str]  # <originalData>: data id -> text
    where: str
    file: str
    diags: list[Diagnostic]

    def content(self, el: Elem) -> str:
        """The template text of a <source>/<target>: text, with each <ph> replaced by its data."""
        out: list[str] = []
        for c in el.children:
            if isinstance(c, str):
                out.append(c)
            elif c.tag == "ph":
                ref = self.codes.get(c.attrs.get("id", ""), self.data.get(c.attrs.get("dataRef", "")))
                if ref is None:
                    self.problem(c, f"<ph id=\"{c.attrs.get('id', '')}\"> is not one of the codes this "
                                 "unit was exported with",
                                 "put back the placeholder tags as the export had them")
                out.append(ref or "")
            elif c.tag == "cp":
                out.append(chr(int(c.attrs.get("hex", "FFFD"), 16)))
            elif c.tag in ("mrk", "sm", "em"):  # annotations (terms, comments): keep their text
                out.append(self.content(c))
            else:
                self.problem(c, f"<{c.tag}> is not something the export wrote",
                             "keep only text and the placeholder tags of the source")
        return "".join(out)

    def problem(self, el: Elem, message: str, hint: str) -> None:
        self.diags.append(error(self.file, el.line, el.col, "translation-unknown-code",
                                f"{self.where}: {message}", hint=hint))


def _unit(file_id: str, unit: Elem, file: str, diags: list[Diagnostic]) -> ReadUnit:
    uid = unit.attrs.get("id", "")
    where = f"unit {uid} of {file_id}"
    od = unit.first("originalData")
    plain = _Unit({}, {}, where, file, diags)
    data = {d.attrs.get("id", ""): plain.content(d) for d in (od.kids("data") if od else [])}
    segments = [c for c in unit.children if isinstance(c, Elem) and c.tag in ("segment", "ignorable")]
    ctx = _Unit({ph.attrs.get("id", ""): data.get(ph.attrs.get("dataRef", ""), "")
                 for seg in segments for src in seg.kids("source") for ph in src.kids("ph")},
                data, where, file, diags)
    source: list[str] = []
    target: list[str] = []
    targets = [t for seg in segments if seg.tag == "segment" for t in seg.kids("target") if t.children]
    for seg in segments:
        src, trg = seg.first("source"), seg.first("target")
        src_text = "" if src is None else ctx.content(src)
        source.append(src_text)
        if trg is not None:
            target.append(ctx.content(trg))
        else:  # between segments, whitespace a tool set apart stays as the source had it
            target.append(src_text if seg.tag == "ignorable" else "")
    at = targets[0] if targets else unit
    return ReadUnit(file_id, uid, "".join(source), "".join(target) if targets else None, at.line, at.col)


def _units(parent: Elem, file_id: str, file: str, diags: list[Diagnostic]) -> list[ReadUnit]:
    out: list[ReadUnit] = []
    for c in parent.children:
        if isinstance(c, Elem) and c.tag == "unit":
            out.append(_unit(file_id, c, file, diags))
        elif isinstance(c, Elem) and c.tag == "group":
            out += _units(c, file_id, file, diags)
    return out


def read(data: bytes, file: str) -> tuple[ReadDoc | None, list[Diagnostic]]:
    """The units of an XLIFF 2.0 document, or None and the reasons it cannot be read."""
    hint = "give the file `mailgitops translations export` wrote, as the translation tool saved it"
    if len(data) > MAX_BYTES:
        return None, [error(file, 1, 1, "translation-file", f"the file is larger than {MAX_BYTES:,} bytes",
                            hint=hint)]
    try:
        root = _tree(data)
    except expat.ExpatError as e:
        return None, [error(file, e.lineno, e.offset + 1, "translation-file",
                            f"not well-formed XML: {expat.errors.messages[e.code]}", hint=hint)]
    except _Refused as e:
        return None, [error(file, 1, 1, "translation-file", str(e), hint=hint)]
    if root.tag != "xliff" or not root.attrs.get("version", "").startswith("2."):
        return None, [error(file, root.line, root.col, "translation-file",
                            "this is not an XLIFF 2.0 document (the export writes <xliff version=\"2.0\">)",
                            hint="save the translation as XLIFF 2.0 in the translation tool")]
    diags: list[Diagnostic] = []
    units: list[ReadUnit] = []
    for f in root.kids("file"):
        units += _units(f, f.attrs.get("id", ""), file, diags)
    trg = root.attrs.get("trgLang", "")
    if not trg:
        diags.append(error(file, root.line, root.col, "translation-file",
                           "the file does not say which language it is in (no trgLang on <xliff>)",
                           hint='add trgLang="de" (the translation\'s language) to the <xliff> element'))
    return ReadDoc(root.attrs.get("srcLang", ""), trg, tuple(units)), diags
