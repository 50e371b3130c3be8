"""The name an attached file goes by: every script's letters kept, what is unsafe taken out."""

from __future__ import annotations

import unicodedata

import pytest

from mailgitops.filenames import MAX_BYTES, clean, distinct, numbered

PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.pdf"  # a Persian word with its non-joiner


@pytest.mark.parametrize(("given", "kept"), [
    # German and Chinese names reached the customer as "Auftrag _bersicht (final).pdf" and "_.pdf"
    ("Auftrag Übersicht (final).pdf", "Auftrag Übersicht (final).pdf"),
    ("报价单.pdf", "报价单.pdf"),
    ("印刷说明.pdf", "印刷说明.pdf"),
    ("Größe-Maße.pdf", "Größe-Maße.pdf"),
    (unicodedata.normalize("NFD", "Größe-Maße.pdf"), "Größe-Maße.pdf"),  # as a Mac sends it
    ("नमस्ते.pdf", "नमस्ते.pdf"),  # marks that belong to the letters stay
    (PERSIAN, PERSIAN),  # its zero-width non-joiner stays
    ("Müller's Angebot #2 + Preise, 50%.pdf", "Müller's Angebot #2 + Preise, 50%.pdf"),
    # paths and path tricks: the last part only, never a way up
    ("jobs/PO 1/proof.pdf", "proof.pdf"),
    ("C:\\Users\\ada\\Desktop\\proof.pdf", "proof.pdf"),
    ("../../etc/passwd", "passwd"),
    ("..", "attachment"),
    ("", "attachment"),
    (".htaccess", "htaccess"),
    ("proof.pdf. . ", "proof.pdf"),
    ("con.pdf", "_con.pdf"),
    # header and file system tricks
    ("jobs/PO 1/Final\r\n<x>.pdf", "Final_x_.pdf"),
    ('a"; filename="evil.exe.pdf', "a_; filename=_evil.exe.pdf"),
    ("a\x00b|c?d*e:f.pdf", "ab_c_d_e_f.pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),  # a right-to-left override made it read "invoiceexe.pdf"
    ("zero\u200bwidth.pdf", "zerowidth.pdf"),
    ("报价\u3000单.pdf", "报价 单.pdf"),
])
def test_a_name_keeps_its_letters_and_loses_what_is_unsafe(given: str, kept: str) -> None:
    assert clean(given) == kept


def test_a_long_name_is_cut_by_bytes_keeping_its_extension() -> None:
    for letter in ("a", "ü", "报", "😀"):
        got = clean(letter * 300 + ".pdf")
        assert got.endswith(".pdf")
        assert len(got.encode()) <= MAX_BYTES
        assert set(got[:-4]) == {letter}


def test_a_second_file_of_a_name_is_numbered() -> None:
    assert numbered("proof.pdf", set()) == "proof.pdf"
    assert numbered("proof.pdf", {"Proof.PDF"}) == "proof (2).pdf"  # one folder on Windows or a Mac
    assert numbered("proof.pdf", {"proof.pdf", "proof (2).pdf"}) == "proof (3).pdf"
    assert numbered("报价单.pdf", {"报价单.pdf"}) == "报价单 (2).pdf"
    long = clean("报" * 300 + ".pdf")
    again = numbered(long, {long})
    assert again.endswith(" (2).pdf") and len(again.encode()) <= MAX_BYTES


def test_files_of_one_name_are_numbered_in_order() -> None:
    assert distinct(["final.pdf", "ticket.pdf", "Final.pdf", "final.pdf"]) == [
        "final.pdf", "ticket.pdf", "Final (2).pdf", "final (3).pdf"]
