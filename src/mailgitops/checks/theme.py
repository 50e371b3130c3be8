"""The theme's logo is a file the bundle carries (templates/_assets/), never a link an email would
load from elsewhere: a remote image tells its server who opened the email and when, and a
`javascript:` or `data:` source has no place in an email. An https URL is allowed only when the
theme says so (`allow_remote_logo: true`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from mailgitops.diagnostics import Diagnostic
from mailgitops.repo import ASSETS_DIR, LoadedRepo
from mailgitops.suggest import did_you_mean

THEME_FILE = "templates/_layouts/theme.yaml"


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    doc = loaded.docs.get(THEME_FILE)
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    logo = data.get("logo")
    if doc is None or not isinstance(logo, str) or not logo:
        return []  # no logo, or not text: the schema says so
    assets = loaded.repo.assets
    if logo in assets:
        return []
    scheme = urlsplit(logo).scheme.lower() if ":" in logo else ""
    if not scheme:
        return [doc.at(("logo",), "logo-not-an-asset", f"logo `{logo}` is not a file in {ASSETS_DIR}/",
                       hint=did_you_mean(logo, assets) or f"put the image in {ASSETS_DIR}/, write its name")]
    if data.get("allow_remote_logo") is True and scheme == "https":
        return []
    if scheme == "https":
        return [doc.at(("logo",), "remote-logo",
                       f"logo `{logo}` would be loaded from another server each time an email is opened "
                       "(that server learns who opened it and when)",
                       hint=f"put the image in {ASSETS_DIR}/ and write its file name, or set "
                            "`allow_remote_logo: true` if this is intended")]
    return [doc.at(("logo",), "unsafe-logo", f"logo `{logo[:80]}` is a `{scheme}:` link, not an image file",
                   hint=f"put the image in {ASSETS_DIR}/ and write its file name")]
