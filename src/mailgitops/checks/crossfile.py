"""Rules that span files: triggers vs the catalog and templates, languages, roles, samples."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mailgitops import catalog
from mailgitops.checks.file_names import TEMPLATE_ID
from mailgitops.diagnostics import Diagnostic, Severity, error, json_path, warning
from mailgitops.model import Template, Trigger
from mailgitops.repo import LoadedRepo
from mailgitops.suggest import did_you_mean
from mailgitops.yamlsrc import YamlDoc

WORKFLOW = "config/workflow.yaml"
LANGUAGES = "config/languages.yaml"


def allowed_roles(spec: catalog.TriggerSpec) -> set[str]:
    """Who a trigger may send to: its default recipients, an operator always, and the
    customer or approver only where the trigger's event names one."""
    roles = set(spec.default_recipients) | {"operator"}
    roles |= {r for r in ("customer", "approver") if r in spec.provides}
    return roles


# problems after which a file's data is partial or empty: rules built on it would only add noise
_LOAD_FAILURES = frozenset({"duplicate-key", "file-too-large", "encoding", "missing-file", "unreadable",
                            "empty-file", "outside-repo"})


def loaded_ok(loaded: LoadedRepo, file: str) -> bool:
    """The file was read whole: rules built on its values speak of what it says, not of a file
    that could not be read (missing, not YAML, a list where a mapping belongs)."""
    return file in loaded.docs and isinstance(loaded.docs[file].data, dict) and not any(
        d.file == file and (d.code in _LOAD_FAILURES or d.code.startswith("yaml-"))
        for d in loaded.diagnostics)


def _doc(loaded: LoadedRepo, file: str) -> YamlDoc:
    return loaded.docs.get(file) or YamlDoc(file=file, data={})


def _template_anchor(tid: str) -> str:
    """Where a problem with a whole template is reported: its template.yaml."""
    return f"templates/{tid}/template.yaml"


TRIGGER_SETTINGS = frozenset({"template", "templates", "send", "to", "cc", "bcc", "edit_before_send"})


def _trigger_above(triggers: Mapping[str, Any], name: str) -> str | None:
    """The trigger written just before `name` in workflow.yaml (the file's order is kept)."""
    names = list(triggers)
    i = names.index(name)
    return names[i - 1] if i > 0 else None


def check_triggers(loaded: LoadedRepo) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    doc = _doc(loaded, WORKFLOW)
    specs = loaded.repo.catalog.triggers
    templates = loaded.repo.templates
    for tid, trig in loaded.repo.workflow.triggers.items():
        base = ("triggers", tid)
        spec = specs.get(tid)
        if spec is None and tid in TRIGGER_SETTINGS:  # the most likely indentation slip
            above = _trigger_above(loaded.repo.workflow.triggers, tid)
            out.append(doc.at(base, "unknown-trigger",
                              f"`{tid}` is a trigger's setting, not a trigger: it is indented as far as "
                              "the triggers' names",
                              hint=f"indent it under the trigger above{f' (`{above}`)' if above else ''}, "
                                   "as far as that trigger's other settings", key=True))
        elif spec is None:
            out.append(doc.at(base, "unknown-trigger", f"`{tid}` is not a trigger in the catalog",
                              hint=_trigger_hint(tid, specs), key=True))
        if trig.template and trig.template not in templates:
            folder = loaded.repo.root / "templates" / trig.template
            state = "is empty" if folder.is_dir() else "does not exist"
            near = did_you_mean(trig.template, templates)
            named = next((t for t in templates if t.lower() == trig.template.lower()), None)
            if named is not None and not TEMPLATE_ID.fullmatch(named):  # `Order-Ready/`: the folder is wrong
                near = f"the folder is named `{named}`: rename it to templates/{trig.template}/"
            out.append(doc.at((*base, "template"), "missing-template",
                              f"template folder `templates/{trig.template}/` {state}",
                              hint=near or _missing_hint(tid, spec, trig)))
        out.extend(_per_role_templates(doc, tid, trig, templates))
        if spec is None:
            continue
        allowed = allowed_roles(spec)
        for i, role in enumerate(trig.to):
            if role not in allowed:
                out.append(doc.at((*base, "to", i), "role-not-allowed",
                                  f"trigger `{tid}` cannot send to `{role}`: its event has no {role}",
                                  hint=f"allowed here: {', '.join(sorted(allowed))}"))
        if trig.edit_before_send and not spec.editable:
            out.append(doc.at((*base, "edit_before_send"), "not-editable",
                              f"trigger `{tid}` does not offer editing before sending",
                              hint="set edit_before_send: false"))
    return out


