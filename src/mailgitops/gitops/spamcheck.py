"""SpamAssassin's score of each email a pull request adds or changes, before and after, for the
pull-request comment (CI previews).

A new word in a subject ("FREE", all capitals) can send an email to customers' spam folders,
and nothing in a rendered preview shows it. Each side's changed emails go through
`spamassassin -L -t --mbox` once (local rules only: no network, no learning), and the comment
names the emails whose score rose or is above zero, with the rules that fired.

Run as `python -m mailgitops.gitops.spamcheck CHANGES_JSON BASE_DIR HEAD_DIR`; CHANGES_JSON is
what `mailgitops diff --json` wrote. Prints Markdown for the comment and, for the run's log,
a warning per email SpamAssassin would mark as spam. Without SpamAssassin it says so in that
Markdown and succeeds, as the screenshots do without a browser: a review aid never blocks."""

from __future__ import annotations

import argparse
import email
import mailbox
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from email import policy
from pathlib import Path

from mailgitops.gitops.manifest import load_output
from mailgitops.gitops.report import also_same

SPAM = 5.0  # SpamAssassin's own default: a message scoring this much is marked as spam
TIMEOUT_SECONDS = 600
_SCORE = re.compile(r"score=(-?\d+(?:\.\d+)?)")
_TESTS = re.compile(r"tests=(\S*)")


@dataclass(frozen=True, slots=True)
class Score:
    points: float
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Checked:
    template: str
    lang: str
    before: Score | None  # None: the base has no such email (it is new)
    after: Score
    # a `<template>@<shop>` email that is the plain template's email byte for byte (diff's
    # `same_as`): named on that email's row, as the diff above the table names it
    same_as: str = ""


def find_spamassassin() -> str | None:
    return os.environ.get("SPAMASSASSIN") or shutil.which("spamassassin")


