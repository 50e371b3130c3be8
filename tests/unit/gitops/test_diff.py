"""`diff` on real render output folders: what a reviewer reads in the pull-request comment."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from mailgitops.errors import MailgitopsError
from mailgitops.gitops.diff import Status, compare_dirs
from mailgitops.gitops.report import Limits, md_text, to_json, to_markdown
from support.incli import run_in_process


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_in_process([str(a) for a in args], cwd=cwd, env=os.environ, stdin=None)


def summary(base: Path, head: Path, limits: Limits | None = None) -> str:
    return to_markdown(compare_dirs(base, head), limits)


def test_identical_outputs_say_so_and_list_nothing(tmp_path, write_output, base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    head = write_output(tmp_path / "head", base_emails)
    md = summary(base, head)
    assert "**No email changed** (4 rendered" in md
    assert "order-accepted" not in md


def test_changed_subject_names_the_email_and_both_subjects(tmp_path, write_output, base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    key = ("order-accepted", "de")
    head_emails = {**base_emails, key: replace(base_emails[key], subject="Auftrag PO-1001 angenommen")}
    head = write_output(tmp_path / "head", head_emails)
    md = summary(base, head)
    assert "**1 email differs** from the base: 1 changed; 3 unchanged." in md
    assert "| `order-accepted` · `de` | changed | Ihr Auftrag PO-1001 wurde angenommen → " \
           "**Auftrag PO-1001 angenommen** |" in md
    assert "### `order-accepted` · `de`: changed" in md
    assert "Changed: subject." in md
    # Unchanged emails are not listed.
    assert "`en`" not in md
    assert "order-ready" not in md


def test_text_change_shows_a_collapsible_unified_diff(tmp_path, write_output, base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    key = ("order-accepted", "en")
    new_text = base_emails[key].text.replace("we accepted your order.", "we have accepted your order.")
    head = write_output(tmp_path / "head", {**base_emails, key: replace(base_emails[key], text=new_text)})
    md = summary(base, head)
    assert "<details><summary>Text diff</summary>" in md
    assert "-we accepted your order.\n+we have accepted your order." in md
    assert "```diff" in md
    assert "</details>" in md
    assert "Changed: text." in md


def test_added_and_removed_templates_and_languages(tmp_path, write_output, base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    head_emails = {k: v for k, v in base_emails.items() if k != ("order-ready", "en")}
    head_emails[("order-ready", "fr")] = replace(base_emails[("order-ready", "en")], subject="Votre commande",
                                                 language_used="en")
    head_emails[("quotation", "de")] = replace(base_emails[("order-ready", "de")], subject="Ihr Angebot")
    head_emails[("quotation", "en")] = replace(base_emails[("order-ready", "en")], subject="Your quotation")
    head = write_output(tmp_path / "head", head_emails)
    cmp = compare_dirs(base, head)
    assert [(c.template, c.lang, c.status) for c in cmp.changes] == [
        ("order-ready", "en", Status.REMOVED),
        ("order-ready", "fr", Status.ADDED),
        ("quotation", "de", Status.ADDED),
        ("quotation", "en", Status.ADDED),
    ]
    md = to_markdown(cmp)
    assert "**4 emails differ** from the base: 3 added, 1 removed; 3 unchanged." in md
    assert "| `order-ready` · `en` | removed | Your order PO-1001 is ready | ~~" in md
    assert "Rendered from `en`: there is no `fr` text yet." in md


def test_html_only_change_and_size_change(tmp_path, write_output, base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    key = ("order-ready", "de")
    html = base_emails[key].html.replace("<p>", '<p style="color: #123456">')
    head = write_output(tmp_path / "head", {**base_emails, key: replace(base_emails[key], html=html)})
    md = summary(base, head)
    grown = len(html) - len(base_emails[key].html)
    assert f"({grown:+,} B, " in md
    assert "Changed: HTML only (layout or styling)." in md
    assert "Text diff" not in md


def test_a_new_sender_name_is_named_even_when_the_text_is_the_same(tmp_path, write_output,
                                                                     base_emails) -> None:
    key = ("order-accepted", "de")
    headers = "From: Campus Copy Shop <printroom@example.com>\nTo: Ada <ada@example.org>\n"
    base = write_output(tmp_path / "base", base_emails)
    head = write_output(tmp_path / "head", {**base_emails, key: replace(base_emails[key], headers=headers)})
    cmp = compare_dirs(base, head)
    assert [(c.template, c.lang) for c in cmp.changes] == [key]
    assert cmp.changes[0].header_changes == (
        ("From", "Print Room <printroom@example.com>", "Campus Copy Shop <printroom@example.com>"),)
    md = to_markdown(cmp)
    assert ("- From: Print Room \\<printroom@example.com\\> → "
            "**Campus Copy Shop \\<printroom@example.com\\>**") in md
    assert "- Changed: From." in md


def test_a_tiny_size_change_shows_bytes_without_a_zero_percent(tmp_path, write_output, base_emails) -> None:
    key = ("order-ready", "de")
    html = base_emails[key].html.replace("<p>", "<p>" + "x" * 5000, 1)
    base = write_output(tmp_path / "base", {**base_emails, key: replace(base_emails[key], html=html)})
    head = write_output(tmp_path / "head", {**base_emails, key: replace(base_emails[key], html=html + " ")})
    md = summary(base, head)
    assert "(+1 B)" in md
    assert "0.0%" not in md


def test_only_new_warnings_are_listed(tmp_path, write_output, base_emails) -> None:
    key = ("order-accepted", "en")
    old = {**base_emails, key: replace(base_emails[key], warnings=("subject is long",))}
    new = {**base_emails, key: replace(base_emails[key], warnings=("subject is long", "no preheader"))}
    md = summary(write_output(tmp_path / "base", old), write_output(tmp_path / "head", new))
    assert "- New warnings:\n  - no preheader" in md
    assert "  - subject is long" not in md
    # the table's row says so too: a reviewer scanning the table must not miss it
    assert "| `order-accepted` · `en` | changed · **1 new warning(s)** |" in md
    assert "| `order-accepted` · `de` |" not in md


def test_output_is_deterministic_whatever_the_manifest_order(tmp_path, write_output, base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    changed = {k: replace(v, subject=v.subject + "!", text=v.text + "PS\n") for k, v in base_emails.items()}
    head_a = write_output(tmp_path / "a", changed)
    head_b = write_output(tmp_path / "b", changed, reverse=True)
    first = summary(base, head_a)
    assert first == summary(base, head_a) == summary(base, head_b)
    assert str(tmp_path) not in first  # no machine-specific paths in a comment
    assert to_json(compare_dirs(base, head_a)) == to_json(compare_dirs(base, head_b))


def test_long_diffs_are_capped_per_email(tmp_path, write_output, base_emails) -> None:
    key = ("order-ready", "en")
    long_text = "".join(f"line {i}\n" for i in range(200))
    base = write_output(tmp_path / "base", base_emails)
    head = write_output(tmp_path / "head", {**base_emails, key: replace(base_emails[key], text=long_text)})
    md = summary(base, head, Limits(max_diff_lines=10))
    assert "more line(s); the full text is in the previews artifact." in md
    assert "+line 5\n" in md
    assert "+line 150\n" not in md


def test_the_whole_summary_stays_under_the_size_limit(tmp_path, write_output, base_emails) -> None:
    one = base_emails[("order-ready", "en")]
    big = {(f"t{i:02}", "en"): replace(one, subject=f"S{i}", text="x\n" * 50) for i in range(30)}
    bigger = {k: replace(v, subject=v.subject + "!", text="y\n" * 50) for k, v in big.items()}
    md = summary(write_output(tmp_path / "base", big), write_output(tmp_path / "head", bigger),
                 Limits(max_chars=6000))
    assert len(md) <= 6000
    assert "| `t29` · `en` | changed |" in md  # the table still names every email
    assert "more email(s); see the table above and the previews artifact." in md


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<b>x</b>", r"\<b\>x\</b\>"),
        ("a | b", r"a \| b"),
        ("[x](http://evil)", r"\[x\](http://evil)"),
        ("<!-- mailgitops-preview -->", r"\<\!-- mailgitops-preview --\>"),
        ("Fish & Chips\nnext", "Fish &amp; Chips next"),
    ],
)
def test_subjects_are_shown_literally(raw: str, shown: str) -> None:
    assert md_text(raw) == shown


def test_a_body_with_backticks_cannot_close_the_diff_fence(tmp_path, write_output, base_emails) -> None:
    key = ("order-ready", "en")
    base = write_output(tmp_path / "base", base_emails)
    head = write_output(tmp_path / "head", {**base_emails, key: replace(base_emails[key], text="```\nhi\n")})
    md = summary(base, head)
    assert "````diff\n" in md


def test_json_lists_changed_emails_with_head_html(tmp_path, write_output, base_emails) -> None:
    key = ("order-accepted", "de")
    base = write_output(tmp_path / "base", base_emails)
    head = write_output(tmp_path / "head", {**base_emails, key: replace(base_emails[key], subject="Neu")})
    doc = json.loads(to_json(compare_dirs(base, head)))
    assert doc["changed"] == [{
        "template": "order-accepted", "lang": "de", "status": "changed",
        "subject_before": "Ihr Auftrag PO-1001 wurde angenommen", "subject_after": "Neu",
        "html": "order-accepted/de.html", "eml": "order-accepted/de.eml",
        "html_before": "order-accepted/de.html", "eml_before": "order-accepted/de.eml",
        "html_bytes_before": 38, "html_bytes_after": 38, "new_warnings": [], "same_as": None,
    }]


# --- bad input: exit 1 with the problem named, never a traceback --------------------------------


def test_a_folder_without_manifest_is_refused_with_the_fix(tmp_path, write_output, base_emails) -> None:
    head = write_output(tmp_path / "head", base_emails)
    (tmp_path / "empty").mkdir()
    r = cli("diff", tmp_path / "empty", head)
    assert r.returncode == 1
    assert "manifest.json is missing" in r.stderr
    assert "mailgitops render --out" in r.stderr
    assert "Traceback" not in r.stderr


def test_manifest_problems_of_both_sides_are_reported_together(tmp_path, write_output, base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    head = write_output(tmp_path / "head", base_emails)
    (base / "manifest.json").write_text('{"format": 1,\n "emails": [}', encoding="utf-8")
    doc = json.loads((head / "manifest.json").read_text())
    doc["emails"][0]["text"] = "../../etc/passwd"
    del doc["emails"][1]["subject"]
    (head / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(MailgitopsError) as info:
        compare_dirs(base, head)
    found = {(d.code, d.line) for d in info.value.diagnostics}
    assert ("manifest-json", 2) in found
    assert ("manifest-path", 0) in found
    assert ("manifest-entry", 0) in found
    r = cli("diff", base, head)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "$.emails[0].text `../../etc/passwd` leaves the folder" in r.stderr


def test_a_manifest_of_another_format_is_refused(tmp_path, write_output, base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    (base / "manifest.json").write_text('{"format": 2, "emails": []}', encoding="utf-8")
    with pytest.raises(MailgitopsError, match="not a manifest of format 1"):
        compare_dirs(base, base)


def test_cli_writes_markdown_and_json_files(tmp_path, write_output, base_emails) -> None:
    key = ("order-accepted", "de")
    base = write_output(tmp_path / "base", base_emails)
    head = write_output(tmp_path / "head", {**base_emails, key: replace(base_emails[key], subject="Neu")})
    r = cli("diff", base, head, "--out", tmp_path / "out" / "summary.md", "--json", tmp_path / "changes.json")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    md = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert md == summary(base, head)
    assert json.loads((tmp_path / "changes.json").read_text())["changed"][0]["lang"] == "de"
    to_stdout = cli("diff", base, head)
    assert to_stdout.stdout == md


def test_cli_usage_errors_exit_2(tmp_path) -> None:
    r = cli("diff", tmp_path / "nope", tmp_path)
    assert r.returncode == 2
    assert "does not exist" in r.stderr


def test_the_same_change_in_many_emails_is_summed_up_once_before_the_table(tmp_path, write_output,
                                                                           base_emails) -> None:
    """A rebrand: a legal line under every email and a new sender. The reviewer reads it once,
    with how many emails it reaches, even when the size limit leaves sections out."""
    base = write_output(tmp_path / "base", base_emails)
    legal = "Druckerei Hansen GmbH · HRB 12345"
    head_emails = {k: replace(e, text=e.text + f"-- \n{legal}\n",
                              headers=e.headers.replace("Print Room <printroom@example.com>",
                                                        "Druckerei Hansen <druck@hansen.de>"))
                   for k, e in base_emails.items()}
    key = ("order-accepted", "en")  # one email changes more: its own line is not "the same change"
    head_emails[key] = replace(head_emails[key], text=head_emails[key].text + "See you soon.\n")
    md = summary(base, write_output(tmp_path / "head", head_emails))
    shared = md[md.index("**The same change in several emails**"):md.index("| email | change |")]
    assert f"| 4 | line added: {legal} |" in shared
    sender = ("| 4 | From: Print Room \\<printroom@example.com\\> → "
              "**Druckerei Hansen \\<druck@hansen.de\\>** |")
    assert sender in shared
    assert "See you soon" not in shared
    assert f"+{legal}" in md[md.index("### `order-accepted` · `en`"):]  # each section still shows it


def test_a_change_in_two_emails_gets_no_shared_summary(tmp_path, write_output, base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    head_emails = {k: replace(e, text=e.text + "PS\n") if k[0] == "order-accepted" else e
                   for k, e in base_emails.items()}
    md = summary(base, write_output(tmp_path / "head", head_emails))
    assert "**2 emails differ**" in md
    assert "The same change in several emails" not in md


def test_an_email_no_trigger_sends_any_more_is_named_no_longer_sent(tmp_path, write_output,
                                                                    base_emails) -> None:
    """Switching a trigger off changes no rendered byte; the manifest's sent_by does."""
    sent = {"sent_by": ["order_accepted to customer (only to customers who asked)"]}
    base = write_output(tmp_path / "base", {k: replace(v, extra=sent) for k, v in base_emails.items()})
    off = {k: replace(v, extra={"sent_by": []} if k[0] == "order-accepted" else sent)
           for k, v in base_emails.items()}
    md = summary(base, write_output(tmp_path / "head", off))
    assert "**2 emails differ** from the base: 2 changed; 2 unchanged." in md
    assert "| `order-accepted` · `de` | changed: **no longer sent** |" in md
    assert ("- Sent by: order\\_accepted to customer (only to customers who asked) → "
            "**no trigger sends it**") in md
    assert "- Changed: Sent by." in md


