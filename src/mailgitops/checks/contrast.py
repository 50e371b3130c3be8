"""Colour contrast of the email's text: every colour the theme (or a webshop's own look) writes
text in, against the background it is shown on, reaches 4.5:1 (WCAG AA for text), or the email is
hard to read for customers with low vision, on a phone in sunlight, or printed. A warning: the
email is still sent, the colour is the print room's choice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mailgitops.diagnostics import Diagnostic, Severity
from mailgitops.render.layout import DEFAULT_THEME
from mailgitops.repo import LoadedRepo
from mailgitops.yamlsrc import YamlDoc

THEME_FILE = "templates/_layouts/theme.yaml"
WEBSHOPS_DIR = "config/webshops/"
AA_TEXT = 4.5
# (text colour key, background key, what a reader sees there)
PAIRS = (("text_color", "content_background_color", "the text"),
         ("link_color", "content_background_color", "links"),
         ("heading_color", "content_background_color", "headings"),
         ("footer_color", "background_color", "the footer"))


def _channel(c: float) -> float:
    return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)


def luminance(colour: str) -> float:
    """WCAG relative luminance of `#rgb` or `#rrggbb`."""
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    r, g, b = (_channel(int(h[i:i + 2], 16) / 255) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(fg: str, bg: str) -> float:
    """The WCAG contrast ratio of two colours, 1 to 21."""
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _colour(value: Any) -> str | None:
    """A colour the schema accepts; anything else is the schema's to report."""
    if isinstance(value, str) and value.startswith("#") and len(value) in (4, 7):
        try:
            int(value[1:], 16)
        except ValueError:
            return None
        return value
    return None


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    theme = dict(loaded.repo.theme)
    docs = loaded.docs
    out: list[Diagnostic] = []
    if THEME_FILE in docs:
        out += _look(docs[THEME_FILE], (), {}, theme)
    for file, doc in sorted(docs.items()):
        if file.startswith(WEBSHOPS_DIR) and file.endswith((".yaml", ".yml")) and isinstance(doc.data, dict):
            own = doc.data.get("theme")
            if isinstance(own, dict) and own:
                out += _look(doc, ("theme",), own, theme)
    return out


def _look(doc: YamlDoc, base: tuple[str, ...], own: Mapping[str, Any],
          theme: Mapping[str, Any]) -> list[Diagnostic]:
    """The pairs this file decides: for a shop, those where it sets the text colour or the
    background (the rest are theme.yaml's and said there once)."""
    look = {**DEFAULT_THEME, **dict(theme), **dict(own)}
    out: list[Diagnostic] = []
    for fg_key, bg_key, what in PAIRS:
        if base and fg_key not in own and bg_key not in own:
            continue
        fg, bg = _colour(look.get(fg_key)), _colour(look.get(bg_key))
        if fg is None or bg is None:
            continue
        r = ratio(fg, bg)
        if r < AA_TEXT:
            written = own if base else theme  # at the key this file writes (the text's first)
            at = (*base, fg_key) if fg_key in written else (*base, bg_key) if bg_key in written else ()
            out.append(_warn(doc, at, f"{what} ({fg_key} {fg}) on {bg_key} {bg} has a contrast of "
                                      f"{r:.1f}:1, below the 4.5:1 that text needs to be readable for "
                                      "everyone", _hint(fg, bg, fg_key)))
    if not base:
        out += _styles(doc, look)
    return out


def _styles(doc: YamlDoc, look: Mapping[str, Any]) -> list[Diagnostic]:
    """A paragraph style's own colour or background, against what it is shown with."""
    out: list[Diagnostic] = []
    styles = look.get("styles")
    for name, style in sorted(styles.items() if isinstance(styles, dict) else ()):
        if not isinstance(style, dict) or not ({"color", "background_color"} & set(style)):
            continue
        fg = _colour(style.get("color", look.get("text_color")))
        bg = _colour(style.get("background_color", look.get("content_background_color")))
        if fg is None or bg is None:
            continue
        r = ratio(fg, bg)
        if r < AA_TEXT:
            key = "color" if "color" in style else "background_color"
            out.append(_warn(doc, ("styles", name, key),
                             f"paragraph style `{name}`: text {fg} on {bg} has a contrast of {r:.1f}:1, "
                             "below the 4.5:1 that text needs to be readable for everyone",
                             _hint(fg, bg, key)))
    return out


def _mix(colour: str, towards: str, share: float) -> str:
    a, b = (_rgb(c) for c in (colour, towards))
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def _rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    h = "".join(ch * 2 for ch in h) if len(h) == 3 else h
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _hint(fg: str, bg: str, key: str) -> str:
    """The nearest passing colour for the key this file writes: the brand colour made darker or
    lighter step by step, so the suggestion still looks like it."""
    moving, fixed = (bg, fg) if key.endswith("background_color") else (fg, bg)
    towards = "#000000" if ratio("#000000", fixed) >= ratio("#ffffff", fixed) else "#ffffff"
    steps = (_mix(moving, towards, n / 20) for n in range(1, 21))  # black or white always passes
    better = next((c for c in steps if ratio(c, fixed) >= AA_TEXT), towards)
    shade = "darker" if towards == "#000000" else "lighter"
    return f"choose a {shade} `{key}`: e.g. {better} has {ratio(better, fixed):.1f}:1 with {fixed}"


def _warn(doc: YamlDoc, at: tuple[str, ...], message: str, hint: str) -> Diagnostic:
    return replace(doc.at(at, "low-contrast", message, hint=hint), severity=Severity.WARNING)
