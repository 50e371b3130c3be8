"""translations import writes a footer's translation into its YAML file by changing only the
footer's lines: every other key and comment stays byte for byte, whatever shape the footer has."""

from __future__ import annotations

import pytest
import yaml

from mailgitops.translations.footer import set_text

BEFORE = "font_size: 15px   # the body text\n"
AFTER = "# Paragraph styles: see docs/templates.md\nstyles:\n  note: {color: \"#5f6b7a\"}\n"


@pytest.mark.parametrize(("footer", "want"), [
    ('footer: "Print Room Ltd"   # the imprint\n',
     'footer:\n  en: "Print Room Ltd"\n  de: "Druckerei GmbH"   # the imprint\n'),
    ("footer: |\n  Print Room Ltd\n  Company no. 1\n\n",
     "footer:\n  en: |\n    Print Room Ltd\n    Company no. 1\n  de: \"Druckerei GmbH\"\n\n"),
    ('footer: {en: "Print Room Ltd"}\n', 'footer:\n  en: "Print Room Ltd"\n  de: "Druckerei GmbH"\n'),
    ('footer:\n  en: "Print Room Ltd"\n  de: "Alt GmbH"   # old\n',
     'footer:\n  en: "Print Room Ltd"\n  de: "Druckerei GmbH"   # old\n'),
])
def test_only_the_footer_changes(footer: str, want: str) -> None:
    out = set_text(BEFORE + footer + AFTER, ("footer",), "de", "Druckerei GmbH", "en")
    assert out == BEFORE + want + AFTER
    assert yaml.safe_load(out)["footer"]["de"] == "Druckerei GmbH"


def test_a_shops_footer_under_theme_and_lines_kept_as_lines() -> None:
    shop = 'name: Campus shop\ntheme:\n  accent_color: "#c0392b"\n  footer:\n    en: Campus Ltd\n'
    out = set_text(shop, ("theme", "footer"), "de", "Campus GmbH\nCampusweg 1", "en")
    assert out == shop + "    de: |-\n      Campus GmbH\n      Campusweg 1\n"
    assert yaml.safe_load(out)["theme"]["footer"]["de"] == "Campus GmbH\nCampusweg 1"
