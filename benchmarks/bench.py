"""Every speed figure of mailgitops against its anchor, measured the way a user's command runs.

    scripts/bench [--rounds 5] [--sizes 17,200] [--only render,validate,dispatch,cold,serve]
                  [--serve-seconds 60] [--serve-clients 1,8,32]

Cold by default: every run is a new process with an empty per-user disk cache, every email
rendered once with its compiles and parses; warm figures are separate rows labelled "(warm)".
Pairs run interleaved (A, B, B, A…) in this one run; the table shows medians with [min-max].
Repositories are generated from the shipped one with a subject, preheader and paragraph of their
own per template and language (benchlib.generate_repo); `--sizes 17,200,1000` adds the large one
(17 is the shipped repository: every template its workflow names).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_dispatch
from benchlib import BIN, MG, ROOT, Row, cold_env, generate_repo, install_node_mjml, interleaved, print_table
from benchlib import run_timed as timed_cmd

SCHEMAS = ROOT / "src/mailgitops/schemas"
NODE_WARM = r"""
const mjml2html = require('mjml');
const fs = require('fs');
const files = fs.readdirSync(process.argv[1]).filter(f => f.endsWith('.mjml')).sort();
const docs = files.map(f => fs.readFileSync(process.argv[1] + '/' + f, 'utf8'));
mjml2html('<mjml><mj-body></mj-body></mjml>');  // the process is warm: require and JIT done
const t0 = process.hrtime.bigint();
for (const d of docs) mjml2html(d);  // every email once, as a render run does
console.log(JSON.stringify({seconds: Number(process.hrtime.bigint() - t0) / 1e9, n: docs.length}));
"""
DUMP = r"""
import re, sys
from pathlib import Path
from mailgitops.render.layout import direction, layout_mjml
from mailgitops.render.compiled import compile_repo
from mailgitops.render.email import render_email
from mailgitops.render.preview import default_sample, preview_context
from mailgitops.repo import load_repo

root, out = Path(sys.argv[1]), Path(sys.argv[2])
repo = load_repo(root).repo
compiled = compile_repo(repo)
n = 0
for tid in sorted(repo.templates):
    ctx = preview_context(repo, tid, default_sample(repo, tid))
    layout = compiled.templates[tid].layout
    for lang in repo.languages.active:
        email = render_email(compiled, tid, lang, ctx)
        shell = compiled.shell(layout, direction(lang))
        # the slots as the email has them: the shell's markers become groups matched on the email
        parts = re.split(r"@@MG:(\w+)@@", shell)
        pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}_{i}>.*?)" for i, p in enumerate(parts))
        m = re.fullmatch(pattern, email.html, re.S)
        assert m, f"{tid}/{lang}: the email does not fit its shell"
        slots = {k.rsplit("_", 1)[0]: v for k, v in m.groupdict().items()}
        mjml = layout_mjml(compiled.layout_sources[layout], compiled.theme, direction(lang),
                           compiled.assets, slots)
        (out / f"{tid}.{lang}.mjml").write_text(mjml, encoding="utf-8")
        n += 1
print(n)
"""


def _emails(root: Path) -> int:
    langs = re.search(r"active: \[(.*)\]", (root / "config/languages.yaml").read_text(encoding="utf-8"))
    n_langs = len(langs[1].split(",")) if langs else 5
    return sum(1 for p in (root / "templates").iterdir() if not p.name.startswith("_")) * n_langs


def render_rows(label: str, root: Path, rounds: int, work: Path) -> list[Row]:
    node = install_node_mjml()
    if node is None:
        raise SystemExit("node and npm are needed for the render anchor (node mjml)")
    dump = work / f"mjml-{label}"
    dump.mkdir()
    subprocess.run([sys.executable, "-c", DUMP, str(root), str(dump)], check=True, capture_output=True)
    files = sorted(str(p) for p in dump.glob("*.mjml"))
    n = len(files)
    env_node = dict(os.environ, NODE_PATH=str(node / "node_modules"))

    def ours() -> float:
        with tempfile.TemporaryDirectory() as out:
            return timed_cmd([*MG, "render", "--root", str(root), "--out", out], env=cold_env())

    def node_cli() -> float:
        with tempfile.TemporaryDirectory() as out:
            return timed_cmd([str(node / "node_modules/.bin/mjml"), *files, "-o", out + "/"], env=env_node)

    def node_warm() -> float:
        proc = subprocess.run(["node", "-e", NODE_WARM, str(dump)], capture_output=True, text=True,
                              check=True, env=env_node, cwd=node)
        return float(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])

    a, b = interleaved(ours, node_cli, rounds, f"render {label} vs mjml CLI")
    c, d = interleaved(ours, node_warm, rounds, f"render {label} vs warm node")
    note = f"{n} emails; ours is the whole `render` command (previews, .eml, gallery) with no cache"
    return [Row(f"render {label}", "mjml CLI, same MJML", a, b, 1.0, speed=True, note=note),
            Row(f"render {label}", "warm node mjml, compile only", c, d, 1.0, speed=True)]


def _yaml_groups(root: Path) -> dict[str, list[Path]]:
    cfg = root / "config"
    groups = {"smtp": [cfg / "smtp.yaml"], "languages": [cfg / "languages.yaml"],
              "workflow": [cfg / "workflow.yaml"], "webshop": sorted((cfg / "webshops").glob("*.yaml")),
              "sample": sorted((cfg / "samples").glob("*.yaml")),
              "template": sorted((root / "templates").glob("*/template.yaml"))}
    return {k: v for k, v in groups.items() if v}


def validate_rows(label: str, root: Path, rounds: int) -> tuple[list[Row], list[float]]:
    """The rows, and the cold runs' milliseconds per template (for the linearity rows)."""
    cjs = BIN / "check-jsonschema"
    if not cjs.exists():
        raise SystemExit("check-jsonschema (the anchor) is missing: .venv/bin/pip install -e '.[bench]'")
    cmds = [[str(cjs), "--schemafile", str(SCHEMAS / f"{kind}.schema.json"), "--base-uri",
             (SCHEMAS / f"{kind}.schema.json").as_uri(), *map(str, files)]
            for kind, files in _yaml_groups(root).items()]

    def ours() -> float:
        # exit 0: the generated repository is valid (its copies used by no trigger are warnings)
        return timed_cmd([*MG, "validate", "--root", str(root), "--format", "json"], env=cold_env())

    def theirs() -> float:
        env = cold_env()
        return sum(timed_cmd(c, env=env) for c in cmds)

    a, b = interleaved(ours, theirs, rounds, f"validate {label}")
    n_templates = len(list((root / "templates").glob("*/template.yaml")))
    per = [1000 * t / max(1, n_templates) for t in a]
    rows = [Row(f"validate {label}", "check-jsonschema, YAML only", a, b, 1.0, speed=False,
                note=f"{statistics.median(per):.1f} ms per template")]
    # warm: the same repository again after one file changed (a content-hashed cache may skip the rest)
    env_warm = cold_env()
    timed_cmd([*MG, "validate", "--root", str(root), "--format", "json"], env=env_warm)
    edited = sorted((root / "templates").glob("*/en.md"))[0]

    def ours_warm() -> float:
        edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
        return timed_cmd([*MG, "validate", "--root", str(root), "--format", "json"], env=env_warm)

    c, d = interleaved(ours_warm, theirs, rounds, f"validate {label} warm")
    rows.append(Row(f"validate {label}, one file edited", "check-jsonschema, YAML only", c, d, 0.1,
                    speed=False, cold=False))
    return rows, per


