"""`order_url` through the real CLI: previews link to the repository's own order page (a webshop's
for that shop's sample), with or without samples, never to the catalog's example address.
(validate's side, unknown placeholders and a missing order_url, is in the bad-repository corpus.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
MAILGITOPS = Path(sys.executable).parent / "mailgitops"
EXAMPLE = "print.example.com/orders"  # the shipped workflow's and the catalog's example link


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for part in ("config", "templates"):
        shutil.copytree(PROJECT / part, root / part)
    wf = root / "config" / "workflow.yaml"
    wf.write_text(wf.read_text(encoding="utf-8").replace(
        "https://print.example.com/orders/{order_number}", "https://orders.printroom.test/o/{order_number}"),
        encoding="utf-8")
    return root


def render(repo: Path, out: Path, *args: str) -> str:
    """The English order-accepted preview's HTML."""
    done = subprocess.run([str(MAILGITOPS), "render", "--root", str(repo), "--out", str(out),
                           "--template", "order-accepted", "--lang", "en", *args],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return (out / "order-accepted" / "en.html").read_text(encoding="utf-8")


def test_a_preview_links_to_the_repositorys_order_page(repo: Path, tmp_path: Path) -> None:
    sample = yaml.safe_load((repo / "config/samples/flyers.yaml").read_text(encoding="utf-8"))
    number = sample["order"]["number"]
    html = render(repo, tmp_path / "o", "--sample", "flyers")
    assert f'href="https://orders.printroom.test/o/{number}"' in html
    assert EXAMPLE not in html


def test_without_samples_the_link_is_still_the_repositorys(repo: Path, tmp_path: Path) -> None:
    shutil.rmtree(repo / "config" / "samples")
    html = render(repo, tmp_path / "o")
    assert 'href="https://orders.printroom.test/o/PO-1001"' in html  # the catalog's example number
    assert EXAMPLE not in html


def test_a_webshops_sample_links_to_the_shops_order_page(repo: Path, tmp_path: Path) -> None:
    (repo / "config/webshops/library.yaml").write_text(
        'name: Library shop\norder_url: "https://library.example.com/orders/{order_number}"\n',
        encoding="utf-8")
    sample = yaml.safe_load((repo / "config/samples/flyers.yaml").read_text(encoding="utf-8"))
    sample["webshop"] = "library"
    (repo / "config/samples/library.yaml").write_text(yaml.safe_dump(sample), encoding="utf-8")
    html = render(repo, tmp_path / "o", "--sample", "library")
    assert f'href="https://library.example.com/orders/{sample["order"]["number"]}"' in html
    assert "orders.printroom.test" not in html and EXAMPLE not in html
