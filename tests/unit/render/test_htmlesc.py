"""The send path's HTML escaping is html.escape's, byte for byte, and `html` stays unimported."""

from __future__ import annotations

import html
import subprocess
import sys

import pytest

from mailgitops.render.htmlesc import escape

SAMPLES = ["", "plain", "a & b", "<b>x</b>", "\"quoted\" and 'single'", "&amp; already", "ä <ü> & 'ß' \"é\"",
           "&&<<>>\"\"''", "\ue000 tokens \ue001", "line\nbreak"]


@pytest.mark.parametrize("quote", [True, False])
def test_same_as_html_escape(quote: bool) -> None:
    for s in SAMPLES:
        assert escape(s, quote) == html.escape(s, quote)
    assert escape("'\"", quote=quote) == html.escape("'\"", quote=quote)


def test_the_renderer_does_not_import_html() -> None:
    code = ("import sys, mailgitops.render.email, mailgitops.render.markdown, mailgitops.dispatch.delivery; "
            "print('html' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