def test_a_deleted_template_is_no_longer_sent_but_a_dropped_language_is_only_removed(
        tmp_path, write_output, base_emails) -> None:
    sent = {"sent_by": ["order_accepted to customer"]}
    base = write_output(tmp_path / "base", {k: replace(v, extra=sent) for k, v in base_emails.items()})
    head = {k: v for k, v in base_emails.items() if k[0] != "order-accepted" and k != ("order-ready", "de")}
    md = summary(base, write_output(tmp_path / "head", head))
    assert "| `order-accepted` · `de` | removed: **no longer sent** |" in md
    assert "### `order-accepted` · `en`: removed: **no longer sent**" in md
    # who no longer gets it: the section had only its subject and size (a reviewer's walk)
    section = md.split("### `order-accepted` · `en`: removed: **no longer sent**", 1)[1].split("###", 1)[0]
    assert "- Was sent by: order\\_accepted to customer" in section
    assert "| `order-ready` · `de` | removed |" in md


def test_a_manifest_that_does_not_say_who_sends_it_claims_no_change(tmp_path, write_output,
                                                                   base_emails) -> None:
    """A base rendered by an older mailgitops has no sent_by: nothing is made up from that."""
    base = write_output(tmp_path / "base", base_emails)
    sent = {"sent_by": ["order_accepted to customer"]}
    head = write_output(tmp_path / "head", {k: replace(v, extra=sent) for k, v in base_emails.items()})
    assert "**No email changed**" in summary(base, head)


