"""Every shipped template in every language, rendered by the CLI as it would be sent, scores at
most 0.0 with SpamAssassin's local rules (`spamassassin -L -t`, Debian's package)."""

from __future__ import annotations

import email
import mailbox
import re
import shutil
import subprocess
from email import policy
from pathlib import Path

import pytest

from support.dispatchrepo import ROOT, cli

SCORE = re.compile(r"score=(-?\d+\.\d+)")


@pytest.mark.slow
def test_every_shipped_email_scores_at_most_zero(tmp_path: Path) -> None:
    spamassassin = shutil.which("spamassassin")
    if spamassassin is None:
        pytest.fail("spamassassin is not installed: run scripts/setup --test (Debian: spamassassin)")
    out = tmp_path / "render"
    proc = cli("render", "--root", str(ROOT), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    emls = sorted(out.glob("*/*.eml"))
    templates = {p.parent.name for p in emls}
    languages = {p.stem for p in emls}
    assert len(emls) == len(templates) * len(languages) >= 5 * 5, emls
    names: dict[str, str] = {}
    box = mailbox.mbox(tmp_path / "all.mbox")
    for p in emls:
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.compat32)
        names[str(msg["Message-ID"])] = f"{p.parent.name}/{p.stem}"
        box.add(msg)
    box.close()
    home = tmp_path / "home"  # spamassassin writes user preferences under $HOME
    home.mkdir()
    with (tmp_path / "all.mbox").open("rb") as f:
        run = subprocess.run([spamassassin, "-L", "-t", "--mbox"], stdin=f, capture_output=True,
                             env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, timeout=600, check=False)
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    (tmp_path / "scored.mbox").write_bytes(run.stdout)
    scored = {}
    result = mailbox.mbox(tmp_path / "scored.mbox")
    try:
        for m in result:
            status = " ".join(str(m["X-Spam-Status"]).split())
            got = SCORE.search(status)
            assert got is not None, status
            scored[names[str(m["Message-ID"])]] = (float(got.group(1)), status)
    finally:
        result.close()
    assert len(scored) == len(emls)
    over = {name: status for name, (score, status) in scored.items() if score > 0.0}
    assert over == {}, "\n".join(f"{n}: {s}" for n, s in sorted(over.items()))
