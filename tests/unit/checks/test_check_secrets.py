"""secrets: literal passwords, tokens and private keys are errors; references are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.checks import secrets
from mailgitops.repo import load_repo
from mailgitops.yamlsrc import load_yaml

PEM = "-----BEGIN " + "RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("auth: {password_env: MAILGITOPS_SMTP_PASSWORD, password_file: /etc/pw}\n", []),
        ("auth: {password: hunter2}\n", [(1, 18)]),
        ("smtp_passwd: x\n", [(1, 14)]),
        ("api_key: abc\n", [(1, 10)]),
        ("client_secret: 9fT2kQ7xLm4ZrB8vN1cW6yH3dJ0sPq5E\n", [(1, 16)]),  # a dummy value
        ("auth:\n  token: 12345\n", [(2, 10)]),
        ("password: ''\n", []),
        ("password: null\n", []),
        (f'note: "{PEM}\\nMIIE"\n', [(1, 7)]),
        ("name: ghp_" + "a1B2" * 9 + "\n", [(1, 7)]),
        ("name: Print Room\ncomment: Please use recycled paper.\n", []),
    ],
)
def test_secrets_in_yaml(text: str, expected: list[tuple[int, int]]) -> None:
    doc, _ = load_yaml(text, "f.yaml")
    assert [(d.line, d.col) for d in secrets.check_doc(doc)] == expected


def test_hint_names_the_reference_keys() -> None:
    doc, _ = load_yaml("password: x\n", "f.yaml")
    [d] = secrets.check_doc(doc)
    assert "password_env: MAILGITOPS_SMTP_PASSWORD" in (d.hint or "")


def test_entropy_tells_tokens_from_words() -> None:
    assert secrets.looks_random("9fT2kQ7xLm4ZrB8vN1cW6yH3dJ0sPq5E")
    assert not secrets.looks_random("correct horse battery staple")


def test_private_key_file_under_config(repo_copy: Path) -> None:
    (repo_copy / "config/keys").mkdir()
    (repo_copy / "config/keys/smtp.key").write_text(f"\n{PEM}\nMIIE\n", encoding="utf-8")
    [d] = secrets.check(load_repo(repo_copy))
    assert (d.file, d.line, d.col, d.code) == ("config/keys/smtp.key", 2, 1, "secret-in-repo")


def test_private_key_in_a_template_body(repo_copy: Path) -> None:
    (repo_copy / "templates/quotation/en.md").write_text(f"---\nsubject: Quote\n---\nHello\n\n{PEM}\n")
    found = [(d.file, d.line, d.col) for d in secrets.check(load_repo(repo_copy))]
    assert found == [("templates/quotation/en.md", 6, 1)]


def test_tokens_and_keys_anywhere_in_the_repository(repo_copy: Path) -> None:
    """Comments, layouts, front matter comments and asset folders are scanned too."""
    root = repo_copy
    token = "ghp_" + "a1B2" * 9
    with (root / "config/workflow.yaml").open("a", encoding="utf-8") as f:
        f.write(f"# deploy with {token}\n")
    with (root / "templates/_layouts/default.mjml").open("a", encoding="utf-8") as f:
        f.write(f"<!-- {token} -->\n")
    md = root / "templates/quotation/en.md"
    md.write_text(md.read_text(encoding="utf-8").replace("---\n", f"---\n# {token}\n", 1), encoding="utf-8")
    (root / "templates/_assets/id_ed25519").write_text(PEM + "\nabc\n", encoding="utf-8")
    found = {(d.file, d.line, d.code) for d in secrets.check(load_repo(root))}
    assert {(f, c) for f, _, c in found} == {
        ("config/workflow.yaml", "secret-in-repo"), ("templates/_layouts/default.mjml", "secret-in-repo"),
        ("templates/quotation/en.md", "secret-in-repo"), ("templates/_assets/id_ed25519", "secret-in-repo"),
    }
    assert ("templates/quotation/en.md", 2, "secret-in-repo") in found


def test_a_value_and_its_line_are_reported_once(repo_copy: Path) -> None:
    root = repo_copy
    with (root / "config/workflow.yaml").open("a", encoding="utf-8") as f:
        f.write("api_token: ghp_" + "a1B2" * 9 + "\n")
    diags = [d for d in secrets.check(load_repo(root)) if d.file == "config/workflow.yaml"]
    assert len(diags) == 1