def _missing_hint(tid: str, spec: catalog.TriggerSpec | None, trig: Trigger) -> str:
    """Put a shipped template back, write a new one, or stop sending the email."""
    stop = f"or, to stop sending this email, remove `{tid}:` from {WORKFLOW} (or set `send: never`)"
    if spec is not None and not spec.custom and spec.default_template == trig.template:
        return f"put the shipped one back with `mailgitops restore {trig.template}`, {stop}"
    return f"create templates/{trig.template}/ (a template.yaml and a <lang>.md per language), {stop}"


def _per_role_templates(doc: YamlDoc, tid: str, trig: Trigger,
                        templates: Mapping[str, Template]) -> list[Diagnostic]:
    """`templates: {role: id}` names existing templates for roles in `to`, and every role in `to`
    gets a template written for it (its `audience`): a warning otherwise, since the email still
    goes out, only in words meant for someone else."""
    out: list[Diagnostic] = []
    base: tuple[str | int, ...] = ("triggers", tid)
    for role, template_id in trig.templates.items():
        at = (*base, "templates", role)
        if template_id not in templates:
            out.append(doc.at(at, "missing-template", f"template folder `templates/{template_id}/` does not "
                              "exist", hint=did_you_mean(template_id, templates)
                              or f"create templates/{template_id}/ (audience: {role})"))
        if role not in trig.to:
            p = doc.key_pos(at)
            out.append(warning(doc.file, p.line, p.col, "template-role-not-sent",
                               f"`templates.{role}` is never sent: `to` does not include {role}",
                               json_path=json_path(at),
                               hint=f"add {role} to `to`, or remove templates.{role}"))
    raw = doc.data.get("triggers", {}).get(tid) if isinstance(doc.data.get("triggers"), dict) else None
    to_given = isinstance(raw, dict) and "to" in raw
    for i, role in enumerate(trig.to):
        template = templates.get(trig.template_for(role))
        if template is None or template.audience == role:
            continue
        at = (*base, "to", i) if to_given else base
        p = doc.pos(at) if to_given else doc.key_pos(at)
        given = "" if to_given else " (`to` is left out: the catalog's default recipients)"
        out.append(warning(
            doc.file, p.line, p.col, "audience-mismatch",
            f"trigger `{tid}` sends template `{template.id}`, written for the {template.audience}, to the "
            f"{role}{given}", json_path=json_path(at),
            hint=f"give the {role} its own wording with `templates: {{{role}: <template-id>}}` (a template "
                 f"with audience: {role}), or change `to`"))
    return out


