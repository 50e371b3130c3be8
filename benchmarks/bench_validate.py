"""Time `mailgitops validate` against check-jsonschema on the same YAML files (issue 2, Speed).

Run: .venv/bin/python benchmarks/bench_validate.py [--runs N]

Two repositories: the shipped one, and one generated into a temp dir with 200 templates x 10
languages (each template with its own Jinja, each file with its own text). For each, the time of:
  - ours:               `mailgitops validate --format json`, the full CLI as CI runs it: every
                        registered check, the render lints of issue 3 included; this is the
                        number the target is about;
  - checks only:        for orientation, a fresh process running load + schema + the checks of
                        issue 2 (YAML, schema, cross-file, Jinja analysis, SMTP, addresses, secrets);
  - check-jsonschema:   one `check-jsonschema --schemafile` run per schema over the same YAML
                        files (front matter inside .md files is beyond it; it checks less).
Times are the median of --runs runs, each a new process, as CI would start them.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCHEMAS = ROOT / "src/mailgitops/schemas"
LANGS = ["en", "de", "fr", "nl", "zh", "es", "it", "pt", "pl", "sv"]
CHECKS_ONLY = """
import sys
from pathlib import Path
from mailgitops.checks import addresses, crossfile, secrets, smtp, templates
from mailgitops.repo import load_repo
loaded = load_repo(Path(sys.argv[1]))
diags = list(loaded.diagnostics)
for check in (crossfile.check, templates.check, smtp.check, addresses.check, secrets.check):
    diags.extend(check(loaded))
print(len(diags), "diagnostics", file=sys.stderr)
"""


def generate(dest: Path, n_templates: int = 200) -> Path:
    """A repository with `n_templates` templates in 10 languages, made from the shipped ones."""
    shutil.copytree(ROOT / "config", dest / "config")
    (dest / "templates").mkdir()
    for extra in ("_layouts", "_assets"):
        if (ROOT / "templates" / extra).is_dir():
            shutil.copytree(ROOT / "templates" / extra, dest / "templates" / extra)
    (dest / "config/languages.yaml").write_text(f"default: en\nactive: [{', '.join(LANGS)}]\n")
    shipped = sorted(p for p in (ROOT / "templates").iterdir() if p.is_dir() and not p.name.startswith("_"))
    triggers = ["triggers:"]
    workflow = (ROOT / "config/workflow.yaml").read_text(encoding="utf-8").split("triggers:")[0]
    for i in range(n_templates):
        base = shipped[i % len(shipped)]
        tid = f"{base.name}-{i:03d}"
        out = dest / "templates" / tid
        out.mkdir()
        shutil.copyfile(base / "template.yaml", out / "template.yaml")
        for lang in LANGS:
            src = base / f"{lang}.md"
            text = (src if src.exists() else base / "en.md").read_text(encoding="utf-8")
            # each template its own Jinja skeleton (the languages of one template share theirs, as
            # translations do), each file its own text: no cache can skip a template's analysis
            extra = f"\nReference {tid}/{lang}: {{{{ printroom.name | truncate({i + 10}) }}}}\n"
            (out / f"{lang}.md").write_text(text + extra, encoding="utf-8")
        if i < len(shipped):
            trig = base.name.replace("-", "_")
            triggers.append(f"  {trig}:\n    template: {tid}\n    to: [{_recipient(trig)}]")
    (dest / "config/workflow.yaml").write_text(workflow + "\n".join(triggers) + "\n", encoding="utf-8")
    return dest


def _recipient(trigger: str) -> str:
    from mailgitops.catalog import triggers

    return triggers()[trigger].default_recipients[0]


def yaml_groups(root: Path) -> dict[str, list[Path]]:
    cfg = root / "config"
    return {
        "smtp": [cfg / "smtp.yaml"],
        "languages": [cfg / "languages.yaml"],
        "workflow": [cfg / "workflow.yaml"],
        "webshop": sorted((cfg / "webshops").glob("*.yaml")),
        "sample": sorted((cfg / "samples").glob("*.yaml")),
        "template": sorted((root / "templates").glob("*/template.yaml")),
    }


def timed(cmds: list[list[str]], runs: int, ok: tuple[int, ...] = (0,)) -> float:
    """Median wall time; a run that fails (a schema it cannot load, a crash) stops the benchmark."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        for cmd in cmds:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode not in ok:
                raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(label: str, root: Path, runs: int) -> None:
    n_md = len(list((root / "templates").glob("*/*.md")))
    groups = {k: v for k, v in yaml_groups(root).items() if v}
    n_yaml = sum(len(v) for v in groups.values())
    # exit 1 allowed: the render lints may find what the generated repository's copies lack
    ours = timed([[str(BIN / "mailgitops"), "validate", "--root", str(root), "--format", "json"]], runs,
                 ok=(0, 1))
    checks = timed([[str(BIN / "python"), "-c", CHECKS_ONLY, str(root)]], runs)
    # sample.schema.json $refs event.schema.json by its https $id: point the base at the local folder
    theirs = timed([[str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMAS / f"{kind}.schema.json"),
                     "--base-uri", (SCHEMAS / f"{kind}.schema.json").as_uri(), *map(str, files)]
                    for kind, files in groups.items()], runs)
    print(f"\n{label}: {n_yaml} YAML files, {n_md} template texts")
    print(f"  ours (validate CLI) {ours:7.2f} s   (every registered check, render lints included)")
    print(f"  checks only         {checks:7.2f} s   (issue 2's checks, no render lints; orientation)")
    print(f"  check-jsonschema    {theirs:7.2f} s   ({len(groups)} runs, YAML files only)")
    print(f"  ratio ours/cjs      {ours / theirs:7.2f}   (target <= 1.0, aim 0.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--templates", type=int, default=200)
    args = parser.parse_args()
    if not (BIN / "check-jsonschema").exists():
        sys.exit("check-jsonschema (the baseline) is not installed: .venv/bin/pip install -e '.[test,bench]'")
    measure("shipped repository", ROOT, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        root = generate(Path(tmp) / "repo", args.templates)
        measure(f"generated repository ({args.templates} templates x {len(LANGS)} languages)", root,
                args.runs)


if __name__ == "__main__":
    main()
