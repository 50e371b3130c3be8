"""What the docs show a reader, taken from the docs themselves: a section, the output a command
is shown with, and, for each validate line the admin guide shows, the edit that makes it (the
one the guide describes, on a copy of the shipped repository)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def doc(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text of one `## heading` section of a doc."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def comment_after(text: str, command: str) -> str:
    """What the doc shows a command prints: the `# ...` after it, on its line or the next one."""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if line.startswith(command):
            same = line[len(command):].strip()
            shown = same if same.startswith("#") else lines[number + 1].strip()
            assert shown.startswith("# "), f"the doc shows no output after `{command}`"
            return shown[2:]
    raise AssertionError(f"the doc no longer shows `{command}`")


def activate_italian(root: Path, *, written_except: str | None = None) -> None:
    languages = root / "config/languages.yaml"
    text = languages.read_text(encoding="utf-8")
    languages.write_text(text.replace("active: [en, de, fr, nl, zh]", "active: [en, de, fr, nl, zh, it]"),
                         encoding="utf-8")
    if written_except is not None:
        for english in (root / "templates").glob("*/en.md"):
            if english.parent.name != written_except:
                (english.parent / "it.md").write_bytes(english.read_bytes())


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer has {old!r}: the guide's example needs a new recipe"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def bad_shop_address(root: Path) -> None:
    shop = re.search(r"```yaml\n(.*?)```", section(doc("docs/admin-guide.md"), "Add a webshop"), re.S)
    assert shop is not None
    text = shop.group(1).replace("address: library@example.com", "address: library@example")
    (root / "config/webshops/library.yaml").write_text(text, encoding="utf-8")


# How a reader gets each validate line the admin guide shows: the edit the guide describes.
GUIDE_EXAMPLES = {
    "templates/order-accepted/de.md:2:26: error: unknown variable": lambda root: replace_once(
        root / "templates/order-accepted/de.md", "{{ order.number }}", "{{ order.numbr }}"),
    "config/workflow.yaml:57:20: warning: trigger `order_accepted`": lambda root: replace_once(
        root / "config/workflow.yaml", "send: on_customer_request   # only customers who asked for it\n"
        "    to: [customer]", "send: on_customer_request   # only customers who asked for it\n"
        "    to: [customer, operator]"),
    "config/languages.yaml:": activate_italian,
    "templates/quotation/template.yaml:": lambda root: activate_italian(root, written_except="quotation"),
    "config/webshops/library.yaml:5:12:": bad_shop_address,
    "config/smtp.yaml:7:6: warning: example address": lambda root: None,  # the shipped repository as it is
    "config/smtp.yaml:": lambda root: replace_once(
        root / "config/smtp.yaml", "password_env: MAILGITOPS_SMTP_PASSWORD", "password: s3cret-s3cret"),
}
SHOWN = re.compile(r"^\s*((?:config|templates)/\S+:\d+:\d+: (?:error|warning): .*\[[a-z-]+\])$", re.M)