def check_templates_and_languages(loaded: LoadedRepo) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    repo = loaded.repo
    langs = repo.languages
    ldoc = _doc(loaded, LANGUAGES)
    # an invalid languages.yaml (a list, a wrong type) leaves `active` unknown: judging every
    # template file by it would bury the one real error under a warning per file
    langs_ok = loaded_ok(loaded, LANGUAGES) and not any(
        d.file == LANGUAGES and d.severity is Severity.ERROR for d in loaded.diagnostics)
    if langs_ok and langs.default not in langs.active:
        out.append(ldoc.at(("default",), "default-language-inactive",
                           f"the default language `{langs.default}` is not in `active`",
                           hint=f"add {langs.default} to active, or pick one of: {', '.join(langs.active)}"))
    used = {tpl for t in repo.workflow.triggers.values() for tpl in t.template_ids()}
    waiting: dict[str, list[str]] = {}  # texts of a language not (yet) active
    unwritten = _unwritten(loaded) if langs_ok else []
    out += [ldoc.at(("active", langs.active.index(lang)), "missing-language",
                    f"`{lang}` is active, but none of the {len(repo.templates)} templates has its "
                    f"text yet ({lang}.md)",
                    hint=f"translate first, activate last: take {lang} out of `active` until the texts "
                         f"are written; `mailgitops translations export --lang {lang}` makes the file "
                         "for a translator")
            for lang in unwritten]
    for tid, tpl in repo.templates.items():
        anchor = _template_anchor(tid)
        if loaded_ok(loaded, WORKFLOW) and tid not in used and TEMPLATE_ID.fullmatch(tid):
            # (a folder no trigger can name has its own error, which says how to rename it)
            out.append(warning(anchor, 1, 1, "unused-template",
                               f"template `{tid}` is used by no trigger in {WORKFLOW}",
                               hint="add a trigger with `template: " + tid + "`, or delete the folder"))
        missing = [lang for lang in (langs.active if langs_ok else ())
                   if lang not in tpl.texts and lang not in unwritten
                   and not (repo.root / "templates" / tid / f"{lang}.md").exists()]
        if missing and len(missing) == len(langs.active) and len(missing) > 1:  # a new folder: one error
            out.append(error(anchor, 1, 1, "missing-language",
                             f"templates/{tid}/ has no text yet (active languages: {', '.join(missing)})",
                             hint=f"write templates/{tid}/{langs.default}.md (copy another template's and "
                             "adapt it), then one <lang>.md for each of the others"))
            missing = []
        misnamed = set()
        for lang in missing:
            near = _misnamed(repo.root / "templates" / tid, lang)
            if near is not None:  # DE.md, de-DE.md, de.md.txt: written, under another name
                misnamed.add(f"templates/{tid}/{near}")
                out.append(error(anchor, 1, 1, "missing-language",
                                 f"templates/{tid}/{lang}.md is missing, but there is `{near}` ({lang} is "
                                 "an active language)",
                                 hint=f"rename it: git mv templates/{tid}/{near} templates/{tid}/{lang}.md"))
                continue
            out.append(error(anchor, 1, 1, "missing-language",
                             f"templates/{tid}/{lang}.md is missing ({lang} is an active language)",
                             hint=f"write templates/{tid}/{lang}.md, or remove {lang} from {LANGUAGES}"))
        for lang, text in tpl.texts.items():
            if langs_ok and lang not in langs.active and text.file not in misnamed:
                waiting.setdefault(lang, []).append(text.file)
        if tpl.layout not in repo.layouts:  # with no layout at all, nothing can be rendered either
            tdoc = _doc(loaded, anchor)
            out.append(tdoc.at(("layout",), "unknown-layout",
                               f"layout `{tpl.layout}` is not in templates/_layouts/",
                               hint=did_you_mean(tpl.layout, repo.layouts)
                               or (f"one of: {', '.join(sorted(repo.layouts))}" if repo.layouts else
                                   f"add templates/_layouts/{tpl.layout}.mjml; `mailgitops init` "
                                   "writes the default one")))
    return out + _inactive(loaded, waiting)


def _unwritten(loaded: LoadedRepo) -> list[str]:
    """Active languages that no template has a text in (nor one under another name), when there
    are at least two templates: a language activated before it was translated, said once on
    languages.yaml instead of once for every template."""
    repo = loaded.repo
    if len(repo.templates) < 2:
        return []
    return [lang for lang in repo.languages.active if lang != repo.languages.default and not any(
        lang in tpl.texts or (repo.root / "templates" / tid / f"{lang}.md").exists()
        or _misnamed(repo.root / "templates" / tid, lang) is not None
        for tid, tpl in repo.templates.items())]


