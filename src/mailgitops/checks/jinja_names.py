"""Variable references in Jinja checked against the catalog: chains, loop bindings, namespaces."""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import nodes

from mailgitops import catalog
from mailgitops.catalog import Catalog
from mailgitops.diagnostics import Severity
from mailgitops.suggest import did_you_mean

GLOBAL_FUNCTIONS = frozenset({"range", "namespace", "dict"})  # the renderer drops lipsum, cycler, joiner
LOOP_ATTRS = frozenset({
    "index", "index0", "revindex", "revindex0", "first", "last", "length", "cycle", "depth",
    "depth0", "previtem", "nextitem", "changed",
})
# attributes the sandbox refuses or that reach into Python internals
UNSAFE_ATTRS = frozenset({
    "mro", "func_globals", "func_code", "f_globals", "f_locals", "f_back", "gi_frame", "gi_code",
    "cr_frame", "cr_code", "ag_frame", "ag_code", "tb_frame", "format_map",
})
T6_HINT = "wrap it in {% for job in order.jobs %} ... {% endfor %}"

Chain = list[str | int]
Scope = list[dict[str, str]]  # innermost last; a name -> `ns:<namespace>`, `loop` or `any`


@dataclass(frozen=True, slots=True)
class Finding:
    lineno: int  # 1-based, in the parsed source
    needle: str  # text to look for on that line to find the column
    code: str
    message: str
    hint: str | None = None
    severity: Severity = Severity.ERROR


@dataclass(frozen=True, slots=True)
class Context:
    provided: frozenset[str] | None  # namespaces the trigger's event fills in; None: not known
    triggers: tuple[str, ...] = ()  # for messages: which triggers use the template
    subject: bool = False  # a subject is one line: `text` values are refused
    # values every event of those triggers carries (catalog `requires`, and what the renderer
    # derives from them); any other value printed needs a guard. None: not known, not checked
    guaranteed: frozenset[str] | None = None
    # the same for each trigger alone (trigger, values), as pairs: a Context is hashed. A message
    # names only the triggers whose events may lack the value
    guaranteed_by: tuple[tuple[str, frozenset[str]], ...] = ()
    # the package's catalog and the repository's own variables and triggers (config/catalog.yaml)
    cat: Catalog = field(default_factory=catalog.packaged)
    # variables the repository's catalog gives only to other triggers than this template's
    not_carried: frozenset[str] = frozenset()


def chain(node: nodes.Expr) -> tuple[nodes.Expr, Chain]:
    """Split `a.b['c'][0]` into its base node and the constant parts after it."""
    parts: Chain = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif (isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const)
              and isinstance(node.arg.value, (str, int))):
            parts.append(node.arg.value)
            node = node.node
        else:
            break
    parts.reverse()
    return node, parts


def dotted(root: str, parts: Chain) -> str:
    return ".".join([root, *(str(p) if isinstance(p, str) else f"[{p}]" for p in parts)]).replace(".[", "[")


def bound(value: nodes.Node | None, scope: Scope, cat: Catalog) -> str:
    """What a name set from `value` refers to: `ns:job`, `ns:order`, or `any`."""
    while isinstance(value, nodes.Filter) and value.node is not None:
        value = value.node  # order.jobs | sort(...) is still a list of jobs
    if not isinstance(value, nodes.Expr):
        return "any"
    base, parts = chain(value)
    cur = catalog_name(base, parts, scope, cat)
    if cur is None:
        return "any"
    spec = cat.variables.get(cur)
    if spec is not None and spec.item:
        return f"ns:{spec.item}"  # iterating a list binds one item
    return f"ns:{cur}" if cur in cat.names else "any"


def catalog_name(base: nodes.Node, parts: Chain, scope: Scope, cat: Catalog) -> str | None:
    """The catalog's name for `base.parts` (`order.jobs[0].product` -> `job.product`, a loop's
    `job.name` -> `job.name`), or None when it does not start at a namespace."""
    if not isinstance(base, nodes.Name):
        return None
    bound = lookup(scope, base.name)
    if bound is None and base.name in cat.namespaces:
        cur = base.name
    elif bound is not None and bound.startswith("ns:"):
        cur = bound[3:]
    else:
        return None
    for part in parts:  # `order.jobs[0].product`: one item of a list, then its values
        if isinstance(part, int):
            item = cat.variables[cur].item if cur in cat.variables else None
            if item is None:
                return None
            cur = item
        else:
            cur = f"{cur}.{part}"
    return cur


def builtin_call(fn: nodes.Expr, scope: Scope) -> bool:
    """range(), namespace(), loop.cycle() and a recursive loop(): calls of the language itself."""
    if isinstance(fn, nodes.Name):
        bound = lookup(scope, fn.name)
        return (fn.name in GLOBAL_FUNCTIONS and bound is None) or (fn.name == "loop" and bound == "any")
    return (isinstance(fn, nodes.Getattr) and fn.attr == "cycle" and isinstance(fn.node, nodes.Name)
            and lookup(scope, fn.node.name) == "loop")


