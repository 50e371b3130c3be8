"""Markdown (raw HTML off) → themed HTML fragment; parsed once per structure, values filled after."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, urlsplit

from mailgitops.render import diskcache
from mailgitops.render.htmlesc import escape
from mailgitops.render.markers import M_END, M_OPEN, M_SEP

if TYPE_CHECKING:  # markdown-it is imported only when a structure is not cached (~15 ms)
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

RLM = "\u200f"  # RIGHT-TO-LEFT MARK
SAFE_LINK_SCHEMES = frozenset({"https", "http", "mailto"})
CID_DOMAIN = "mailgitops"
# markdown-it percent-encodes the private-use token characters inside link targets
_HREF_TOKEN = re.compile("(?:\ue000|%EE%80%80)(\\d+)(?:\ue001|%EE%80%81)")
_FILL = re.compile("\ue002([LCIT])([^\ue003]*)\ue003|\ue000(\\d+)\ue001")
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f<>\"'`\\]")


def _text_rule(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return escape(tokens[idx].content, quote=False)


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    t = tokens[idx]
    return f"{M_OPEN}L{t.attrs.get('href', '')}{M_SEP}{t.attrs.get('style', '')}{M_END}"


def _link_close(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return f"{M_OPEN}C{M_END}"


def _image(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    t = tokens[idx]
    alt = "".join(c.content for c in t.children or () if c.type in ("text", "code_inline"))
    return f"{M_OPEN}I{t.attrs.get('src', '')}{M_SEP}{alt}{M_SEP}{t.attrs.get('style', '')}{M_END}"


@cache
def markdown_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.attrs import attrs_block_plugin

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.use(attrs_block_plugin).enable(["table", "strikethrough"])
    for name, rule in (("text", _text_rule), ("link_open", _link_open), ("link_close", _link_close),
                       ("image", _image)):
        md.add_render_rule(name, rule)
    return md


def cid_for(asset: str) -> str:
    return f"{asset}@{CID_DOMAIN}"


def base_styles(theme: Mapping[str, Any], rtl: bool) -> dict[str, str]:
    """Inline CSS per tag: mail clients drop <style> blocks, inline styles survive."""
    heading = theme.get("heading_color", "#111111")
    link = theme.get("link_color", "#1a5fb4")
    accent = theme.get("accent_color", heading)
    start = "right" if rtl else "left"
    return {
        "p": "margin:0 0 14px 0;",
        "h1": f"margin:0 0 16px 0;font-size:24px;line-height:1.3;color:{heading};",
        "h2": f"margin:20px 0 12px 0;font-size:20px;line-height:1.3;color:{heading};",
        "h3": f"margin:18px 0 10px 0;font-size:17px;line-height:1.3;color:{heading};",
        "h4": f"margin:16px 0 8px 0;font-size:15px;color:{heading};",
        "a": f"color:{link};text-decoration:underline;",
        "ul": f"margin:0 0 14px 0;padding-{start}:24px;",
        "ol": f"margin:0 0 14px 0;padding-{start}:24px;",
        "li": "margin:0 0 6px 0;",
        "blockquote": f"margin:0 0 14px 0;padding:4px 12px;border-{start}:3px solid {accent};color:#555555;",
        "hr": "border:none;border-top:1px solid #dddddd;margin:20px 0;",
        "table": "border-collapse:collapse;margin:0 0 14px 0;",
        "th": f"border:1px solid #dddddd;padding:6px 8px;text-align:{start};background-color:#f5f5f5;",
        "td": "border:1px solid #dddddd;padding:6px 8px;",
        "code": "font-family:Menlo,Consolas,monospace;font-size:90%;background-color:#f3f4f6;",
        "pre": "font-family:Menlo,Consolas,monospace;background-color:#f3f4f6;padding:8px;"
               "white-space:pre-wrap;",
        "img": "max-width:100%;height:auto;border:0;",
    }


def style_override(style: Mapping[str, Any]) -> str:
    """A theme.yaml `styles` entry as inline CSS (T3: one paragraph differs from the theme)."""
    css = {"color": "color", "align": "text-align", "font_family": "font-family",
           "font_size": "font-size", "font_weight": "font-weight", "background_color": "background-color"}
    out = "".join(f"{prop}:{style[key]};" for key, prop in css.items() if key in style)
    return out + ("padding:8px 12px;" if "background_color" in style else "")


class Structure(NamedTuple):
    """A body's HTML and text with values as tokens and links as markers; the same for every
    email whose Jinja output (values aside) is the same, so it is parsed once and cached.
    (A NamedTuple, not a dataclass: an internal record, and ~0.3 ms less of every cold start.)"""

    html: str
    text: str
    warnings: tuple[str, ...]


def _style_tokens(tokens: list[Token], theme: Mapping[str, Any], rtl: bool) -> list[str]:
    styles = base_styles(theme, rtl)
    named: Mapping[str, Any] = theme.get("styles") or {}
    warnings: list[str] = []
    for tok in tokens:
        if tok.type == "inline":
            for child in tok.children or ():
                if child.type == "link_open":
                    child.attrs = {"href": child.attrs.get("href", ""), "style": styles["a"]}
                elif child.type == "image":
                    child.attrs = {"src": child.attrs.get("src", ""), "style": styles["img"]}
                elif child.type == "code_inline":
                    child.attrs = {"style": styles["code"]}
            continue
        if tok.nesting == -1:
            continue
        css = styles.get(tok.tag, "")
        if tok.tag in ("th", "td") and "style" in tok.attrs:  # column alignment from the table syntax
            css += str(tok.attrs["style"]) + ";"
        for cls in str(tok.attrs.get("class", "")).split():
            if cls in named:
                css += style_override(named[cls])
            else:
                warnings.append(f"unknown paragraph style `{cls}` (theme.yaml `styles` has: "
                                f"{', '.join(sorted(named)) or 'none'})")
        # nothing written in `{...}` survives except the mapped style: no id, no on* handlers
        tok.attrs = {"style": css} if css else {}
    return warnings


def _parse(text: str, theme_json: str, rtl: bool) -> Structure:
    from mailgitops.render.text import to_text  # here: a cached body never loads markdown-it

    md = markdown_parser()
    tokens = md.parse(text)
    warnings = _style_tokens(tokens, json.loads(theme_json), rtl)
    return Structure(md.renderer.render(tokens, md.options, {}), to_text(tokens), tuple(warnings))


@cache
def _code_fingerprint() -> str:
    """The code a structure is made by: this module, text.py, markdown-it and its plugins
    (their `__init__.py` carries the version), found without importing them."""
    from importlib.util import find_spec

    libs = [getattr(find_spec(name), "origin", None) for name in ("markdown_it", "mdit_py_plugins")]
    here = Path(__file__).parent
    return diskcache.source_fingerprint(__file__, str(here / "text.py"), *libs)


# Structures the bundle carries, parsed when it was built (render/preparsed.py), each packed
# (zlib, base64): a body whose Jinja output is one of them is sent without importing markdown-it.
_PREPARSED: dict[str, str] = {}


def preparsed_key(text: str, theme_json: str, rtl: bool) -> str:
    return diskcache.digest(text, theme_json, "rtl" if rtl else "ltr")


def parse_now(text: str, theme_json: str, rtl: bool) -> Structure:
    """Parsed here and now, no cache asked: what a bundle stores (render/preparsed.py)."""
    return _parse(text, theme_json, rtl)


def pack(made: Structure) -> str:
    import base64
    import zlib

    data = json.dumps([made.html, made.text, list(made.warnings)], ensure_ascii=False).encode("utf-8")
    return base64.b64encode(zlib.compress(data, 9)).decode("ascii")


def unpack(packed: str) -> Structure | None:
    """A packed structure, or None when it is not one (then the body is parsed instead)."""
    import binascii
    import zlib

    try:
        got = json.loads(zlib.decompress(binascii.a2b_base64(packed)))
    except (ValueError, zlib.error):  # binascii.Error is a ValueError
        return None
    if (isinstance(got, list) and len(got) == 3 and isinstance(got[0], str) and isinstance(got[1], str)
            and isinstance(got[2], list) and all(isinstance(w, str) for w in got[2])):
        return Structure(got[0], got[1], tuple(got[2]))
    return None


@lru_cache(maxsize=1024)
def _structure(text: str, theme_json: str, rtl: bool) -> Structure:
    """Parsed once per process, and (for the dispatcher) kept on disk across processes."""
    packed = _PREPARSED.get(preparsed_key(text, theme_json, rtl)) if _PREPARSED else None
    shipped = unpack(packed) if packed is not None else None
    if shipped is not None:
        return shipped
    if diskcache.directory("markdown") is None:
        return _parse(text, theme_json, rtl)
    key = diskcache.digest(_code_fingerprint(), text, theme_json, "rtl" if rtl else "ltr")
    stored = diskcache.load_json("markdown", key)
    if (isinstance(stored, list) and len(stored) == 3 and all(isinstance(x, str) for x in stored[:2])
            and isinstance(stored[2], list) and all(isinstance(w, str) for w in stored[2])):
        return Structure(stored[0], stored[1], tuple(stored[2]))
    made = _parse(text, theme_json, rtl)
    diskcache.store_json("markdown", key, [made.html, made.text, list(made.warnings)])
    return made


def structure(text: str, theme: Mapping[str, Any], *, rtl: bool) -> Structure:
    return _structure(text, json.dumps(theme, sort_keys=True), rtl)


def resolve_url(raw: str, values: Sequence[str], *, image: bool, assets: Mapping[str, Any]) -> str | None:
    """The final URL of a link or image, or None when it is not allowed."""
    whole = _HREF_TOKEN.fullmatch(raw)
    if whole:
        i = int(whole.group(1))
        url = values[i].strip() if i < len(values) else ""
    else:
        url = _HREF_TOKEN.sub(
            lambda m: quote(values[int(m.group(1))], safe="@") if int(m.group(1)) < len(values) else "", raw)
    if image and url in assets:
        return f"cid:{cid_for(url)}"
    if not url or _BAD_URL_CHARS.search(url):
        return None
    scheme = urlsplit(url).scheme.lower()
    if image:
        return url if scheme == "https" else None
    return url if scheme in SAFE_LINK_SCHEMES else None


class Filled:
    """fill()'s result, built up while filling (a plain class: no dataclass cost at start-up)."""

    __slots__ = ("inline_assets", "out", "warnings")

    def __init__(self, out: str = "") -> None:
        self.out = out
        self.warnings: list[str] = []
        self.inline_assets: list[str] = []


