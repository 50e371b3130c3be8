"""A webshop's own look (config/webshops/<id>.yaml `theme:`): the layouts compiled with it, named
so that a dispatcher finds them, and shared by the shops that look the same."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_NOT_IN_LAYOUT = ("footer", "allow_remote_logo")  # filled in after, or only read by validate


def look_name(theme: Mapping[str, Any], own: Mapping[str, Any]) -> str | None:
    """The name of the layouts compiled with a shop's own look (None: the theme's own layouts).
    Only what the layout shows counts (the footer is filled in later); a shop that changes only
    its logo names them by the logo's file name, as bundles always have."""
    shown = {k: v for k, v in own.items() if k not in _NOT_IN_LAYOUT and theme.get(k) != v}
    if not shown:
        return None
    if set(shown) == {"logo"}:
        return str(shown["logo"])
    import hashlib  # only for a shop with colours of its own

    return "look-" + hashlib.sha256(json.dumps(shown, sort_keys=True).encode("utf-8")).hexdigest()[:12]


Look = Mapping[str, Any]  # the theme keys a webshop changes


def looks_of(theme: Look, shop_themes: Mapping[str, Look]) -> dict[str, Look]:
    """Each distinct look of the shops (look_name -> the shop theme keys it compiles with)."""
    out: dict[str, Look] = {}
    for _sid, own in sorted(shop_themes.items()):
        look = look_name(theme, own)
        if look:
            out.setdefault(look, {k: v for k, v in own.items() if k not in _NOT_IN_LAYOUT})
    return out
