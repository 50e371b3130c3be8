"""Complete emails per second for the shipped repository, per stage, against node `mjml`'s compile step.

    .venv/bin/python benchmarks/bench_render.py [--seconds 3] [--no-node]

A complete email is Jinja + Markdown + HTML fragment + layout slots + text part + MIME bytes. The
comparison is what a team would otherwise run: the npm `mjml` package (installed into
benchmarks/.node/) compiling the same final MJML, one email at a time. Target ratio: >= 1.0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mailgitops.render import markdown
from mailgitops.render.compiled import compile_repo
from mailgitops.render.context import build_context
from mailgitops.render.email import render_email
from mailgitops.render.jinja_env import render_tokens
from mailgitops.render.layout import direction, fill_shell, layout_mjml
from mailgitops.render.mime import build_message
from mailgitops.render.preview import _recipient, _sender, default_sample
from mailgitops.repo import load_repo

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = Path(__file__).resolve().parent / ".node"
NODE_SCRIPT = r"""
const mjml2html = require('mjml');
const docs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const seconds = parseFloat(process.argv[process.argv.length - 1]);
for (const d of docs) mjml2html(d);  // warm-up; default options, as a team would call it
let n = 0; const t0 = process.hrtime.bigint(); let t = 0;
while (t < seconds) { mjml2html(docs[n % docs.length]); n++;
  t = Number(process.hrtime.bigint() - t0) / 1e9; }