def fill(template: str, values: Sequence[str], assets: Mapping[str, Any], *, as_html: bool,
         isolate: bool = False) -> Filled:
    """Put values in (HTML-escaped, or as they are for the text part) and decide each link and
    image: a target that is not https/http/mailto (images: https or an asset) is left out.
    `isolate` (a right-to-left email): each value in the HTML is a <bdi> (in the text part it is
    followed by a right-to-left mark), its own direction, so
    that an order number or a Latin title beside Arabic or Hebrew words stays whole and in its
    place; without it the bidi algorithm joins a value with the brackets and numbers after it
    ("PO-1001 (Open day material)" read title first, its brackets turned)."""
    result = Filled()
    dropped = False

    def plain(s: str) -> str:
        return _HREF_TOKEN.sub(lambda m: _value(values, int(m.group(1))), s)

    def image(fields: list[str]) -> str:
        url = resolve_url(fields[0], values, image=True, assets=assets)
        if url is None:
            result.warnings.append("an image that is neither an asset nor https was left out")
            return ""
        if url.startswith("cid:"):
            result.inline_assets.append(url[4:].rsplit("@", 1)[0])
        alt = plain(fields[1])
        if not as_html:
            return f"[{alt}]" if alt else ""
        return f'<img src="{escape(url)}" alt="{escape(alt)}" style="{fields[2]}" />'

    def link(kind: str, fields: list[str]) -> str:
        nonlocal dropped
        if kind == "C":
            was, dropped = dropped, False
            return "" if was or not as_html else "</a>"
        url = resolve_url(fields[0], values, image=False, assets=assets)
        if kind == "T":  # the text part writes a link's target out after its label
            label = plain(fields[1])
            return "" if url is None or url in (label, f"mailto:{label}") else f" ({url})"
        if url is None:
            result.warnings.append("a link with an unsafe or empty target was shown as plain text")
            dropped = True
            return ""
        return f'<a href="{escape(url)}" style="{fields[1]}">'

    def sub(m: re.Match[str]) -> str:
        kind, payload, index = m.group(1), m.group(2), m.group(3)
        if index is not None:
            v = _value(values, int(index))
            if not as_html:  # a right-to-left text part: a mark after the value (not in it, so a
                # tracking number copied is the number) keeps the brackets and words after it
                # right to left, as the <bdi> does in the HTML
                return v + RLM if isolate and v.strip() else v
            shown = escape(v, quote=False).replace("\n", "<br>\n")
            return f"<bdi>{shown}</bdi>" if isolate and shown.strip() else shown
        fields = payload.split(M_SEP)
        return image(fields) if kind == "I" else link(kind, fields)

    result.out = _FILL.sub(sub, template)
    return result


def _value(values: Sequence[str], i: int) -> str:
    return values[i] if i < len(values) else ""
