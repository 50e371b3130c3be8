"""Lints of one finished email's HTML (size, alt text, links), shared by `render` and `validate`."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any, NamedTuple

from mailgitops.render.markdown import cid_for

GMAIL_CLIP_BYTES = 102 * 1024
SECURE_SCHEMES = ("https:", "mailto:")


@dataclass(frozen=True, slots=True)
class HtmlFinding:
    code: str  # html-too-large | image-without-alt | insecure-link
    message: str
    hint: str
    needle: str  # what to look for in the source file to locate it ("" when it is the whole email)
    logo: bool = False  # the theme's logo (theme.yaml `logo_alt`), not the template's own image


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[tuple[str, str]] = []  # (src, alt)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.images.append((a.get("src") or "", (a.get("alt") or "").strip()))
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")


def size_finding(html: str) -> HtmlFinding | None:
    size = len(html.encode("utf-8"))
    if size <= GMAIL_CLIP_BYTES:
        return None
    return HtmlFinding("html-too-large",
                       f"the email's HTML is {size / 1024:.0f} KB; Gmail clips messages over 102 KB",
                       "shorten the text or split it over several emails", "")


def is_logo(src: str, theme: Mapping[str, Any]) -> bool:
    logo = theme.get("logo")
    return bool(logo) and src in (f"cid:{cid_for(str(logo))}", str(logo))


class _Head(NamedTuple):
    """What a layout's HTML holds before the email's text: its images and links, and the slots in it."""

    head: str  # the shell up to the content slot, markers in place
    images: list[tuple[str, str]]
    links: list[str]


_MARKER = re.compile(r"@@MG:([a-z]+)@@")
_HEAD_SLOTS = frozenset({"lang", "title", "preheader"})  # filled from the email's own fields


@lru_cache(maxsize=16)
def _head(shell: str) -> _Head | None:
    """The shell before its content slot, parsed once, or None when an email must be parsed whole:
    the slot is not there once, another slot comes first, a marker sits in an image or link, or the
    parser is not between tags where the slot starts (then the rest would not parse the same alone)."""
    head, marker, _ = shell.partition("@@MG:content@@")
    if not marker or "@@MG:content@@" in _ or not set(_MARKER.findall(head)) <= _HEAD_SLOTS:
        return None
    tags = _Tags()
    tags.feed(head)
    if tags.rawdata or tags.cdata_elem is not None:
        return None
    if any("@@MG:" in f"{src}{alt}" for src, alt in tags.images) or any("@@MG:" in h for h in tags.links):
        return None
    return _Head(head, tags.images, tags.links)


def tag_findings(html: str, theme: Mapping[str, Any], *, shell: str | None = None, lang: str = "",
                 subject: str = "", preheader: str = "") -> list[HtmlFinding]:
    """Images without alt text and links that are not https (mailto: is fine).

    With the email's `shell` (and the lang, subject and preheader it was filled with), the shell's
    part before the email's text is read once per shell, not once per email (it is most of the
    HTML); an email whose HTML does not start with exactly that part is read whole."""
    tags = _Tags()
    head = _head(shell) if shell is not None else None
    start = _MARKER.sub(lambda m: htmllib.escape({"lang": lang, "title": subject}.get(m[1], preheader)),
                        head.head) if head is not None else ""
    if head is not None and html.startswith(start):
        tags.images.extend(head.images)
        tags.links.extend(head.links)
        html = html[len(start):]
    tags.feed(html)
    tags.close()
    out: list[HtmlFinding] = []
    for src, alt in tags.images:
        if alt:
            continue
        if is_logo(src, theme):
            out.append(HtmlFinding("image-without-alt", "the logo has no alt text",
                                   "set `logo_alt` in theme.yaml", "logo", logo=True))
        else:
            out.append(HtmlFinding("image-without-alt", f"image {src} has no alt text",
                                   "describe it: ![Our opening hours](https://...)",
                                   src.removeprefix("cid:").split("@")[0]))
    for href in tags.links:
        if not href.lower().startswith(SECURE_SCHEMES):
            out.append(HtmlFinding("insecure-link", f"link {href} is not https", "use an https:// address",
                                   href))
    return out


def email_findings(html: str, theme: Mapping[str, Any], *, shell: str | None = None, lang: str = "",
                   subject: str = "", preheader: str = "") -> list[HtmlFinding]:
    """Every HTML lint of one rendered email (what `render` lists under each email's warnings)."""
    size = size_finding(html)
    return ([size] if size else []) + tag_findings(html, theme, shell=shell, lang=lang, subject=subject,
                                                   preheader=preheader)
