"""`mailgitops bundle`: deterministic, checked for staleness, refused when tampered with; the
shipped repository's committed bundle is fresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailgitops import bundle
from mailgitops.errors import MailgitopsError
from support.dispatchrepo import ROOT, cli, make_repo, sample_event

COMMITTED = ROOT / bundle.DEFAULT_PATH


def test_committed_bundle_is_fresh() -> None:
    proc = cli("bundle", "--root", str(ROOT), "--check", str(COMMITTED))
    assert proc.returncode == 0, f"{proc.stderr}\nrebuild: mailgitops bundle --out {bundle.DEFAULT_PATH}"


@pytest.mark.slow
def test_same_input_same_bytes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", port=2525)
    copy = make_repo(tmp_path / "elsewhere" / "copy", port=2525)  # another path, same content
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert cli("bundle", "--root", str(repo), "--out", str(a)).returncode == 0
    other_machine = {"TZ": "Asia/Tokyo", "LANG": "C", "LC_ALL": "C", "PYTHONHASHSEED": "12345"}
    assert cli("bundle", "--root", str(copy), "--out", str(b), env=other_machine).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    assert cli("bundle", "--root", str(repo), "--check", str(a)).returncode == 0


@pytest.mark.slow
def test_check_exits_1_when_stale(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", port=2525)
    out = tmp_path / "b.json"
    cli("bundle", "--root", str(repo), "--out", str(out))
    md = repo / "templates" / "order-received" / "en.md"
    md.write_text(md.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    proc = cli("bundle", "--root", str(repo), "--check", str(out))
    assert proc.returncode == 1
    assert "stale" in proc.stderr
    assert "--out" in proc.stderr


def test_refuses_a_repository_that_does_not_validate(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", port=2525)
    (repo / "config" / "languages.yaml").write_text("default: xx\nactive: [en]\n", encoding="utf-8")
    proc = cli("bundle", "--root", str(repo), "--out", str(tmp_path / "b.json"))
    assert proc.returncode == 1
    assert "config/languages.yaml" in proc.stderr
    assert not (tmp_path / "b.json").exists()


def test_tampered_or_wrong_version_is_refused(tmp_path: Path) -> None:
    doc = json.loads(COMMITTED.read_bytes())
    doc["content"]["settings"]["smtp"]["server"]["host"] = "evil.example.net"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(MailgitopsError, match="does not match the bundle's hash"):
        bundle.load(tampered)
    doc = json.loads(COMMITTED.read_bytes())
    doc["format"] = "not-a-bundle/1"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc), encoding="utf-8")
    proc = cli("dispatch", "--bundle", str(other), "--event", "-", "--outbox", str(tmp_path / "o.sqlite"),
               stdin="{}")
    assert proc.returncode == 1
    assert "format" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("fmt", "says", "fix"), [
    ("mailgitops-bundle/1", "built by an older mailgitops", "rebuild it from the same repository with this"),
    ("mailgitops-bundle/99", "built by a newer mailgitops", "upgrade this machine"),
])
def test_a_bundle_of_another_mailgitops_version_waits_for_the_right_one(
        tmp_path: Path, fmt: str, says: str, fix: str) -> None:
    # mid-rollout: the event is fine and nothing is accepted, so the order system must send it
    # again (75) once the machine and its bundle match; exit 1 would drop it
    doc = json.loads(COMMITTED.read_bytes())
    doc["format"] = fmt
    if fmt.endswith("/1"):
        del doc["content"]["settings"]["smtp"]["reply_to"]  # as the older versions wrote it
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    proc = cli("dispatch", "--bundle", str(path), "--event", "-", "--outbox", str(tmp_path / "o.sqlite"),
               stdin="{}")
    assert proc.returncode == 75, proc.stderr
    assert says in proc.stderr
    assert fix in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o.sqlite").exists()


def test_a_new_bundle_is_refused_by_every_released_dispatcher() -> None:
    # every dispatcher before this format accepted only mailgitops-bundle/1, and those before
    # 2026-11-28 ran a newer bundle without its webshops' Reply-To (seen in an upgrade rehearsal)
    assert json.loads(COMMITTED.read_bytes())["format"] not in ("mailgitops-bundle/1",)


def test_tampered_bundle_is_refused_by_dispatch_and_nothing_is_created(tmp_path: Path) -> None:
    doc = json.loads(COMMITTED.read_bytes())
    doc["content"]["settings"]["smtp"]["cc"] = ["spy@example.net"]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc), encoding="utf-8")
    outbox = tmp_path / "o.sqlite"
    event = json.dumps(sample_event(trigger="order_received", event_id="tampered"))
    proc = cli("dispatch", "--bundle", str(tampered), "--event", "-", "--outbox", str(outbox), stdin=event)
    assert proc.returncode == 1
    assert "does not match the bundle's hash" in proc.stderr
    assert "mailgitops bundle --out" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not outbox.exists()


def test_check_of_a_missing_file_exits_1_and_says_so(tmp_path: Path) -> None:
    proc = cli("bundle", "--root", str(ROOT), "--check", str(tmp_path / "none.json"))
    assert proc.returncode == 1
    assert "none.json does not exist" in proc.stderr
    assert "--out" in proc.stderr


def test_a_consistent_hash_over_the_wrong_content_is_refused(tmp_path: Path) -> None:
    """A hand-made file with a matching hash but no settings is refused, not a crash."""
    content = {"settings": {}}
    doc = {"format": bundle.FORMAT, "hash": bundle.content_hash(content), "content": content}
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(MailgitopsError, match="does not have the structure") as got:
        bundle.load(odd)
    assert {d.json_path for d in got.value.diagnostics} == {"$.content", "$.content.settings"}