def test_a_look_change_to_many_emails_is_one_folded_paragraph(tmp_path, write_output, base_emails) -> None:
    """A new colour: every email's HTML differs and none of its words. One paragraph names them;
    the table and the sections keep the one email whose text changed too."""
    base = write_output(tmp_path / "base", base_emails)
    recoloured = {k: replace(v, html=v.html.replace("<p>", '<p style="color: #c2410c">'))
                  for k, v in base_emails.items()}
    key = ("order-ready", "en")
    recoloured[key] = replace(recoloured[key], text=recoloured[key].text + "See you soon.\n")
    md = summary(base, write_output(tmp_path / "head", recoloured))
    assert "**4 emails differ** from the base: 4 changed; 0 unchanged." in md
    assert ("**3 emails changed in their HTML only** (layout, colours or logo; no subject, text or "
            "sender changed; HTML size +23 B): see the screenshots.") in md
    assert "- `order-accepted`: `de`, `en`" in md
    assert "- `order-ready`: `de`" in md
    assert "| `order-ready` · `en` | changed |" in md
    assert "| `order-accepted` · `de` |" not in md
    assert "HTML only (layout or styling)" not in md
    assert "+See you soon." in md


def test_two_emails_changed_in_their_html_only_keep_their_own_rows(tmp_path, write_output,
                                                                  base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    head = {k: replace(v, html=v.html.replace("<p>", "<p class='x'>")) if k[0] == "order-ready" else v
            for k, v in base_emails.items()}
    md = summary(base, write_output(tmp_path / "head", head))
    assert "changed in their HTML only" not in md
    assert "| `order-ready` · `de` | changed |" in md
    assert "- Changed: HTML only (layout or styling)." in md


def _renamed(emails, old: str, new: str):
    return {((new if t == old else t), lang): e for (t, lang), e in emails.items()}


def test_a_renamed_template_is_one_line_not_every_email_added_and_gone(tmp_path, write_output,
                                                                       base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    head = _renamed(base_emails, "order-ready", "order-complete")
    md = summary(base, write_output(tmp_path / "head", head))
    assert "**No email changed** (4 rendered, all identical to the base)." in md
    assert "**Renamed** (compared with the emails of the old name; only those that differ are listed): " \
           "`order-ready` → `order-complete`" in md
    assert "no longer sent" not in md and "added" not in md


def test_a_renamed_and_edited_template_shows_only_the_edit(tmp_path, write_output, base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    head = _renamed(base_emails, "order-ready", "order-complete")
    key = ("order-complete", "en")
    head[key] = replace(head[key], text=head[key].text + "See you soon.\n")
    cmp = compare_dirs(base, write_output(tmp_path / "head", head))
    assert [(c.template, c.lang, c.status, c.renamed_from) for c in cmp.changes] == [
        ("order-complete", "en", Status.CHANGED, "order-ready")]
    md = to_markdown(cmp)
    assert "| `order-complete` · `en` (was `order-ready`) | changed |" in md
    assert "+See you soon." in md


def test_a_new_template_unlike_the_deleted_one_is_no_rename(tmp_path, write_output, base_emails) -> None:
    base = write_output(tmp_path / "base", base_emails)
    head = {k: v for k, v in base_emails.items() if k[0] != "order-ready"}
    like = base_emails[("order-ready", "de")]
    head[("invoice", "de")] = replace(like, subject="Ihre Rechnung",
                                      text="Guten Tag,\n\nanbei die Rechnung 2026-117 über 84,00 EUR.\n")
    head[("invoice", "en")] = replace(like, subject="Your invoice",
                                      text="Hello,\n\nplease find invoice 2026-117 for EUR 84.00.\n")
    md = summary(base, write_output(tmp_path / "head", head))
    assert "Renamed" not in md
    assert "| `order-ready` · `de` | removed: **no longer sent** |" in md
    assert "| `invoice` · `de` | added |" in md


def _with_default(out: Path, lang: str) -> Path:
    manifest = out / "manifest.json"
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**doc, "default_language": lang}), encoding="utf-8")
    return out


