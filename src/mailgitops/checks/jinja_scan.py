"""Static analysis of one Jinja source: every name, attribute chain, filter and unsafe construct."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from jinja2 import nodes
from jinja2.sandbox import MAX_RANGE, SandboxedEnvironment
from jinja2.tests import TESTS

from mailgitops import catalog
from mailgitops.diagnostics import Severity
from mailgitops.schemacheck import did_you_mean

SAFE_BUILTIN_FILTERS = frozenset({
    "default", "d", "upper", "lower", "title", "capitalize", "trim", "join", "length", "count",
    "round", "replace", "truncate", "first", "last", "int", "float", "string", "abs", "format",
    "wordcount", "e", "escape", "sort", "sum", "min", "max",
})
GLOBAL_FUNCTIONS = frozenset({"range", "namespace", "dict", "cycler", "joiner"})
LOOP_ATTRS = frozenset({
    "index", "index0", "revindex", "revindex0", "first", "last", "length", "cycle", "depth",
    "depth0", "previtem", "nextitem", "changed",
})
# attributes the sandbox refuses or that reach into Python internals
UNSAFE_ATTRS = frozenset({
    "mro", "func_globals", "func_code", "f_globals", "f_locals", "f_back", "gi_frame", "gi_code",
    "cr_frame", "cr_code", "ag_frame", "ag_code", "tb_frame", "format_map",
})
MAX_REPEAT = 10_000
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


@cache
def environment() -> SandboxedEnvironment:
    """Parsing only; the renderer builds its own environment with the same syntax."""
    return SandboxedEnvironment(autoescape=True)


@cache
def _known() -> tuple[frozenset[str], frozenset[str], dict[str, str]]:
    """(full names and their prefixes, namespaces, per-job namespaces) from the variable catalog."""
    names: set[str] = set()
    per_job: dict[str, str] = {}
    for name, spec in catalog.variables().items():
        parts = name.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        if spec.per_job:
            per_job[parts[0]] = name
    namespaces = frozenset(n for n in names if "." not in n)
    return frozenset(names), namespaces, per_job


def _chain(node: nodes.Expr) -> tuple[nodes.Expr, Chain]:
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


def _dotted(root: str, parts: Chain) -> str:
    return ".".join([root, *(str(p) if isinstance(p, str) else f"[{p}]" for p in parts)]).replace(".[", "[")


def _bound(value: nodes.Node | None, scope: Scope) -> str:
    """What a name set from `value` refers to: `ns:job`, `ns:order`, or `any`."""
    while isinstance(value, nodes.Filter) and value.node is not None:
        value = value.node  # order.jobs | sort(...) is still a list of jobs
    if not isinstance(value, nodes.Expr):
        return "any"
    base, parts = _chain(value)
    if not isinstance(base, nodes.Name):
        return "any"
    bound = _lookup(scope, base.name)
    if bound is None and base.name in _known()[1]:
        cur = base.name
    elif bound is not None and bound.startswith("ns:"):
        cur = bound[3:]
    else:
        return "any"
    variables = catalog.variables()
    for part in parts:
        if isinstance(part, int):
            item = variables[cur].item if cur in variables else None
            if item is None:
                return "any"
            cur = item
        else:
            cur = f"{cur}.{part}"
    spec = variables.get(cur)
    if spec is not None and spec.item:
        return f"ns:{spec.item}"  # iterating a list binds one item
    return f"ns:{cur}" if cur in _known()[0] else "any"


def _builtin_call(fn: nodes.Expr, scope: Scope) -> bool:
    """range(), namespace(), loop.cycle() and a recursive loop(): calls of the language itself."""
    if isinstance(fn, nodes.Name):
        bound = _lookup(scope, fn.name)
        return (fn.name in GLOBAL_FUNCTIONS and bound is None) or (fn.name == "loop" and bound == "any")
    return (isinstance(fn, nodes.Getattr) and fn.attr == "cycle" and isinstance(fn.node, nodes.Name)
            and _lookup(scope, fn.node.name) == "loop")


def _unsafe(attr: str) -> bool:
    return attr.startswith("_") or attr in UNSAFE_ATTRS


def _lookup(scope: Scope, name: str) -> str | None:
    for frame in reversed(scope):
        if name in frame:
            return frame[name]
    return None


class Scanner:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.findings: list[Finding] = []
        self.in_replace = 0
        self.filters = SAFE_BUILTIN_FILTERS | frozenset(catalog.filters())

    def add(self, node: nodes.Node, needle: str, code: str, message: str, hint: str | None = None) -> None:
        self.findings.append(Finding(node.lineno, needle, code, message, hint))

    # --- variables --------------------------------------------------------------------------

    def reference(self, node: nodes.Expr, scope: Scope) -> None:  # noqa: PLR0911 - one exit per kind of name
        base, parts = _chain(node)
        self.unsafe_parts(node, parts)
        if not isinstance(base, nodes.Name):
            self.walk(base, scope)
            return
        root = base.name
        shown = _dotted(root, parts)
        bound = _lookup(scope, root)
        if bound == "loop":
            if parts and isinstance(parts[0], str) and parts[0] not in LOOP_ATTRS:
                self.add(node, shown, "unknown-variable", f"`{shown}` is not a loop attribute",
                         did_you_mean(parts[0], LOOP_ATTRS) or "e.g. loop.index, loop.first, loop.last")
            return
        if bound is not None:
            if bound.startswith("ns:"):
                self.catalog_path(node, bound[3:], parts, root)
            return
        _, namespaces, per_job = _known()
        if root in per_job:
            self.add(node, shown, "job-outside-loop",
                     f"`{shown}` is a per-job item (T6): it only exists inside a loop over the jobs",
                     T6_HINT)
            return
        if root in namespaces:
            if self.namespace_provided(node, root, shown):
                self.catalog_path(node, root, parts, root)
            return
        if root in GLOBAL_FUNCTIONS:
            return
        if root == "loop":
            self.add(node, shown, "unknown-variable", "`loop` only exists inside {% for %} ... {% endfor %}")
            return
        self.add(node, shown, "unknown-variable", f"unknown variable `{shown}`",
                 did_you_mean(shown, catalog.variables()) or did_you_mean(root, namespaces)
                 or "see schema/variables.yaml for the variables a template may use")

    def namespace_provided(self, node: nodes.Node, ns: str, shown: str) -> bool:
        provided = self.ctx.provided
        if provided is None or ns in provided or ns in catalog.ALWAYS_PROVIDED:
            return True
        who = ", ".join(f"`{t}`" for t in self.ctx.triggers) or "its trigger"
        avail = sorted(set(provided) | set(catalog.ALWAYS_PROVIDED))
        self.add(node, shown, "variable-not-provided",
                 f"`{shown}` is not available in this template: {who} does not provide `{ns}`",
                 f"available here: {', '.join(avail)}")
        return False

    def catalog_path(self, node: nodes.Node, ns: str, parts: Chain, root: str) -> None:
        names = _known()[0]
        variables = catalog.variables()
        cur = ns
        for i, part in enumerate(parts):
            if isinstance(part, str) and _unsafe(part):
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
            shown = _dotted(root, parts[: i + 1])
            spec = variables.get(cur)
            if spec is not None and spec.type != "list":
                self.add(node, shown, "unknown-variable",
                         f"`{_dotted(root, parts[:i])}` is a {spec.type} value; it has no `.{part}`",
                         f"use a filter instead, e.g. `{{{{ {_dotted(root, parts[:i])} | upper }}}}`")
            else:
                guess = did_you_mean(nxt, [n for n in names if n.count(".") == nxt.count(".")])
                if guess and root != ns:
                    guess = guess.replace(f"`{ns}.", f"`{root}.", 1)
                self.add(node, shown, "unknown-variable", f"unknown variable `{shown}`",
                         guess or f"see the `{ns}.*` entries in schema/variables.yaml")
            return
        spec = variables.get(cur)
        if self.ctx.subject and not self.in_replace and spec is not None and spec.type == "text":
            shown = _dotted(root, parts)
            self.add(node, shown, "subject-line-break",
                     f"`{shown}` is multi-line text and would break the subject line",
                     f"use a one-line value, or `{{{{ {shown} | replace('\\n', ' ') }}}}`")

    def unsafe_parts(self, node: nodes.Node, parts: Chain) -> None:
        for part in parts:
            if isinstance(part, str) and _unsafe(part):
                self.add(node, part, "unsafe-template",
                         f"`{part}` reaches into Python internals; the sandbox refuses it",
                         "use only the variables in schema/variables.yaml")

    # --- the tree ---------------------------------------------------------------------------

    def bind(self, target: nodes.Node, frame: dict[str, str], value: str = "any") -> None:
        if isinstance(target, nodes.Name):
            frame[target.name] = value
        elif isinstance(target, nodes.Tuple):
            for item in target.items:
                self.bind(item, frame)

    def walk_all(self, items: Iterable[nodes.Node | None] | None, scope: Scope) -> None:
        for item in items or ():
            self.walk(item, scope)

    def walk(self, node: nodes.Node | None, scope: Scope) -> None:
        """Visit `node` with `visit_<NodeType>` when there is one, else its children."""
        if node is None:
            return
        visit = getattr(self, f"visit_{type(node).__name__}", None)
        if visit is not None:
            visit(node, scope)
            return
        for child in node.iter_child_nodes():
            self.walk(child, scope)

    def visit_Name(self, node: nodes.Name, scope: Scope) -> None:
        if node.ctx == "load":
            self.reference(node, scope)

    def visit_Getattr(self, node: nodes.Getattr, scope: Scope) -> None:
        self.reference(node, scope)

    def visit_Getitem(self, node: nodes.Getitem, scope: Scope) -> None:
        base, _ = _chain(node)
        if base is node:  # x[expr]: check x, then the index
            self.walk(node.node, scope)
            self.walk(node.arg, scope)
        else:
            self.reference(node, scope)

    def visit_For(self, node: nodes.For, scope: Scope) -> None:
        self.walk(node.iter, scope)
        frame = {"loop": "any" if node.recursive else "loop"}
        self.bind(node.target, frame, _bound(node.iter, scope))
        self.walk(node.test, [*scope, frame])
        self.walk_all(node.body, [*scope, frame])
        self.walk_all(node.else_, scope)

    def visit_Assign(self, node: nodes.Assign, scope: Scope) -> None:
        self.walk(node.node, scope)
        if isinstance(node.target, nodes.NSRef):
            self.walk(node.target, scope)
        self.bind(node.target, scope[-1], _bound(node.node, scope))

    def visit_AssignBlock(self, node: nodes.AssignBlock, scope: Scope) -> None:
        self.walk_all(node.body, scope)
        self.walk(node.filter, scope)
        self.bind(node.target, scope[-1])

    def visit_With(self, node: nodes.With, scope: Scope) -> None:
        self.walk_all(node.values, scope)
        frame: dict[str, str] = {}
        for target, value in zip(node.targets, node.values, strict=False):
            self.bind(target, frame, _bound(value, scope))
        self.walk_all(node.body, [*scope, frame])

    def visit_Macro(self, node: nodes.Macro | nodes.CallBlock, scope: Scope) -> None:
        if isinstance(node, nodes.Macro):
            scope[-1][node.name] = "any"
        else:
            self.walk(node.call, scope)
        self.walk_all(node.defaults, scope)
        frame = {"caller": "any", "varargs": "any", "kwargs": "any"}
        for arg in node.args:
            self.bind(arg, frame)
        self.walk_all(node.body, [*scope, frame])

    visit_CallBlock = visit_Macro

    def visit_Include(self, node: nodes.Node, scope: Scope) -> None:
        word = type(node).__name__.lower().replace("fromimport", "from")
        self.add(node, word, "unsafe-template",
                 f"`{{% {word} %}}` would read another file; templates cannot read files",
                 "write the text into this template; shared layout lives in templates/_layouts/")

    visit_Extends = visit_Include

    def visit_Import(self, node: nodes.Import | nodes.FromImport, scope: Scope) -> None:
        self.visit_Include(node, scope)
        names = [node.target] if isinstance(node, nodes.Import) else [
            n if isinstance(n, str) else n[-1] for n in node.names]
        for name in names:  # bound, so their use is not reported a second time
            scope[-1][name] = "any"

    visit_FromImport = visit_Import

    def visit_Test(self, node: nodes.Test, scope: Scope) -> None:
        if node.name not in TESTS:
            self.add(node, node.name, "unknown-test", f"unknown test `{node.name}`",
                     did_you_mean(node.name, TESTS))
        self.walk(node.node, scope)
        self.walk_all([*node.args, *node.kwargs, node.dyn_args, node.dyn_kwargs], scope)

    def visit_Pow(self, node: nodes.Pow, scope: Scope) -> None:
        self.add(node, "**", "unsafe-template", "`**` (power) can make huge numbers; it is refused",
                 "write the number out")

    def visit_ScopedEvalContextModifier(self, node: nodes.EvalContextModifier, scope: Scope) -> None:
        for kw in node.options:
            if kw.key == "autoescape":
                self.add(node, "autoescape", "unsafe-template",
                         "`{% autoescape %}` would let order data become HTML",
                         "remove it; values are always escaped")
        if isinstance(node, nodes.ScopedEvalContextModifier):
            self.walk_all(node.body, scope)

    visit_EvalContextModifier = visit_ScopedEvalContextModifier

    def visit_NSRef(self, node: nodes.NSRef, scope: Scope) -> None:
        if _lookup(scope, node.name) is None:
            self.add(node, node.name, "unknown-variable", f"unknown namespace `{node.name}`",
                     "create it first: {% set ns = namespace(total=0) %}")

    def visit_Filter(self, node: nodes.Filter | nodes.FilterBlock, scope: Scope) -> None:
        if isinstance(node, nodes.FilterBlock):
            self.walk_all(node.body, scope)
            self.visit_Filter(node.filter, scope)
            return
        if node.name == "safe":
            self.add(node, "safe", "unsafe-template", "`| safe` would let order data become HTML",
                     "remove it; values are escaped for a reason")
        elif node.name not in self.filters:
            self.add(node, node.name, "unknown-filter", f"unknown filter `{node.name}`",
                     did_you_mean(node.name, self.filters)
                     or f"allowed: {', '.join(sorted(self.filters))}")
        self.in_replace += node.name == "replace"
        self.walk(node.node, scope)
        self.in_replace -= node.name == "replace"
        self.walk_all([*node.args, *node.kwargs, node.dyn_args, node.dyn_kwargs], scope)

    visit_FilterBlock = visit_Filter

    def visit_Call(self, node: nodes.Call, scope: Scope) -> None:
        fn = node.node
        if isinstance(fn, nodes.Name) and fn.name == "range" and _lookup(scope, "range") is None:
            for arg in node.args:
                if isinstance(arg, nodes.Const) and isinstance(arg.value, int) and abs(arg.value) > MAX_RANGE:
                    self.add(node, "range", "unsafe-template",
                             f"range() over {arg.value:,} items; the sandbox stops at {MAX_RANGE:,}",
                             "loop over order.jobs instead of a counted range")
        if not _builtin_call(fn, scope):
            self.walk(fn, scope)
        self.walk_all([*node.args, *node.kwargs, node.dyn_args, node.dyn_kwargs], scope)

    def visit_Mul(self, node: nodes.Mul, scope: Scope) -> None:
        sides = (node.left, node.right)
        counts = [s.value for s in sides if isinstance(s, nodes.Const) and isinstance(s.value, int)]
        if any(c > MAX_REPEAT for c in counts) and any(
                isinstance(s, (nodes.Const, nodes.List)) and not isinstance(getattr(s, "value", ""), int)
                for s in sides):
            self.add(node, "*", "unsafe-template", "repeating text thousands of times is refused",
                     "write the text out")
        self.walk(node.left, scope)
        self.walk(node.right, scope)


def scan(tree: nodes.Template, ctx: Context) -> list[Finding]:
    scanner = Scanner(ctx)
    scanner.walk_all(tree.body, [{}])
    return scanner.findings