def unsafe(attr: str) -> bool:
    return attr.startswith("_") or attr in UNSAFE_ATTRS


def lookup(scope: Scope, name: str) -> str | None:
    for frame in reversed(scope):
        if name in frame:
            return frame[name]
    return None


class NameChecker:
    """Checks one reference (`order.number`, `job.product.name`, `loop.index`) where it is used."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.findings: list[Finding] = []
        self.in_replace = 0  # inside `| replace(...)`: a multi-line value may be made one line
        self.printing = 0  # inside `{{ ... }}`: a value shown, not only tested
        self.defaulted = 0  # inside `| default(...)`: a missing value has a fallback
        self.collecting: list[set[str]] = []  # the names an `{% if %}` test reads
        self.comparing = 0  # an operand of `>`, `<`, `>=`, `<=`: a missing value fails the test
        self.guards: list[frozenset[str]] = []  # the names the enclosing tests read

    def add(self, node: nodes.Node, needle: str, code: str, message: str, hint: str | None = None) -> None:
        self.findings.append(Finding(node.lineno, needle, code, message, hint))

    def walk(self, node: nodes.Node | None, scope: Scope) -> None:
        raise NotImplementedError  # the tree walker (jinja_scan.Scanner) provides it

    def compared(self, node: nodes.Node, name: str, shown: str) -> None:
        raise NotImplementedError  # jinja_scan.Scanner: a value that may be missing, compared

    def tested(self, node: nodes.Node, name: str, shown: str) -> None:
        """A value an `{% if %}` test reads: it guards what the test covers; compared with `>`
        before anything in the same test made sure it is there, it must always be there."""
        if self.comparing and name not in self.collecting[-1]:
            self.compared(node, name, shown)
        self.collecting[-1].add(name)

    def reference(self, node: nodes.Expr, scope: Scope) -> None:  # noqa: PLR0911 - one exit per kind of name
        base, parts = chain(node)
        self.unsafe_parts(node, parts)
        if not isinstance(base, nodes.Name):
            self.walk(base, scope)
            return
        root = base.name
        shown = dotted(root, parts)
        bound = lookup(scope, root)
        if bound == "loop":
            if parts and isinstance(parts[0], str) and parts[0] not in LOOP_ATTRS:
                self.add(node, shown, "unknown-variable", f"`{shown}` is not a loop attribute",
                         did_you_mean(parts[0], LOOP_ATTRS) or "e.g. loop.index, loop.first, loop.last")
            return
        if bound is not None:
            if bound.startswith("ns:"):
                self.catalog_path(node, bound[3:], parts, root)
            return
        namespaces, per_job = self.ctx.cat.namespaces, self.ctx.cat.per_job
        if root in per_job:
            self.add(node, shown, "job-outside-loop",
                     f"`{shown}` is a per-job item: it only exists inside a loop over the jobs",
                     T6_HINT)
            return
        if root in namespaces:
            if self.namespace_provided(node, root, shown):
                self.catalog_path(node, root, parts, root)
            return
        if root in GLOBAL_FUNCTIONS:
            return
        if root == "loop":
            self.add(node, shown, "unknown-variable", "`loop` only exists inside {% for %} ... {% endfor %}",
                     "move it into the loop, or remove it")
            return
        self.add(node, shown, "unknown-variable", f"unknown variable `{shown}`",
                 did_you_mean(shown, self.ctx.cat.variables) or did_you_mean(root, namespaces)
                 or "see schema/variables.yaml for the variables a template may use")

    def namespace_provided(self, node: nodes.Node, ns: str, shown: str) -> bool:
        provided = self.ctx.provided
        if provided is None or ns in provided or ns in catalog.ALWAYS_PROVIDED:
            return True
        who = ", ".join(f"`{t}`" for t in self.ctx.triggers) or "its trigger"
        avail = sorted(set(provided) | set(catalog.ALWAYS_PROVIDED))
        # where it does come: "available here" alone left a namespace of the repository's own
        # trigger without a fix, where a variable of a built-in namespace got one (an admin's walk)
        givers = sorted(t for t, spec in self.ctx.cat.triggers.items() if ns in spec.provides)
        whose = "that trigger's" if len(givers) == 1 else "those triggers'"
        comes = (f"; `{ns}` comes with {', '.join(f'`{t}`' for t in givers)} events: use it in {whose} "
                 "templates, or remove it here" if givers else "")
        self.add(node, shown, "variable-not-provided",
                 f"`{shown}` is not available in this template: {who} does not provide `{ns}`",
                 f"available here: {', '.join(avail)}{comes}")
        return False

    def catalog_path(self, node: nodes.Node, ns: str, parts: Chain, root: str) -> None:
        names = self.ctx.cat.names
        variables = self.ctx.cat.variables
        cur = ns
        for i, part in enumerate(parts):
            if isinstance(part, str) and unsafe(part):
                return  # reported once, as unsafe, by unsafe_parts
            if isinstance(part, int):
                item = variables[cur].item if cur in variables else None
                if item is None:
                    return  # indexing text or a number: nothing more to check statically
                cur = item
                continue
            nxt = f"{cur}.{part}"
            if nxt in names:
                cur = nxt
                continue
            shown = dotted(root, parts[: i + 1])
            spec = variables.get(cur)
            if spec is not None and spec.type != "list":
                self.add(node, shown, "unknown-variable",
                         f"`{dotted(root, parts[:i])}` is a {spec.type} value; it has no `.{part}`",
                         f"use a filter instead, e.g. `{{{{ {dotted(root, parts[:i])} | upper }}}}`")
            else:
                guess = did_you_mean(nxt, [n for n in names if n.count(".") == nxt.count(".")])
                if guess and root != ns:
                    guess = guess.replace(f"`{ns}.", f"`{root}.", 1)
                self.add(node, shown, "unknown-variable", f"unknown variable `{shown}`",
                         guess or f"see the `{ns}.*` entries in schema/variables.yaml")
            return
        spec = variables.get(cur)
        if cur in self.ctx.not_carried:
            self.not_carried(node, cur, dotted(root, parts))
            return
        if self.collecting:
            self.tested(node, cur, dotted(root, parts))
        elif spec is not None and spec.type != "list":
            self.optional_value(node, cur, dotted(root, parts))
        if self.ctx.subject and not self.in_replace and spec is not None and spec.type == "text":
            shown = dotted(root, parts)
            self.add(node, shown, "subject-line-break",
                     f"`{shown}` is multi-line text and would break the subject line",
                     f"use a one-line value, or `{{{{ {shown} | replace('\\n', ' ') }}}}`")

    def not_carried(self, node: nodes.Node, name: str, shown: str) -> None:
        spec = self.ctx.cat.variables[name]
        who = ", ".join(f"`{t}`" for t in self.ctx.triggers) or "its trigger"
        self.add(node, shown, "variable-not-provided",
                 f"`{shown}` is not available in this template: {who} events do not carry it "
                 f"(config/catalog.yaml gives it to {', '.join(f'`{t}`' for t in spec.triggers or ())} "
                 "events only)",
                 f"add the trigger to `triggers:` of `{name}` in config/catalog.yaml, or remove it here")

    def optional_value(self, node: nodes.Node, name: str, shown: str) -> None:
        """A printed value that an event may leave out, without an `{% if %}` or a `default`:
        every such event would be refused at send time."""
        guaranteed = self.ctx.guaranteed
        if (guaranteed is None or not self.printing or self.defaulted or name in guaranteed
                or any(name in g for g in self.guards)):
            return
        # with two triggers on one template, only those whose events may lack it: "missing from
        # `order_finalized`, `order_ready` events" named one whose every event carries it
        lacking = [t for t, values in self.ctx.guaranteed_by if name not in values] or list(self.ctx.triggers)
        who = ", ".join(f"`{t}`" for t in lacking) or "its trigger"
        if name == "order.url" and "order.number" in guaranteed:  # made from order_url: not configured
            self.add(node, shown, "optional-value-unguarded",
                     f"`{shown}` is made from `order_url` in config/workflow.yaml, which is not set: "
                     "every email of this template would be refused",
                     "set `order_url: \"https://.../{order_number}\"` in config/workflow.yaml, or print "
                     f"the link only when present: {{% if {shown} %}}...{{% endif %}}")
            return
        own = [t for t in lacking if t in self.ctx.cat.triggers and self.ctx.cat.triggers[t].custom]
        also = (f"; or, when every {' and '.join(f'`{t}`' for t in own)} event carries it, add `{name}` to "
                "`requires:` of that trigger in config/catalog.yaml" if own else "")
        self.add(node, shown, "optional-value-unguarded",
                 f"`{shown}` may be missing from {who} events (the catalog does not require it); "
                 "printing a missing value fails the whole email",
                 f"print it only when present: {{% if {shown} %}}...{{% endif %}}, or with a fallback: "
                 f"{{{{ {shown} | default('...') }}}}{also}")

    def unsafe_parts(self, node: nodes.Node, parts: Chain) -> None:
        for part in parts:
            if isinstance(part, str) and unsafe(part):
                self.add(node, part, "unsafe-template",
                         f"`{part}` reaches into Python internals; the sandbox refuses it",
                         "use only the variables in schema/variables.yaml")