def test_a_dropped_language_names_the_language_its_customers_get_instead(tmp_path, write_output,
                                                                        base_emails) -> None:
    """A French customer of a template without French gets the default language's text (or
    their base language's: de-CH -> de), as dispatch picks it; the row says which."""
    emails = {**base_emails, ("order-ready", "de-CH"): base_emails[("order-ready", "de")]}
    base = _with_default(write_output(tmp_path / "base", emails), "en")
    head = {k: v for k, v in emails.items() if k not in (("order-ready", "de-CH"), ("order-accepted", "de"))}
    md = summary(base, _with_default(write_output(tmp_path / "head", head), "en"))
    assert "| `order-accepted` · `de` | removed: **sent in `en` instead** |" in md
    assert "| `order-ready` · `de-CH` | removed: **sent in `de` instead** |" in md


def test_one_text_edited_is_no_shared_change_though_its_webshop_rows_repeat_it(
        tmp_path, write_output, base_emails) -> None:
    """render --per-webshop renders the default language's text again per shop: one edit of
    order-accepted/en.md is not an edit 'in several emails'. Here the shops have nothing of their
    own, so their emails are the plain one's: one row names all three."""
    emails = {**base_emails, **{("order-accepted@campus", "en"): base_emails[("order-accepted", "en")],
                                ("order-accepted@staff", "en"): base_emails[("order-accepted", "en")]}}
    base = write_output(tmp_path / "base", emails)
    edited = {k for k in emails if k[0].startswith("order-accepted") and k[1] == "en"}
    head = {k: replace(e, text=e.text + "Terms apply.\n") if k in edited else e for k, e in emails.items()}
    md = summary(base, write_output(tmp_path / "head", head))
    assert "**3 emails differ** from the base: 3 changed;" in md
    assert "The same change in several emails" not in md
    assert md.count("+Terms apply.") == 1
    assert "| `order-accepted` · `en` (also `@campus`, `@staff`: the same email) | changed |" in md


