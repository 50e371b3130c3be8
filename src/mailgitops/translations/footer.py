"""The footers (theme.yaml `footer`, a webshop's `theme: {footer: ...}`) in the translator's
file: one `<file>` each, whose one unit is the default language's footer text, beside the target
language's own. Importing writes the target language's text into the footer's mapping (a single
text becomes `{<default>: ..., <lang>: ...}`), editing only the footer's lines of the YAML file:
its comments and every other key stay as they were."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from mailgitops.errors import MailgitopsError
from mailgitops.repo import LAYOUTS_DIR, LoadedRepo
from mailgitops.translations.units import quote
from mailgitops.translations.xliff_write import ExportFile, ExportUnit

PREFIX = "_footer"  # template ids never start with "_" (templates/_layouts, _assets are not templates)
UNIT = "footer"
NOTE = ("The footer under every email (the company's address, its imprint). It is plain text, "
        "not Markdown; each line stays a line.")
SHOP_NOTE = "The footer under the emails of the webshop {name}, instead of the print room's."


@dataclass(frozen=True, slots=True)
class Footer:
    file_id: str  # the XLIFF <file> id
    rel: str  # the YAML file, repository-relative
    at: tuple[str, ...]  # the footer's key path in it
    value: Any  # a text, or a mapping language -> text

    def source(self, default: str) -> str | None:
        text = self.value.get(default) if isinstance(self.value, dict) else self.value
        return text if isinstance(text, str) and text.strip() else None

    def target(self, lang: str) -> str | None:
        text = self.value.get(lang) if isinstance(self.value, dict) else None
        return text if isinstance(text, str) and text.strip() else None


def footers(loaded: LoadedRepo) -> list[Footer]:
    """Every footer the repository writes: the theme's, then each webshop's own."""
    theme = loaded.repo.theme
    out = [Footer(PREFIX, f"{LAYOUTS_DIR}/theme.yaml", ("footer",), theme["footer"])
           ] if "footer" in theme else []
    return out + [Footer(f"{PREFIX}-{sid}", f"config/webshops/{sid}.yaml", ("theme", "footer"),
                         shop.theme["footer"])
                  for sid, shop in sorted(loaded.repo.webshops.items()) if "footer" in shop.theme]


def export_files(loaded: LoadedRepo, lang: str) -> list[ExportFile]:
    default = loaded.repo.languages.default
    out = []
    for f in footers(loaded):
        source = f.source(default)
        if source is not None:
            shop = loaded.repo.webshops.get(f.file_id.removeprefix(f"{PREFIX}-"))
            notes = (SHOP_NOTE.format(name=shop.name), NOTE) if f.file_id != PREFIX and shop else (NOTE,)
            out.append(ExportFile(f.file_id, f.rel, notes, (ExportUnit(UNIT, source, f.target(lang)),)))
    return out


def _block(value: str, indent: str) -> str:
    """A YAML value for `value` that keeps its lines readable (a literal block), or a quoted one."""
    body = value.rstrip("\n")
    if "\n" in body and body == body.strip() and "\r" not in body and "\t" not in body:
        chomp = "|-" if body == value else "|" if value == body + "\n" else "|+"
        return chomp + "\n" + "\n".join(f"{indent}  {line}" if line else "" for line in body.split("\n"))
    return quote(value)


def _lookup(data: Any, at: tuple[str, ...]) -> Any:
    for key in at:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _node(root: yaml.Node | None, at: tuple[str, ...]) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of the key path `at`."""
    node, pair = root, None
    for key in at:
        if not isinstance(node, yaml.MappingNode):
            return None
        pair = next(((k, v) for k, v in node.value
                     if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        if pair is None:
            return None
        node = pair[1]
    return pair


def _end(text: str, start: int, node: yaml.Node) -> int:
    """Where `node`'s text ends, without the blank and comment lines after it (they belong to
    what follows)."""
    lines = text[start:node.end_mark.index].split("\n")
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].strip().startswith("#")):
        lines.pop()
    return start + len("\n".join(lines))


def _edit(text: str, at: tuple[str, ...], lang: str, want: dict[str, Any], style: Any) -> str:
    """`text` with the footer at `at` made `want`, by changing as few lines as it can."""
    value = want[lang]
    pair = _node(yaml.compose(text), at)
    if pair is None:
        raise MailgitopsError(f"the footer's key `{'.'.join(at)}` is not where it was")
    key, node = pair
    start = text.index(":", key.end_mark.index) + 1
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        # a mapping already: only the language's own entry changes, or a line is added after it
        indent = " " * node.value[0][0].start_mark.column
        own = next(
            ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == lang), None)
        if own is not None:
            at_value = text.index(":", own[0].end_mark.index) + 1
            return text[:at_value] + f" {style(value, indent)}" + text[_end(text, at_value, own[1]):]
        end = _end(text, start, node)
        return text[:end] + f"\n{indent}{lang}: {style(value, indent)}" + text[end:]
    indent = " " * (key.start_mark.column + 2)
    entries = "".join(f"\n{indent}{k}: {style(str(v), indent)}" for k, v in want.items())
    return text[:start] + entries + text[_end(text, start, node):]


def set_text(text: str, at: tuple[str, ...], lang: str, value: str, default: str) -> str:
    """`text` (a YAML file) with the footer at `at` given `value` in `lang`; every other line as it was."""
    old = _lookup(yaml.safe_load(text), at)
    want = {**(old if isinstance(old, dict) else {default: old}), lang: value}
    for style in (_block, lambda v, _i: quote(v)):
        out = _edit(text, at, lang, want, style)
        try:
            if _lookup(yaml.safe_load(out), at) == want:
                return out
        except yaml.YAMLError:
            pass
    raise MailgitopsError(f"the {lang} footer could not be written into the file",
                          hint=f"add `{lang}: ...` under `{at[-1]}` by hand")
