"""The spam check's part of the pull-request comment (gitops/spamcheck.py)."""

from __future__ import annotations

from mailgitops.gitops.spamcheck import Checked, Score, to_markdown

CLEAN = Score(-0.0, ("HTML_MESSAGE", "NO_RECEIVED"))


def test_nothing_changed_says_nothing() -> None:
    assert to_markdown([]) == ""


def test_no_email_got_worse_is_one_line() -> None:
    md = to_markdown([Checked("order-accepted", "de", CLEAN, CLEAN), Checked("quotation", "en", None, CLEAN)])
    assert md == ("**Spam check** (SpamAssassin's local rules; 5.0 or more is marked as spam): 2 changed "
                  "email(s) checked, none scores higher than before (highest -0.0).\n")


def test_a_worse_email_names_its_new_rules_and_spam_is_called_spam() -> None:
    caps = Score(1.6, (*CLEAN.rules, "SUBJ_ALL_CAPS"))
    spam = Score(6.2, (*CLEAN.rules, "SUBJ_ALL_CAPS", "FREE_LINK"))
    md = to_markdown([Checked("order-accepted", "de", CLEAN, CLEAN),
                      Checked("order-accepted", "en", CLEAN, caps),
                      Checked("promo", "en", None, spam)])
    assert "| `order-accepted` · `en` | -0.0 → **1.6** | `SUBJ_ALL_CAPS` |" in md
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
