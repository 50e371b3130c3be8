"""The theme's logo is a file the bundle carries (templates/_assets/), never a link an email would
load from elsewhere: a remote image tells its server who opened the email and when, and a
`javascript:` or `data:` source has no place in an email. An https URL is allowed only when the
theme says so (`allow_remote_logo: true`). A webshop's own look (config/webshops/<id>.yaml
`theme:`, and its older top-level `logo`) follows the same rules, with its own `allow_remote_logo`.

A footer written per language has the default language's text (the others fall back to it); an
active language without its own is a translation gap, said once for the footer."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from urllib.parse import urlsplit

from mailgitops.checks.language_keys import not_active
from mailgitops.diagnostics import Diagnostic, Severity
from mailgitops.render.footer import missing_languages
from mailgitops.repo import ASSETS_DIR, LoadedRepo
from mailgitops.suggest import did_you_mean
from mailgitops.yamlsrc import YamlDoc

THEME_FILE = "templates/_layouts/theme.yaml"
WEBSHOPS_DIR = "config/webshops/"


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    out = []
    for file, doc in sorted(loaded.docs.items()):
        if file == THEME_FILE:
            out += _logo(doc, loaded.repo.assets) + _footer(doc, ("footer",), loaded) + _alt(doc, ())
        elif file.startswith(WEBSHOPS_DIR) and file.endswith((".yaml", ".yml")):
            out += _shop(doc, loaded)
    return out


def _shop(doc: YamlDoc, loaded: LoadedRepo) -> list[Diagnostic]:
    """A webshop's own look (`theme:`), by theme.yaml's rules; its top-level `logo` (written
    before `theme:` existed) is the same as `theme: {logo: ...}`, so only one of them."""
    data = doc.data if isinstance(doc.data, dict) else {}
    own = data["theme"] if isinstance(data.get("theme"), dict) else {}
    allow = own.get("allow_remote_logo", data.get("allow_remote_logo")) is True
    out = (_logo(doc, loaded.repo.assets, ("theme",), allow) + _footer(doc, ("theme", "footer"), loaded)
           + _alt(doc, ("theme",)))
    if "logo" in data and "logo" in own:
        out.append(doc.at(("logo",), "logo-twice",
                          "the shop's `logo` is written twice: here and under `theme:`",
                          hint="keep the one under `theme:` and delete this line", key=True))
    return out + _logo(doc, loaded.repo.assets, (), allow)


def _footer(doc: YamlDoc, at: tuple[str, ...], loaded: LoadedRepo) -> list[Diagnostic]:
    """A footer per language: the default language's text is what the others fall back to; an
    active language without its own is a translation gap, said once for the footer."""
    node: object = doc.data
    for key in at:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or not node:
        return []  # one text for every language, none, or not a mapping (the schema says so)
    langs = loaded.repo.languages
    strays = not_active(doc, at, langs.active, "footer text")
    if not isinstance(node.get(langs.default), str) or not node[langs.default].strip():
        return [doc.at(at, "footer-default-missing",
                       f"the footer has no text in the default language `{langs.default}`, which every "
                       "language without its own falls back to",
                       hint=f"add `{langs.default}: ...` under `{at[-1]}`", key=True), *strays]
    missing = missing_languages(node, langs.active, langs.default)
    if not missing:
        return strays
    found = doc.at(at, "footer-missing-language",
                   f"the footer has no text in {', '.join(missing)} yet: "
                   f"{'those emails show' if len(missing) > 1 else 'its emails show'} the "
                   f"{langs.default} footer",
                   hint=f"add `{missing[0]}: ...` under `{at[-1]}`; `mailgitops translations export "
                        f"--lang {missing[0]}` makes the file for a translator (the footer is in it)",
                   key=True)
    return [replace(found, severity=Severity.WARNING), *strays]


def _logo(doc: YamlDoc, assets: Collection[str], base: tuple[str, ...] = (),
          allow: bool | None = None) -> list[Diagnostic]:
    """The logo at `base` + `logo`; `allow`: whether an https logo is allowed (default: the
    `allow_remote_logo` beside it)."""
    data: object = doc.data
    for key in base:
        data = data.get(key) if isinstance(data, dict) else None
    data = data if isinstance(data, dict) else {}
    logo = data.get("logo")
    at = (*base, "logo")
    if not isinstance(logo, str) or not logo:
        return []  # no logo, or not text: the schema says so
    if logo in assets:
        return _svg(doc, logo, at)
    scheme = urlsplit(logo).scheme.lower() if ":" in logo else ""
    if not scheme:
        return [doc.at(at, "logo-not-an-asset", f"logo `{logo}` is not a file in {ASSETS_DIR}/",
                       hint=did_you_mean(logo, assets) or f"put the image in {ASSETS_DIR}/, write its name")]
    if (data.get("allow_remote_logo") is True if allow is None else allow) and scheme == "https":
        return []
    if scheme == "https":
        return [doc.at(at, "remote-logo",
                       f"logo `{logo}` would be loaded from another server each time an email is opened "
                       "(that server learns who opened it and when)",
                       hint=f"put the image in {ASSETS_DIR}/ and write its file name, or set "
                            "`allow_remote_logo: true` if this is intended")]
    return [doc.at(at, "unsafe-logo", f"logo `{logo[:80]}` is a `{scheme}:` link, not an image file",
                   hint=f"put the image in {ASSETS_DIR}/ and write its file name")]


# alt text that names the kind of image, not what it shows (a screen reader reads "logo")
_SAYS_NOTHING = frozenset({"logo", "image", "img", "picture", "photo", "icon", "banner", "header",
                           "bild", "grafik", "afbeelding", "plaatje", "图片", "标志", "图像"})


def _alt(doc: YamlDoc, base: tuple[str, ...]) -> list[Diagnostic]:
    """`logo_alt` at `base` that says nothing a reader can use: what a screen reader reads for
    the logo, and what a mail program that hides images shows in its place."""
    data: object = doc.data
    for key in base:
        data = data.get(key) if isinstance(data, dict) else None
    alt = data.get("logo_alt") if isinstance(data, dict) else None
    logo = data.get("logo") if isinstance(data, dict) else None
    if not isinstance(alt, str) or not alt.strip():
        return []
    said = alt.strip().lower()
    named = isinstance(logo, str) and said in (logo.lower(), logo.lower().rsplit(".", 1)[0])
    if said not in _SAYS_NOTHING and not named:
        return []
    found = doc.at((*base, "logo_alt"), "logo-alt-says-nothing",
                   f"logo_alt `{alt.strip()}` names the image, not what it shows: a screen reader reads "
                   f"\"{alt.strip()}\", and a mail program that hides images shows it in the logo's place",
                   hint="write the words the logo shows, usually the print room's or the shop's name")
    return [replace(found, severity=Severity.WARNING)]


def _svg(doc: YamlDoc, logo: str, at: tuple[str, ...]) -> list[Diagnostic]:
    """The file is fine; most inboxes are not."""
    if not logo.lower().endswith((".svg", ".svgz")):
        return []
    found = doc.at(at, "logo-svg", f"logo `{logo}` is an SVG image, which Gmail and Outlook do "
                   "not show: most customers would see an empty box",
                   hint=f"export it as a PNG (twice the width it is shown at, e.g. 320 px wide for 160px) "
                   f"into {ASSETS_DIR}/ and write that file's name")
    return [replace(found, severity=Severity.WARNING)]
