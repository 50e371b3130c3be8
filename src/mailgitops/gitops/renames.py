"""A template folder renamed (`git mv templates/order-ready templates/order-complete`, and the
trigger pointed at the new name) is the same emails under a new name. Compared by name alone it
read as every email added, with its whole text, and every old one 'no longer sent'."""

from __future__ import annotations

import difflib

from mailgitops.gitops.manifest import RenderOutput

SIMILAR = 0.8  # how alike the texts must be, language by language, to be read as a rename


def _by_template(out: RenderOutput) -> dict[str, dict[str, str]]:
    """template -> language -> the manifest's text path."""
    found: dict[str, dict[str, str]] = {}
    for (template, lang), email in out.emails.items():
        found.setdefault(template, {})[lang] = email.text
    return found


def _likeness(base: RenderOutput, old: dict[str, str], head: RenderOutput, new: dict[str, str]) -> float:
    """0..1 over the languages of either: 1 when every language's text is the same."""
    total = 0.0
    for lang in old.keys() & new.keys():
        a, b = base.read_text(old[lang]), head.read_text(new[lang])
        total += 1.0 if a == b else difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    return total / len(old.keys() | new.keys())


def find_renames(base: RenderOutput, head: RenderOutput) -> dict[str, str]:
    """new template name -> old name, for each template only the head has whose emails are
    (nearly) those of a template only the base has; each old name is used once."""
    before, after = _by_template(base), _by_template(head)
    gone = sorted(before.keys() - after.keys())
    renames: dict[str, str] = {}
    for new in sorted(after.keys() - before.keys()):
        scored = [(_likeness(base, before[old], head, after[new]), old) for old in gone
                  if old not in renames.values()]
        best = max(scored, key=lambda s: (s[0], s[1]), default=None)
        if best is not None and best[0] >= SIMILAR:
            renames[new] = best[1]
    return renames
