"""Hostile files give diagnostics, never a traceback."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mailgitops.checks import templates
from mailgitops.repo import load_repo
from mailgitops.validate import validate_repo


def codes(root: Path) -> set[str]:
    return {d.code for d in validate_repo(root).errors}


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes_in_every_kind_of_file(repo_copy: Path, seed: int) -> None:
    rng = random.Random(seed)
    garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4000)))
    for rel in ("config/smtp.yaml", "config/workflow.yaml", "templates/quotation/de.md",
                "templates/quotation/template.yaml"):
        (repo_copy / rel).write_bytes(garbage)
    assert codes(repo_copy)  # reported, not raised


@pytest.mark.parametrize("seed", range(8))
def test_random_printable_text(repo_copy: Path, seed: int) -> None:
    rng = random.Random(seed)
    alphabet = "{}[]%:-#&*!|>'\"\n\t ab1.@;,"
    text = "".join(rng.choice(alphabet) for _ in range(2000))
    (repo_copy / "config/languages.yaml").write_text(text, encoding="utf-8")
    (repo_copy / "templates/quotation/en.md").write_text("---\nsubject: x\n---\n" + text, encoding="utf-8")
    found = {d.file for d in validate_repo(repo_copy).errors}
    assert {"config/languages.yaml", "templates/quotation/en.md"} <= found  # reported, not raised


@pytest.mark.parametrize("text", [
    "a: " + "[" * 900 + "]" * 900 + "\n",
    "a: " + "{b: " * 500 + "1" + "}" * 500 + "\n",
    "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v: 1\n",
])
def test_deeply_nested_yaml(repo_copy: Path, text: str) -> None:
    (repo_copy / "config/smtp.yaml").write_text(text, encoding="utf-8")
    assert codes(repo_copy) & {"yaml-too-deep", "yaml-syntax"}


def test_binary_files_in_templates(repo_copy: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    (repo_copy / "templates/quotation/de.md").write_bytes(png)
    (repo_copy / "templates/quotation/logo.png").write_bytes(png)
    (repo_copy / "templates/stray.bin").write_bytes(png)
    result = validate_repo(repo_copy)
    assert ("templates/quotation/de.md", "encoding") in {(d.file, d.code) for d in result.errors}


def test_deeply_nested_jinja(repo_copy: Path) -> None:
    body = "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}\n" + "{% if x %}" * 500 + "{% endif %}" * 500
    (repo_copy / "templates/quotation/en.md").write_text("---\nsubject: x\n---\n" + body, encoding="utf-8")
    # the template family alone: the render lint (issue 3) is tested by its owner
    diags = templates.check(load_repo(repo_copy))
    assert ("templates/quotation/en.md", "jinja-syntax") in {(d.file, d.code) for d in diags}


def test_nul_and_control_characters_in_a_template(repo_copy: Path) -> None:
    (repo_copy / "templates/quotation/en.md").write_text("---\nsubject: \"a\\0b\"\n---\n\x00\x07{{\x00}}",
                                                         encoding="utf-8")
    found = {(d.file, d.line, d.code) for d in validate_repo(repo_copy).errors}
    assert ("templates/quotation/en.md", 4, "jinja-syntax") in found


def test_links_to_devices_and_outside_files_are_not_read(repo_copy: Path, tmp_path: Path) -> None:
    (repo_copy / "config/smtp.yaml").unlink()
    (repo_copy / "config/smtp.yaml").symlink_to("/dev/zero")
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("default: en\nactive: [en]\n")
    (repo_copy / "config/languages.yaml").unlink()
    (repo_copy / "config/languages.yaml").symlink_to(outside)
    (repo_copy / "config/loop").symlink_to(repo_copy / "config")  # rglob must not spin
    found = {(d.file, d.code) for d in validate_repo(repo_copy).errors}
    assert ("config/smtp.yaml", "outside-repo") in found
    assert ("config/languages.yaml", "outside-repo") in found


def test_an_asset_linked_to_a_file_elsewhere_is_not_published(repo_copy: Path, tmp_path: Path) -> None:
    """Every preview and the bundle carry the assets: a link would publish a file of the CI machine."""
    outside = tmp_path / "id_rsa"
    outside.write_text("not for the bundle\n")
    (repo_copy / "templates/_assets/leak.png").symlink_to(outside)
    loaded = load_repo(repo_copy)
    assert "leak.png" not in loaded.repo.assets
    assert ("templates/_assets/leak.png", "outside-repo") in {(d.file, d.code) for d in loaded.diagnostics}


def test_a_link_loop_is_reported_not_followed(repo_copy: Path) -> None:
    (repo_copy / "config/languages.yaml").unlink()
    (repo_copy / "config/languages.yaml").symlink_to("languages.yaml")
    [d] = [d for d in validate_repo(repo_copy).errors if d.file == "config/languages.yaml"]
    assert d.code == "outside-repo"
    assert "loop" in d.message


def test_a_huge_template_is_refused_unread(repo_copy: Path) -> None:
    (repo_copy / "templates/quotation/en.md").write_bytes(b"---\nsubject: x\n---\n" + b"a" * 3_000_000)
    found = {(d.file, d.code) for d in validate_repo(repo_copy).errors}
    assert ("templates/quotation/en.md", "file-too-large") in found