def score_all(program: str, emls: list[Path]) -> list[Score]:
    """Each message's score, in order, from one SpamAssassin run over an mbox of them all.
    SpamAssassin answers in an order of its own (by date): each is found by its Message-ID."""
    if not emls:
        return []
    messages = [email.message_from_bytes(path.read_bytes(), policy=policy.compat32) for path in emls]
    ids = [str(m["Message-ID"] or "") for m in messages]
    if "" in ids or len(set(ids)) != len(ids):
        raise RuntimeError("the previews' Message-IDs are missing or not unique; render them again")
    with tempfile.TemporaryDirectory(prefix="mailgitops-spam-") as tmp:
        box = mailbox.mbox(Path(tmp) / "in.mbox")
        for msg in messages:
            box.add(msg)
        box.close()
        home = Path(tmp) / "home"  # spamassassin keeps user preferences under $HOME
        home.mkdir()
        with (Path(tmp) / "in.mbox").open("rb") as f:
            run = subprocess.run([program, "-L", "-t", "--mbox"], stdin=f, capture_output=True,  # noqa: S603
                                 env={"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                                 timeout=TIMEOUT_SECONDS, check=False)
        if run.returncode != 0:
            raise RuntimeError(run.stderr.decode(errors="replace").strip()[-500:] or f"exit {run.returncode}")
        (Path(tmp) / "out.mbox").write_bytes(run.stdout)
        scores: dict[str, Score] = {}
        answer = mailbox.mbox(Path(tmp) / "out.mbox")
        try:
            for msg in answer:
                # the status header folds its list of rules over lines: one line, no space after commas
                status = " ".join(str(msg["X-Spam-Status"] or "").split()).replace(", ", ",")
                points, tests = _SCORE.search(status), _TESTS.search(status)
                if points is None:
                    raise RuntimeError(f"no score in SpamAssassin's answer: {status!r}")
                rules = tuple(r for r in (tests.group(1) if tests else "").split(",") if r and r != "none")
                scores[str(msg["Message-ID"] or "")] = Score(float(points.group(1)), rules)
        finally:
            answer.close()  # left open, it held the file SpamAssassin's answer is in
    missing = [i for i in ids if i not in scores]
    if missing:
        raise RuntimeError(f"SpamAssassin returned no score for {len(missing)} of {len(ids)} messages")
    return [scores[i] for i in ids]


def check(program: str, changes_json: Path, base_dir: Path, head_dir: Path) -> list[Checked]:
    """Every added or changed email of the diff, scored in the head and (when there) the base."""
    import json

    doc = json.loads(changes_json.read_text(encoding="utf-8"))
    base = load_output(base_dir)
    items = [i for i in doc.get("changed", []) if i.get("status") != "removed" and i.get("eml")]
    head_emls = [head_dir / str(i["eml"]) for i in items]
    olds = [base.emails.get((str(i["template"]), str(i["lang"]))) for i in items]
    base_emls = [base_dir / o.eml for o in olds if o is not None and o.eml]
    after, before = score_all(program, head_emls), iter(score_all(program, base_emls))
    return [Checked(str(i["template"]), str(i["lang"]),
                    next(before) if o is not None and o.eml else None, a, str(i.get("same_as") or ""))
            for i, o, a in zip(items, olds, after, strict=True)]


def _number(points: float) -> str:
    """One decimal, and no minus on a zero: SpamAssassin's `score=-0.0` (rules summing to a few
    thousandths below zero) was shown as `-0.0`, which reads as a change where there was none."""
    return f"{round(points, 1) + 0.0:.1f}"  # -0.0 + 0.0 is 0.0


def _points(score: Score | None) -> str:
    return "new" if score is None else _number(score.points)


def _rows(worse: list[Checked]) -> list[tuple[Checked, tuple[str, ...]]]:
    """Each email's row with the `<template>@<shop>` twins named on it: a twin scored as its plain
    email did gets no row of its own (as in the diff above the table); one that scored otherwise
    keeps its own."""
    plain = {(r.template, r.lang): r for r in worse if not r.same_as}
    twins: dict[tuple[str, str], list[str]] = {}
    for r in worse:
        of = plain.get((r.same_as, r.lang)) if r.same_as else None
        if of is not None and (of.before, of.after) == (r.before, r.after):
            twins.setdefault((of.template, of.lang), []).append(r.template)
    folded = {(t, lang) for (_, lang), ts in twins.items() for t in ts}
    return [(r, tuple(twins.get((r.template, r.lang), ()))) for r in worse
            if (r.template, r.lang) not in folded]


def _worse(results: list[Checked]) -> list[Checked]:
    return [r for r in results
            if r.after.points > 0 and (r.before is None or r.after.points > r.before.points)]


def point_to(summary: Path, results: list[Checked]) -> None:
    """Below the comment's headline, a line naming the emails that score higher: the spam check
    comes last in the comment, after the diffs, and a reviewer must not have to scroll to it."""
    worse = _worse(results)
    if not worse:
        return
    spam = sum(r.after.points >= SPAM for r in worse)
    note = (f"**Spam check: {len(worse)} email(s) score higher than before**"
            + (f", {spam} of them marked as spam" if spam else "") + " (the rules are named at the end).")
    lines = summary.read_text(encoding="utf-8").split("\n")
    at = next((i for i, line in enumerate(lines) if line.startswith("**")), len(lines) - 1)
    summary.write_text("\n".join([*lines[:at + 1], "", note, *lines[at + 1:]]), encoding="utf-8")


def to_markdown(results: list[Checked]) -> str:
    """Nothing when no email changed; one line when none got worse; else a row per email whose
    score rose above zero, with the rules that fired anew."""
    if not results:
        return ""
    head = "**Spam check** (SpamAssassin's local rules; 5.0 or more is marked as spam):"
    worse = _worse(results)
    if not worse:
        best = max((r.after.points for r in results), default=0.0)
        return f"{head} {len(results)} changed email(s) checked, none scores higher than before " \
               f"(highest {_number(best)}).\n"
    rows = [head, "", "| email | score before → after | rules that fired |", "| --- | --- | --- |"]
    for r, twins in _rows(worse):
        verdict = " **marked as spam**" if r.after.points >= SPAM else ""
        new_rules = [x for x in r.after.rules if r.before is None or x not in r.before.rules]
        rules = ", ".join(f"`{x}`" for x in (new_rules or list(r.after.rules))) or "(none named)"
        rows.append(f"| `{r.template}` · `{r.lang}`{also_same(twins)} | {_points(r.before)} → "
                    f"**{_number(r.after.points)}**{verdict} | {rules} |")
    rows += ["", "Rules are SpamAssassin's test names (e.g. `SUBJ_ALL_CAPS`: the subject is in capitals); "
             "change the words that trigger them and push again."]
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mailgitops.gitops.spamcheck", description=__doc__)
    parser.add_argument("changes_json", type=Path)
    parser.add_argument("base_dir", type=Path)
    parser.add_argument("head_dir", type=Path)
    parser.add_argument("--summary", type=Path, default=None,
                        help="the comment's Markdown: a line below its headline names emails that got worse")
    args = parser.parse_args(argv)
    program = find_spamassassin()
    if program is None:
        print("**Spam check** not run: SpamAssassin is not installed on the runner "
              "(`sudo apt-get install spamassassin`).")
        print("warning: spamassassin not found; no spam check", file=sys.stderr)
        return 0
    try:
        results = check(program, args.changes_json, args.base_dir, args.head_dir)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"**Spam check** failed to run: {e}")
        print(f"warning: spam check failed: {e}", file=sys.stderr)
        return 0
    for r in results:
        if r.after.points >= SPAM:
            print(f"::warning::{r.template}/{r.lang} scores {_number(r.after.points)} with SpamAssassin and "
                  f"would be marked as spam ({', '.join(r.after.rules)})", file=sys.stderr)
    if args.summary is not None and args.summary.is_file():
        point_to(args.summary, results)
    print(to_markdown(results), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
