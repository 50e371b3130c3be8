"""Webshop files and template folders under names nothing can address, or that Windows cannot
check out: each is an error on the file, with the name to rename it to."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mailgitops.checks import file_names
from mailgitops.repo import load_repo


def _found(repo: Path) -> list[tuple[str, str, str | None]]:
    return [(d.file, d.message, d.hint) for d in file_names.check(load_repo(repo))]


def test_the_shipped_names_pass(repo_copy: Path) -> None:
    assert _found(repo_copy) == []


@pytest.mark.parametrize(("name", "renamed"), [
    ("my shop", "my-shop"), ("shöp", "sh-p"), ("a\nb", "a-b"), ("campus.old", "campus-old")])
def test_a_webshop_file_no_event_can_name_is_an_error(repo_copy: Path, name: str, renamed: str) -> None:
    """Its sender and look were silently never used: the event's `webshop` cannot hold this name."""
    shops = repo_copy / "config/webshops"
    shutil.copy(shops / "campus.yaml", shops / f"{name}.yaml")
    [(file, message, hint)] = _found(repo_copy)
    assert file == f"config/webshops/{name}.yaml"
    assert message == (f"an event cannot name the webshop `{name}` (a webshop id is letters, digits, "
                       "- and _), so this file never applies")
    assert hint == f"rename it to config/webshops/{renamed}.yaml and send that id"


def test_webshop_files_differing_only_in_case_are_an_error(repo_copy: Path) -> None:
    shops = repo_copy / "config/webshops"
    shutil.copy(shops / "campus.yaml", shops / "Campus.yaml")
    [(file, message, _)] = _found(repo_copy)
    assert file == "config/webshops/campus.yaml"
    assert "`campus.yaml` and `Campus.yaml` differ only in case" in message


@pytest.mark.parametrize("name", ["con", "NUL", "com1", "lpt9", "aux"])
def test_names_windows_reserves_are_an_error(repo_copy: Path, name: str) -> None:
    shutil.copy(repo_copy / "config/webshops/campus.yaml", repo_copy / f"config/webshops/{name}.yaml")
    found = _found(repo_copy)
    said = (f"`{name}` is a name Windows reserves for a device: the repository cannot be checked out "
            "on Windows")
    hint = f"rename it, e.g. to config/webshops/{name}-shop.yaml"
    assert (f"config/webshops/{name}.yaml", said, hint) in found


@pytest.mark.parametrize(("folder", "message"), [
    ("con", "`con` is a name Windows reserves for a device"),
    ("Order Accepted", "no trigger can name the template folder `Order Accepted`"),
])
def test_a_template_folder_under_such_a_name_is_an_error(repo_copy: Path, folder: str, message: str) -> None:
    shutil.copytree(repo_copy / "templates/order-accepted", repo_copy / "templates" / folder)
    [(file, said, _)] = _found(repo_copy)
    assert file == f"templates/{folder}/template.yaml"
    assert said.startswith(message)
