"""The MJML layout: compiled once per (layout, text direction) to an HTML shell with slot markers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mailgitops.render.jinja_env import compile_source
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
    "align": "left",
    "logo_alt": "",
    "logo_width": "140px",
    "styles": {},
}


class LayoutError(Exception):
    """The layout's MJML or Jinja could not be compiled."""


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
    except Exception as e:
        raise LayoutError(str(e)) from e
    return mjml if slots is None else fill_shell(mjml, slots)


def compile_shell(source: str, theme: Mapping[str, Any], dir_: str, assets: Mapping[str, Any]) -> str:
    """MJML → HTML once; at send time only the slots are filled."""
    from mjml import mjml2html  # compile time only: the dispatcher never imports mjml

    mjml = layout_mjml(source, theme, dir_, assets)
    try:
        shell = str(mjml2html(mjml, disable_comments=True))
    except Exception as e:
        raise LayoutError(f"MJML: {e}") from e
    missing = [s for s in ("content",) if f"@@MG:{s}@@" not in shell]
    if missing:
        raise LayoutError("the layout has no `{{ slot.content }}`: the email's text would not appear")
    return shell


def fill_shell(shell: str, slots: Mapping[str, str]) -> str:
    """Slot values are already HTML (escaped where they hold data)."""
    return _SLOT_RE.sub(lambda m: slots.get(m.group(1), ""), shell)
