"""The example addresses a new repository ships with, still in its settings: names under the
domains reserved for examples (RFC 2606: example.com, example.org, example.net, and the .example,
.test and .invalid names), which no mail reaches. `smtp check`, the step before going live, names
each one: a print room that kept `cc: archive@example.com` would send every customer's copy
nowhere (a bounce each time), and one that kept an example sender would not be believed. `serve`
names them too when it starts to send for real."""

from __future__ import annotations

from mailgitops.settings import Settings

_RESERVED = ("example.com", "example.org", "example.net")
_RESERVED_TLDS = ("example", "test", "invalid")


def reserved(address: str) -> bool:
    domain = address.rpartition("@")[2].rstrip(".").lower()
    return (domain in _RESERVED or domain.endswith(tuple(f".{d}" for d in _RESERVED))
            or domain.rpartition(".")[2] in _RESERVED_TLDS)


def found(settings: Settings) -> list[tuple[str, str]]:
    """(where, address) for each reserved address in the settings, in the order of the files."""
    smtp = settings.smtp
    places: list[tuple[str, str]] = [("config/smtp.yaml sender", smtp.sender.address)]
    places += [("config/smtp.yaml cc", a) for a in smtp.cc]
    places += [("config/smtp.yaml bcc", a) for a in smtp.bcc]
    places += [("config/smtp.yaml reply_to", smtp.reply_to)] if smtp.reply_to else []
    for name, trigger in sorted(settings.workflow.triggers.items()):
        places += [(f"config/workflow.yaml triggers.{name}.cc", a) for a in trigger.cc]
        places += [(f"config/workflow.yaml triggers.{name}.bcc", a) for a in trigger.bcc]
    for shop_id, shop in sorted(settings.webshops.items()):
        where = f"config/webshops/{shop_id}.yaml"
        places += [(f"{where} sender", shop.sender.address)] if shop.sender else []
        places += [(f"{where} reply_to", shop.reply_to)] if shop.reply_to else []
        places += [(f"{where} cc", a) for a in shop.cc]
    return [(where, a) for where, a in places if reserved(a)]


def warning(settings: Settings) -> list[str]:
    """The warning naming each example address still in the settings ([] when none is): its
    first line, then one line per address."""
    examples = found(settings)
    if not examples:
        return []
    head = (f"{len(examples)} example address{'es' if len(examples) > 1 else ''} (domains reserved "
            "for examples, where no mail arrives) still in the settings; put the print room's own "
            "there before going live:")
    return [head, *(f"  {where}: {address}" for where, address in examples)]