def linearity_rows(per_template: dict[str, list[float]]) -> list[Row]:
    """Validate's cost per template at each size against the smallest's, from the runs above: linear
    in size when it stays within 20% (0.8-1.2x)."""
    if len(per_template) < 2:
        return []  # one size: nothing to compare with
    (small, base), *larger = per_template.items()
    rows = []
    for label, per in larger:
        row = Row(f"validate, cost per template, {label} vs {small}", f"per template at {small}", per, base,
                  1.2, speed=False, goal_low=0.8, unit="ms")
        row.note = ("a template costs less in the larger repository: the fixed start-up is spread over "
                    "more templates" if row.ratio < 1 else
                    "a template costs more in the larger repository: the cost grows faster than the size")
        rows.append(row)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="interleaved pairs per figure (at least 5)")
    ap.add_argument("--sizes", default="17,200",
                    help="template counts of the generated repositories (at least the 17 shipped)")
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--only", default="render,validate,dispatch,cold,serve")
    ap.add_argument("--serve-seconds", type=float, default=60.0, help="serve: the window per level")
    ap.add_argument("--serve-clients", default="1,8,32", help="serve: the levels (numbers of clients)")
    ap.add_argument("--dispatch-servers", default="fast,aiosmtpd,postfix,relay",
                    help="dispatch: the SMTP servers both sides send to: fast, aiosmtpd, postfix (needs "
                         "scripts/setup --test), relay (the fast sink 5 ms away)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    servers = [s for s in args.dispatch_servers.split(",") if s]
    sys.path.insert(0, str(ROOT / "tests"))
    why = bench_dispatch.check_servers(servers) if "dispatch" in only else None
    if why:
        print(f"error: {why}", file=sys.stderr)
        return 2
    if args.rounds < 5:
        print(f"warning: --rounds {args.rounds}: the goals are set on medians of at least 5 interleaved "
              "rounds; quote no figure from this run", file=sys.stderr)
    sys.path.insert(0, str(ROOT / "tests"))
    # the tree's bytecode up to date first, as an installation has it (pip compiles at install):
    # with PYTHONDONTWRITEBYTECODE set, a module edited since its last .pyc was compiled again in
    # every timed run, and the cold dispatch read 2.13x where the installed code takes 1.80x
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"machine: {os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}, "
          f"python {sys.version.split()[0]}; {time.strftime('%Y-%m-%d %H:%M %Z')}")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="mg-bench-") as tmp:
        work = Path(tmp)
        per_template: dict[str, list[float]] = {}
        for size in [int(s) for s in args.sizes.split(",") if s] if only & {"validate", "render"} else []:
            langs = 5 if size <= 17 else 10  # the shipped size with its five languages
            root = generate_repo(work / f"repo-{size}", size,
                                 ["en", "de", "fr", "nl", "zh", "es", "it", "pt", "pl", "sv"][:langs])
            label = f"{size} templates x {langs} languages"
            if "validate" in only:
                got, per_template[f"{size}x{langs}"] = validate_rows(label, root, args.rounds)
                rows += got
            if "render" in only:
                rows += render_rows(f"{size}x{langs}", root, args.rounds, work)
        rows += linearity_rows(per_template)
        if "dispatch" in only:
            rows += bench_dispatch.dispatch_rows(args.rounds, work, args.events, servers)
        if "cold" in only:
            rows += bench_dispatch.cold_rows(max(args.rounds, 7), work)
        if "serve" in only:
            import serve_keepup  # starts servers of this tree; imported only when asked for

            levels = [int(n) for n in args.serve_clients.split(",") if n]
            rows += serve_keepup.bench_rows(levels, args.serve_seconds, work)
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