def _misnamed(folder: Path, lang: str) -> str | None:
    """A file in a template folder that is `lang`'s text under another name, if there is one."""
    try:
        names = sorted(p.name for p in folder.iterdir() if p.is_file())
    except OSError:
        return None
    for name in names:
        low = name.lower()
        variant = low.startswith((f"{lang}.md.", f"{lang}-", f"{lang}_")) and ".md" in low
        if name != f"{lang}.md" and (low == f"{lang}.md" or variant):
            return name
    return None


def _inactive(loaded: LoadedRepo, waiting: dict[str, list[str]]) -> list[Diagnostic]:
    """Texts of a language that is not active: one file is a stray; many are a translation under
    way (translate first, activate last), said once, with the templates still missing it."""
    out: list[Diagnostic] = []
    for lang, files in sorted(waiting.items()):
        missing = sorted(tid for tid, t in loaded.repo.templates.items() if lang not in t.texts)
        if len(files) == 1:
            # a first translation, or a stray: "add it to active" alone made every other
            # template's missing text an error (an admin's walk, after importing one template)
            first = (f"if it is the first of a translation, translate the {len(missing)} other "
                     f"templates (`mailgitops translations export --lang {lang}` makes the file for a "
                     f"translator), then add {lang} to `active` in {LANGUAGES}; else delete the file"
                     if missing else f"add {lang} to `active` in {LANGUAGES}, or delete the file")
            out.append(warning(files[0], 1, 1, "inactive-language",
                               f"`{lang}` is not an active language, so this file is never sent", hint=first))
            continue
        more = ", ..." if len(missing) > 5 else ""
        todo = f"{len(missing)} still without it: {', '.join(missing[:5])}{more}" if missing else (
            "every template has it now")
        p = _doc(loaded, LANGUAGES).pos(("active",))
        out.append(warning(LANGUAGES, p.line, p.col, "inactive-language",
                           f"{len(files)} templates have a text in `{lang}`, but `{lang}` is not an active "
                           f"language, so none of them is sent ({todo})",
                           hint=f"add {lang} to `active` once every template has it, or delete the "
                           f"{lang}.md files"))
    return out


def _trigger_hint(name: str, specs: Mapping[str, object]) -> str:
    """A name close to a trigger is likely that one mistyped; any name may be a trigger of the
    print room's own, which config/catalog.yaml declares (only "did you mean `proof_ready`?" led an
    admin adding `proof_reminder` to rename it to another trigger: an admin's walk)."""
    declare = "declare it under `triggers:` in config/catalog.yaml (then run `mailgitops schema`)"
    close = did_you_mean(name, list(specs))
    if close:
        return f"{close} If `{name}` is a new trigger of the print room's own, {declare}"
    return f"a new trigger of the print room's own: {declare}; the built-in ones are in schema/triggers.yaml"


def check_samples(loaded: LoadedRepo) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    repo = loaded.repo
    specs = repo.catalog.triggers
    for sample in repo.samples.values():
        doc = _doc(loaded, sample.file)
        trig = sample.data.get("trigger")
        if isinstance(trig, str) and trig not in specs:
            out.append(doc.at(("trigger",), "unknown-trigger",
                              f"`{trig}` is not a trigger in the catalog",
                              hint=_trigger_hint(trig, specs)))
        shop = sample.data.get("webshop")
        if isinstance(shop, str) and shop not in repo.webshops:
            out.append(doc.at(("webshop",), "unknown-webshop",
                              f"webshop `{shop}` has no file config/webshops/{shop}.yaml",
                              hint=did_you_mean(shop, repo.webshops)
                              or f"one of: {', '.join(sorted(repo.webshops)) or '(none)'}"))
    return out


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    return check_triggers(loaded) + check_templates_and_languages(loaded) + check_samples(loaded)
