"""Lints of one finished email's HTML (size, alt text, links), shared by `render` and `validate`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

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


def tag_findings(html: str, theme: Mapping[str, Any]) -> list[HtmlFinding]:
    """Images without alt text and links that are not https (mailto: is fine)."""
    tags = _Tags()
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


def email_findings(html: str, theme: Mapping[str, Any]) -> list[HtmlFinding]:
    """Every HTML lint of one rendered email (what `render` lists under each email's warnings)."""
    size = size_finding(html)
    return ([size] if size else []) + tag_findings(html, theme)
