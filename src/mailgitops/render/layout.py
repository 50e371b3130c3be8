"""The MJML layout: compiled once per (layout, text direction) to an HTML shell with slot markers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateSyntaxError

from mailgitops.errors import LayoutError
from mailgitops.render.jinja_env import compile_source, template_line
from mailgitops.render.markdown import cid_for

SLOTS = ("lang", "title", "preheader", "content", "footer")
_SLOT_RE = re.compile(r"@@MG:([a-z]+)@@")
RTL_LANGS = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"})

DEFAULT_THEME: Mapping[str, Any] = {
    "font_family": "Helvetica, Arial, sans-serif",
    "font_size": "15px",
    "text_color": "#222222",
    "link_color": "#1a5fb4",
    "heading_color": "#111111",
    "background_color": "#f2f4f7",
    "content_background_color": "#ffffff",
    "accent_color": "#1a5fb4",
    "footer_color": "#4b5563",  # 6.7:1 on the shipped background: small text needs 4.5:1 (contrast.py)
    "align": "left",
    "logo_alt": "",
    "logo_width": "140px",
    "styles": {},
}


_MJML_POS = re.compile(r"position (\d+)")


def _jinja_line(e: Exception) -> int:
    """The layout line of a Jinja error: the syntax error's own, else the innermost template frame."""
    if isinstance(e, TemplateSyntaxError) and e.lineno:
        return e.lineno
    return template_line(e) or 1


def _mjml_line(message: str, mjml: str, source: str) -> int:
    """MJML names a character offset in the MJML that Jinja made; the layout line is the one
    that reads the same (Jinja drops `{% %}` lines, so the numbers differ)."""
    m = _MJML_POS.search(message)
    if m is None:
        return 1
    offset = int(m.group(1))
    made = mjml[:offset].count("\n")
    text = mjml.split("\n")[made].strip() if made < mjml.count("\n") + 1 else ""
    src = source.split("\n")
    key = text.split()[0] if text.split() else ""
    for i, line in enumerate(src, 1):  # the first layout line that starts the same way
        if key and line.strip().startswith(key) and line.strip()[:40] == text[:40]:
            return i
    for i, line in enumerate(src, 1):
        if key and line.strip().startswith(key):
            return i
    return min(made + 1, len(src))


def direction(lang: str) -> str:
    return "rtl" if lang.split("-", maxsplit=1)[0].lower() in RTL_LANGS else "ltr"


def effective_theme(theme: Mapping[str, Any]) -> dict[str, Any]:
    return {**DEFAULT_THEME, **dict(theme)}


def _align(theme: Mapping[str, Any], dir_: str) -> str:
    align = str(theme.get("align", "left"))
    if dir_ == "rtl":  # "left" in a left-to-right theme means "where lines start"
        return {"left": "right", "right": "left"}.get(align, align)
    return align


def layout_mjml(source: str, theme: Mapping[str, Any], dir_: str, assets: Mapping[str, Any],
                slots: Mapping[str, str] | None = None) -> str:
    """The layout's MJML with a marker `@@MG:name@@` for each slot, or with `slots` filled in."""
    logo = theme.get("logo")
    logo_src = f"cid:{cid_for(logo)}" if logo and logo in assets else logo
    markers = {s: f"@@MG:{s}@@" for s in SLOTS}
    ctx = {"theme": theme, "dir": dir_, "align": _align(theme, dir_), "logo_src": logo_src, "slot": markers}
    try:
        # the theme is config and goes through autoescape; slots are filled after, as HTML
        mjml = str(compile_source("en", source).render(ctx))
    except Exception as e:  # the layout is user input: whatever Jinja raises is the layout's problem
        raise LayoutError(str(getattr(e, "message", None) or e), _jinja_line(e),
                          "the layout is Jinja over MJML: check the {{ }} and {% %} on this line; "
                          "it may use `theme.<key>`, `dir`, `align`, `logo_src` and `slot.<name>`") from e
    return mjml if slots is None else fill_shell(mjml, slots)


def compile_shell(source: str, theme: Mapping[str, Any], dir_: str, assets: Mapping[str, Any]) -> str:
    """MJML → HTML once; at send time only the slots are filled."""
    from mjml import mjml2html  # compile time only: the dispatcher never imports mjml

    mjml = layout_mjml(source, theme, dir_, assets)
    try:
        shell = str(mjml2html(mjml, disable_comments=True))
    except Exception as e:  # mjml-python raises plain exceptions for MJML it cannot read
        raise LayoutError(f"MJML: {e}", _mjml_line(str(e), mjml, source),
                          "check that every <mj-...> element is closed and allowed where it is") from e
    shell = quiet_preview(shell)
    missing = [s for s in ("content",) if f"@@MG:{s}@@" not in shell]
    if missing:
        raise LayoutError("the layout has no `{{ slot.content }}`: the email's text would not appear",
                          hint="put <mj-text>{{ slot.content }}</mj-text> inside an <mj-column>")
    return shell


# mj-preview hides the preheader with white 1px text; spam filters score text in (nearly) the
# background colour (SpamAssassin HTML_FONT_LOW_CONTRAST), so it is hidden by layout alone
_PREVIEW = re.compile(r'<div style="display:none;font-size:1px;color:#[0-9a-fA-F]{3,6};line-height:1px;'
                      r'max-height:0px;max-width:0px;opacity:0;overflow:hidden;">')
_QUIET_PREVIEW = ('<div style="display:none;max-height:0px;max-width:0px;opacity:0;overflow:hidden;'
                  'mso-hide:all;">')


def quiet_preview(shell: str) -> str:
    return _PREVIEW.sub(_QUIET_PREVIEW, shell, count=1)


def fill_shell(shell: str, slots: Mapping[str, str]) -> str:
    """Slot values are already HTML (escaped where they hold data)."""
    return _SLOT_RE.sub(lambda m: slots.get(m.group(1), ""), shell)