def test_a_new_image_under_the_old_name_is_a_change(tmp_path, write_output, base_emails) -> None:
    """A new logo.png changes no byte of the HTML (it names the same file); the manifest's image
    hashes do. A manifest without them (older mailgitops) claims nothing."""
    old = {k: replace(v, extra={"images": ["logo.png 1111111111111111"]}) for k, v in base_emails.items()}
    new = {k: replace(v, extra={"images": ["logo.png 2222222222222222"]}) for k, v in base_emails.items()}
    md = summary(write_output(tmp_path / "base", old), write_output(tmp_path / "head", new))
    assert "**4 emails changed in their HTML only** (layout, colours or logo;" in md
    assert "**No email changed**" in summary(write_output(tmp_path / "older", base_emails),
                                             write_output(tmp_path / "head2", new))


def test_a_changed_email_names_the_trigger_that_sends_it(tmp_path, write_output, base_emails) -> None:
    sent = {"sent_by": ["order_ready to customer (only to customers who asked)"]}
    emails = {k: replace(v, extra=sent) for k, v in base_emails.items()}
    key = ("order-ready", "en")
    base = write_output(tmp_path / "base", emails)
    head = write_output(tmp_path / "head", {**emails, key: replace(emails[key], text="Ready now.\n")})
    md = summary(base, head)
    assert "- Sent by: order\\_ready to customer (only to customers who asked)\n" in md
    assert "Changed: text." in md  # the trigger is named, not claimed as a change


