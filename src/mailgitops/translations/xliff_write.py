"""Write the export: an XLIFF 2.0 document, one <file> per template, one <unit> per text.

Every code (a placeholder, a link's destination, a list marker) becomes `<ph>` pointing into the
unit's `<originalData>`, marked `canDelete="no" canCopy="no"`: a translation tool shows it as a
locked tag the translator can move but not edit. The output is deterministic (same repository,
same bytes), so an export can be diffed and committed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mailgitops.translations.units import Code, codes, parts

NS = "urn:oasis:names:tc:xliff:document:2.0"

# characters XML 1.0 cannot carry, written as XLIFF's <cp hex="..."/>; CR is kept as a reference
# because a literal one would be read back as a plain line break
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class ExportUnit:
    id: str
    source: str
    target: str | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExportFile:
    id: str  # the template id
    original: str  # the source language's file, repository-relative
    notes: tuple[str, ...]
    units: tuple[ExportUnit, ...]


def text(value: str) -> str:
    """Character data with markup and invalid characters escaped."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return _NOT_XML.sub(lambda m: f'<cp hex="{ord(m.group()):04X}"/>', value)


def attr(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    value = value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return '"' + _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", value) + '"'


def _notes(indent: str, notes: Sequence[str], category: str) -> list[str]:
    if not notes:
        return []
    inner = [f'{indent}  <note category="{category}">{text(n)}</note>' for n in notes]
    return [f"{indent}<notes>", *inner, f"{indent}</notes>"]


class _Codes:
    """The ids of one unit's codes: a <data> per distinct code text, a <ph> id per occurrence
    (the n-th `{{ order.number }}` of the source and of the target share one id)."""

    def __init__(self, all_codes: Sequence[str]) -> None:
        self.data: dict[str, str] = {}
        for c in all_codes:  # data ids follow the source's order, then codes only the target has
            self.data.setdefault(c, f"d{len(self.data) + 1}")
        self.ph: dict[tuple[str, int], str] = {}

    def inline(self, value: str) -> str:
        out: list[str] = []
        seen: dict[str, int] = {}
        for part in parts(value):
            if not isinstance(part, Code):
                out.append(text(part))
                continue
            seen[part.text] = seen.get(part.text, 0) + 1
            ph = self.ph.setdefault((part.text, seen[part.text]), str(len(self.ph) + 1))
            out.append(f'<ph id="{ph}" dataRef="{self.data[part.text]}" disp={attr(part.text)} '
                       'canCopy="no" canDelete="no"/>')
        return "".join(out)


def _unit(u: ExportUnit) -> list[str]:
    ids = _Codes(codes(u.source) + codes(u.target or ""))
    source = ids.inline(u.source)
    target = None if u.target is None else ids.inline(u.target)
    lines = [f"    <unit id={attr(u.id)}>", *_notes("      ", u.notes, "variables")]
    if ids.data:
        lines.append("      <originalData>")
        lines += [f'        <data id="{d}" xml:space="preserve">{text(c)}</data>'
                  for c, d in ids.data.items()]
        lines.append("      </originalData>")
    state = "initial" if target is None else "translated"
    lines.append(f'      <segment state="{state}">')
    lines.append(f'        <source xml:space="preserve">{source}</source>')
    if target is not None:
        lines.append(f'        <target xml:space="preserve">{target}</target>')
    lines += ["      </segment>", "    </unit>"]
    return lines


def write(src_lang: str, trg_lang: str, files: Sequence[ExportFile]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<xliff xmlns="{NS}" version="2.0" srcLang={attr(src_lang)} trgLang={attr(trg_lang)}>']
    for f in files:
        out.append(f"  <file id={attr(f.id)} original={attr(f.original)}>")
        out += _notes("    ", f.notes, "template")
        for u in f.units:
            out += _unit(u)
        out.append("  </file>")
    out.append("</xliff>")
    return "\n".join(out) + "\n"
