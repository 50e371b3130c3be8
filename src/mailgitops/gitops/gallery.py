"""`index.html`: a self-contained gallery of the rendered emails that works from file://."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from mailgitops.gitops.diff import SENT_BY, address_headers
from mailgitops.gitops.manifest import ManifestEntry

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1f2933}
header{position:sticky;top:0;background:#0b3d6b;color:#fff;padding:12px 20px;display:flex;gap:16px;
align-items:center;z-index:2}
header h1{font-size:18px;margin:0;flex:1}
header input,header select{padding:6px 8px;border-radius:4px;border:0;font-size:14px}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:18px;padding:20px}
article{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);overflow:hidden}
article header{position:static;background:#fff;color:#1f2933;display:block;padding:10px 14px;
border-bottom:1px solid #e5e7eb}
.meta{font-size:12px;color:#5f6b7a;margin-top:4px}
.meta a{color:#0b5cad;margin-right:8px}
.subject{font-weight:600;font-size:14px}
.tag{display:inline-block;background:#e6eef7;color:#0b3d6b;border-radius:3px;padding:0 6px;margin-right:6px;
font-size:12px;font-weight:600}
.warn{background:#fff6d6;color:#7a4b00;font-size:12px;margin:6px 0 0;padding:4px 8px;list-style:none}
iframe{width:100%;height:560px;border:0;display:block;background:#fff}
.hidden{display:none}
"""

# Marks each frame as loaded; where the browser allows reading a file:// frame (Chromium with
# --allow-file-access-from-files, as the test runs it), also checks its <title> is the subject.
_JS = """
function filter(){var q=document.getElementById('q').value.toLowerCase(),
l=document.getElementById('lang').value;document.querySelectorAll('article').forEach(function(a){
var ok=(!l||a.dataset.lang===l)&&(!q||a.textContent.toLowerCase().indexOf(q)>=0);
a.classList.toggle('hidden',!ok);});}
document.querySelectorAll('iframe').forEach(function(f){function mark(){var a=f.closest('article'),s='loaded';
try{var d=f.contentDocument;if(d&&d.title){s=(d.title===a.dataset.subject)?'ok':'mismatch';}}catch(e){}
a.dataset.status=s;}f.addEventListener('load',mark);
try{if(f.contentDocument&&f.contentDocument.readyState==='complete'&&f.contentDocument.title){mark();}}catch(e){}});
"""


def _headers(folder: Path | None, e: ManifestEntry) -> str:
    """What a reviewer checks besides the text: who it comes from and to whom it goes (a new
    sender, a CC added) as the recipient's mail program shows it, and which triggers send it."""
    if folder is None or not e.eml or not (folder / e.eml).is_file():
        return ""
    rows = list(address_headers((folder / e.eml).read_bytes()).items())
    if e.sent_by:
        rows.append((SENT_BY, "; ".join(e.sent_by)))
    return "".join(f'<div class="meta addr"><b>{name}:</b> {html.escape(value)}</div>'
                   for name, value in rows)


def _card(e: ManifestEntry, folder: Path | None = None) -> str:
    t, lang = html.escape(e.template), html.escape(e.lang)
    fallback = (f' <span class="tag" title="no {lang}.md: fell back">→ {html.escape(e.language_used)}</span>'
                if e.language_used != e.lang else "")
    warns = "".join(f"<li>⚠ {html.escape(w)}</li>" for w in e.warnings)
    return (
        f'<article id="{t}-{lang}" data-template="{t}" data-lang="{lang}" '
        f'data-subject="{html.escape(e.subject)}" data-status="pending">'
        f'<header><span class="tag">{t}</span><span class="tag">{lang}</span>{fallback}'
        f'<div class="subject">{html.escape(e.subject)}</div>'
        + _headers(folder, e) +
        f'<div class="meta">sample {html.escape(e.sample)} · HTML {e.html_bytes / 1024:.1f} KB · '
        f'message {e.eml_bytes / 1024:.1f} KB · '
        f'<a href="{t}/{lang}.html">html</a><a href="{t}/{lang}.txt">text</a>'
        f'<a href="{t}/{lang}.eml">eml</a></div>'
        + (f'<ul class="warn">{warns}</ul>' if warns else "")
        + f'</header><iframe src="{t}/{lang}.html" title="{t} {lang}"></iframe></article>'
    )


def gallery_html(entries: Sequence[ManifestEntry], title: str = "mailgitops previews",
                 folder: Path | None = None) -> str:
    """The gallery page; with `folder` (the render output), each card shows From, Reply-To, To
    and Cc from the email's .eml, and which triggers send it to whom."""
    langs = sorted({e.lang for e in entries})
    options = "".join(f'<option value="{html.escape(lang)}">{html.escape(lang)}</option>' for lang in langs)
    n_warn = sum(bool(e.warnings) for e in entries)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f'<header><h1>{html.escape(title)} — {len(entries)} emails, {n_warn} with warnings</h1>'
        '<input id="q" type="search" placeholder="filter: template, subject…" oninput="filter()">'
        f'<select id="lang" onchange="filter()"><option value="">all languages</option>{options}</select>'
        "</header>\n<main>\n" + "\n".join(_card(e, folder) for e in entries) + "\n</main>\n"
        f"<script>{_JS}</script></body></html>\n"
    )
