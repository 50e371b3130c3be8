"""Split a template's `<lang>.md` into its YAML front matter and its Markdown body."""

from __future__ import annotations

from dataclasses import dataclass, replace

from mailgitops.diagnostics import Diagnostic, error
from mailgitops.yamlsrc import Pos, YamlDoc, load_yaml

MAX_TEMPLATE_BYTES = 200_000


@dataclass(frozen=True, slots=True)
class SplitTemplate:
    front: YamlDoc  # positions are already those of the .md file
    body: str
    body_line: int  # 1-based line of the .md file where the body starts


def split(text: str, file: str) -> tuple[SplitTemplate | None, list[Diagnostic]]:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEMPLATE_BYTES:
        return None, [error(file, 1, 1, "file-too-large",
                            f"template is larger than {MAX_TEMPLATE_BYTES:,} bytes",
                            hint="an email this long is clipped by most mail clients; shorten it")]
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, [error(file, 1, 1, "missing-front-matter",
                            "the template must start with front matter: a line `---`, "
                            "`subject: ...`, and a closing `---`",
                            hint='start the file with three lines: `---`, '
                                 '`subject: "Your order {{ order.number }}"`, `---`')]
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        return None, [error(file, 1, 1, "missing-front-matter",
                            "the front matter opened with `---` on line 1 is never closed",
                            hint="add a line `---` after the subject")]
    front_text = "\n".join(lines[1:end])
    doc, diags = load_yaml(front_text, file)
    # the YAML parser counted from the front matter's first line, which is line 2 of the .md file
    doc.values = {k: Pos(p.line + 1, p.col) for k, p in doc.values.items()}
    doc.keys = {k: Pos(p.line + 1, p.col) for k, p in doc.keys.items()}
    diags = [replace(d, line=d.line + 1) for d in diags]
    if doc.data is None and not diags:
        doc.data = {}
        doc.values[()] = Pos(1, 1)
    return SplitTemplate(front=doc, body="\n".join(lines[end + 1:]), body_line=end + 2), diags