def test_emails_changed_only_by_the_shared_change_get_no_section_of_their_own(tmp_path, write_output,
                                                                            base_emails) -> None:
    """A one-line footer in every email made one identical section per email (119, cut by the
    size limit before the last 25): the docs promise a rebrand reads as a few lines."""
    base = write_output(tmp_path / "base", base_emails)
    legal = "Druckerei Hansen GmbH · HRB 12345"
    head_emails = {k: replace(e, text=e.text + f"-- \n{legal}\n") for k, e in base_emails.items()}
    key = ("order-accepted", "en")
    head_emails[key] = replace(head_emails[key], text=head_emails[key].text + "See you soon.\n")
    md = summary(base, write_output(tmp_path / "head", head_emails))
    n = len(base_emails)
    assert f"**{n} emails differ**" in md
    assert f"{n - 1} emails changed in this alone, named below" in md
    assert md.count("### ") == 1 and "### `order-accepted` · `en`" in md  # the one with more to read
    folded = md[md.index("emails changed in this alone</summary>"):md.index("</details>")]
    assert all(f"`{t}` · `{lang}`" in folded for (t, lang) in base_emails if (t, lang) != key)


def test_bold_taken_away_in_every_email_is_one_shared_line_not_a_look_change(
        tmp_path, write_output, base_emails) -> None:
    """The same `**…**` taken away in every email (a footer's) changes no line of the text part;
    it was summed up as 'changed in their HTML only (layout, colours or logo)'. A colour is."""
    bold = {k: replace(v, html="<html><body><p><strong>Your print room</strong></p></body></html>")
            for k, v in base_emails.items()}
    plain = {k: replace(v, html="<html><body><p>Your print room</p></body></html>") for k, v in bold.items()}
    base = write_output(tmp_path / "base", bold)
    md = summary(base, write_output(tmp_path / "head", plain))
    assert "HTML only" not in md
    where = "(in the HTML, its bold, italics and links marked)"
    assert f"| 4 | line removed {where}: \\*\\*Your print room\\*\\* |" in md
    assert f"| 4 | line added {where}: Your print room |" in md
    red = {k: replace(v, html=v.html.replace("<p>", '<p style="color:#c2410c">')) for k, v in bold.items()}
    assert "**4 emails changed in their HTML only** (layout, colours or logo;" in summary(
        base, write_output(tmp_path / "red", red))