console.log(JSON.stringify({renders: n, seconds: t}));
"""


def timed(fn: Callable[[], Any], seconds: float) -> tuple[float, Any]:
    """Calls per second over about `seconds`, and the last result."""
    result = fn()
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        result = fn()
        n += 1
    return n / elapsed, result


def install_node_mjml() -> Path | None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None
    if not (NODE_DIR / "node_modules/mjml").is_dir():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        print("installing npm mjml into benchmarks/.node/ ...", file=sys.stderr)
        cmd = ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR), "mjml@4"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return None
    return NODE_DIR


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    ap.add_argument("--no-node", action="store_true")
    args = ap.parse_args()

    repo = load_repo(ROOT).repo
    compiled = compile_repo(repo)
    jobs = []
    for tid in sorted(repo.templates):
        sample = dict(repo.samples[default_sample(repo, tid)].data)
        sender, shop = _sender(repo, sample)
        recipient = _recipient(sample, repo.templates[tid].audience)
        ctx = build_context(sample, recipient=recipient, order_url=repo.workflow.order_url, sender=sender,
                            webshop_name=shop, preview=True)
        for lang in repo.languages.active:
            jobs.append((tid, lang, ctx, sender, recipient))
    date = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    n_jobs = len(jobs)
    print(f"{n_jobs} emails ({len(repo.templates)} templates x {len(repo.languages.active)} languages)")

    def complete() -> int:
        size = 0
        for tid, lang, ctx, sender, rec in jobs:
            email = render_email(compiled, tid, lang, ctx)
            msg = build_message(email, sender=sender, to=[(rec.get("name"), str(rec.get("email")))],
                                cc=list(repo.smtp.cc), message_id=f"<{tid}.{lang}@bench.invalid>", date=date,
                                attachments=())
            size += len(msg.as_bytes())
        return size

    rate, _ = timed(complete, args.seconds)
    emails_per_s = rate * n_jobs

    def complete_cold() -> int:  # every Markdown body parsed again (no two emails alike)
        markdown._structure.cache_clear()
        return complete()

    cold_rate, _ = timed(complete_cold, args.seconds)
    cold_per_s = cold_rate * n_jobs

    # the stages one by one, on the same inputs
    texts = [(compiled.templates[tid].texts[lang], lang, ctx) for tid, lang, ctx, _, _ in jobs]
    toks = [render_tokens(lang, x.body, ctx) for x, lang, ctx in texts]
    parsed_cache: list[Any] = []

    def st_jinja() -> None:
        for x, lang, ctx in texts:
            render_tokens(lang, x.subject, ctx)
            render_tokens(lang, x.body, ctx)

    def st_markdown() -> None:  # parse + theme styles (cached per structure) and the value fill
        parsed_cache.clear()
        for (_, lang, _), tok in zip(texts, toks, strict=True):
            shape = markdown.structure(tok.text, compiled.theme, rtl=direction(lang) == "rtl")
            filled = markdown.fill(shape.html, tok.values, compiled.assets, as_html=True)
            parsed_cache.append((shape, filled.out))

    def st_markdown_cold() -> None:
        markdown._structure.cache_clear()
        st_markdown()

    st_markdown()
    frozen = list(parsed_cache)

    def st_layout() -> None:
        for (_, lang, _), (_, frag) in zip(texts, frozen, strict=True):
            fill_shell(compiled.shell("default", direction(lang)),
                       {"lang": lang, "title": "t", "preheader": "", "content": frag, "footer": "f"})

    def st_text() -> None:
        for (shape, _), tok in zip(frozen, toks, strict=True):
            markdown.fill(shape.text, tok.values, compiled.assets, as_html=False)

    emails = [render_email(compiled, tid, lang, ctx) for tid, lang, ctx, _, _ in jobs]

    def st_mime() -> None:
        for email, (tid, lang, _, sender, rec) in zip(emails, jobs, strict=True):
            msg = build_message(email, sender=sender, to=[(rec.get("name"), str(rec.get("email")))],
                                cc=list(repo.smtp.cc), message_id=f"<{tid}.{lang}@bench.invalid>", date=date,
                                attachments=())
            msg.as_bytes()

    print(f"\ncomplete emails/s: {emails_per_s:,.0f}  ({1000 / emails_per_s:.3f} ms per email)")
    print(f"complete emails/s, Markdown parse cache cleared each round: {cold_per_s:,.0f}  "
          f"({1000 / cold_per_s:.3f} ms per email)")
    print("per stage (ms per email):")
    stages = (("jinja (subject+body)", st_jinja), ("markdown, parse cached", st_markdown),
              ("markdown, parsed each time", st_markdown_cold),
              ("layout slot fill", st_layout), ("text part", st_text), ("mime build + bytes", st_mime))
    for name, fn in stages:
        r, _ = timed(fn, max(0.5, args.seconds / 3))
        print(f"  {name:28s} {1000 / (r * n_jobs):7.3f}")

    # what node would compile: the final MJML with the content in place
    finals = []
    for email, (tid, lang, _ctx, _, _), (_, frag) in zip(emails, jobs, frozen, strict=True):
        finals.append(layout_mjml(compiled.layout_sources[compiled.templates[tid].layout], compiled.theme,
                                  direction(lang), compiled.assets,
                                  {"lang": lang, "title": email.subject, "preheader": email.preheader,
                                   "content": frag, "footer": "footer"}))
    from mjml import mjml2html

    py_rate, _ = timed(lambda: [mjml2html(m) for m in finals], max(0.5, args.seconds / 3))
    print(f"\n(for reference) mjml-python compiling the final MJML: {py_rate * n_jobs:,.0f}/s")
    if args.no_node:
        return 0
    node_dir = install_node_mjml()
    if node_dir is None:
        print("node mjml: not available (node/npm missing or install failed)")
        return 0
    done = subprocess.run(["node", "-e", NODE_SCRIPT, str(args.seconds)], input=json.dumps(finals),
                          capture_output=True, text=True, cwd=node_dir, check=False,
                          env={"NODE_PATH": str(node_dir / "node_modules"), "PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        print(f"node mjml failed: {done.stderr[-1500:]}")
        return 1
    res = json.loads(done.stdout.strip().splitlines()[-1])
    node_rate = res["renders"] / res["seconds"]
    print(f"node mjml renders/s (compile step only): {node_rate:,.0f}  ({1000 / node_rate:.3f} ms each)")
    print(f"ratio complete emails/s : node mjml renders/s = {emails_per_s / node_rate:.1f}  (target >= 1.0); "
          f"with the parse cache cleared {cold_per_s / node_rate:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
