"""The spam check's part of the pull-request comment (gitops/spamcheck.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mailgitops.gitops.spamcheck import Checked, Score, check, to_markdown

CLEAN = Score(-0.0, ("HTML_MESSAGE", "NO_RECEIVED"))


def test_nothing_changed_says_nothing() -> None:
    assert to_markdown([]) == ""


def test_no_email_got_worse_is_one_line() -> None:
    md = to_markdown([Checked("order-accepted", "de", CLEAN, CLEAN), Checked("quotation", "en", None, CLEAN)])
    assert md == ("**Spam check** (SpamAssassin's local rules; 5.0 or more is marked as spam): 2 changed "
                  "email(s) checked, none scores higher than before (highest 0.0).\n")


def test_a_worse_email_names_its_new_rules_and_spam_is_called_spam() -> None:
    caps = Score(1.6, (*CLEAN.rules, "SUBJ_ALL_CAPS"))
    spam = Score(6.2, (*CLEAN.rules, "SUBJ_ALL_CAPS", "FREE_LINK"))
    md = to_markdown([Checked("order-accepted", "de", CLEAN, CLEAN),
                      Checked("order-accepted", "en", CLEAN, caps),
                      Checked("promo", "en", None, spam)])
    assert "| `order-accepted` · `en` | 0.0 → **1.6** | `SUBJ_ALL_CAPS` |" in md
    assert "| `promo` · `en` | new → **6.2** **marked as spam** |" in md
    assert "`order-accepted` · `de`" not in md


def test_the_emails_that_got_worse_are_named_below_the_headline(tmp_path) -> None:
    from mailgitops.gitops.spamcheck import point_to

    summary = tmp_path / "summary.md"
    summary.write_text("## Email preview\n\n**2 emails differ** from the base: 2 changed.\n\n| email |\n",
                       encoding="utf-8")
    point_to(summary, [Checked("order-accepted", "de", CLEAN, CLEAN)])
    assert "Spam check" not in summary.read_text(encoding="utf-8")
    point_to(summary, [Checked("order-accepted", "en", CLEAN, Score(6.0, ("SUBJ_ALL_CAPS",)))])
    assert summary.read_text(encoding="utf-8").splitlines()[2:5] == [
        "**2 emails differ** from the base: 2 changed.", "",
        "**Spam check: 1 email(s) score higher than before**, 1 of them marked as spam "
        "(the rules are named at the end)."]


# SpamAssassin as `spamcheck` runs it (`-L -t --mbox`: an mbox in, the same with X-Spam-Status
# out), scoring by one word so that the test says which email scores what
FAKE_SPAMASSASSIN = """\
import mailbox, sys, tempfile
from pathlib import Path
folder = Path(tempfile.mkdtemp())
(folder / "in").write_bytes(sys.stdin.buffer.read())
out = mailbox.mbox(folder / "out")
for msg in mailbox.mbox(folder / "in"):
    caps = b"FREE" in msg.as_bytes()
    msg["X-Spam-Status"] = "No, score=2.5 tests=FREE_CAPS" if caps else "No, score=-0.0 tests=NO_RELAYS"
    out.add(msg)
out.close()
sys.stdout.buffer.write((folder / "out").read_bytes())
"""


def _mailgitops(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailgitops", *map(str, args)],
                          capture_output=True, text=True, check=False)


def test_a_shop_with_nothing_of_its_own_is_named_on_its_emails_row(tmp_path: Path) -> None:
    """The diff folds `order-accepted@staff` (the plain English email byte for byte) into
    `order-accepted` · `en` (also `@staff`: the same email); the spam check's table below it gave it
    a row of its own, and an unchanged score read `-0.0` (a mail operations walk)."""
    repo = tmp_path / "repo"
    assert _mailgitops("init", repo).returncode == 0
    args = ("--template", "order-accepted", "--per-webshop", "--lang", "en")
    assert _mailgitops("render", "--root", repo, "--out", tmp_path / "base", *args).returncode == 0
    en = repo / "templates" / "order-accepted" / "en.md"
    en.write_text(en.read_text(encoding="utf-8") + "\nFREE delivery this week.\n", encoding="utf-8")
    assert _mailgitops("render", "--root", repo, "--out", tmp_path / "head", *args).returncode == 0
    changes = tmp_path / "changes.json"
    r = _mailgitops("diff", tmp_path / "base", tmp_path / "head", "--json", changes)
    assert r.returncode == 0, r.stderr
    fake = tmp_path / "spamassassin"
    fake.write_text(f"#!{sys.executable}\n{FAKE_SPAMASSASSIN}", encoding="utf-8")
    fake.chmod(0o755)
    md = to_markdown(check(str(fake), changes, tmp_path / "base", tmp_path / "head"))
    assert "| `order-accepted` · `en` (also `@staff`: the same email) | 0.0 → **2.5** | `FREE_CAPS` |" in md
    assert "| `order-accepted@campus` · `en` | 0.0 → **2.5** |" in md  # its own sender: its own row
    assert "`order-accepted@staff`" not in md
    assert "-0.0" not in md


def test_a_twin_that_scored_otherwise_keeps_its_own_row() -> None:
    """Folded only when the scores say it is the same email: a row never hides a different score."""
    caps = Score(2.5, ("FREE_CAPS",))
    other = Score(3.1, ("FREE_CAPS",))
    md = to_markdown([Checked("order-accepted", "en", CLEAN, caps),
                      Checked("order-accepted@staff", "en", CLEAN, other, same_as="order-accepted")])
    assert "| `order-accepted` · `en` | 0.0 → **2.5** |" in md
    assert "| `order-accepted@staff` · `en` | 0.0 → **3.1** |" in md
