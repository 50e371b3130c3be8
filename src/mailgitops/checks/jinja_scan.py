"""Static analysis of one Jinja source: walks the tree for names, filters and unsafe constructs."""

from __future__ import annotations

from collections.abc import Iterable

from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from jinja2.tests import TESTS

from mailgitops.checks.bare_times import bare_time
from mailgitops.checks.date_patterns import confusable
from mailgitops.checks.jinja_loops import not_a_list
from mailgitops.checks.jinja_names import (
    Context,
    Finding,
    NameChecker,
    Scope,
    bound,
    builtin_call,
    chain,
    lookup,
)
from mailgitops.render import jinja_env, sandbox
from mailgitops.render.formats import FORMAT_HINT, format_problem
from mailgitops.suggest import did_you_mean

__all__ = ["Context", "Finding", "environment", "scan"]

SAFE_BUILTIN_FILTERS = frozenset({
    "default", "d", "upper", "lower", "title", "capitalize", "trim", "join", "length", "count",
    "round", "replace", "truncate", "first", "last", "int", "float", "string", "abs", "format",
    "wordcount", "e", "escape", "sort", "sum", "min", "max",
})
# the renderer's limits, found here before anything is rendered
MAX_RANGE = sandbox.MAX_RANGE
MAX_REPEAT = sandbox.MAX_REPEAT


def environment() -> SandboxedEnvironment:
    """The renderer's own environment (render/jinja_env.py), for parsing only: the checks read a
    template exactly as it will be rendered. Parsing does not depend on the language."""
    return jinja_env.environment("en")


class Scanner(NameChecker):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.filters = SAFE_BUILTIN_FILTERS | frozenset(ctx.cat.filters)

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

    def visit_Output(self, node: nodes.Output, scope: Scope) -> None:
        self.findings.extend(f for child in node.nodes if (f := bare_time(child, scope, self.ctx.cat)))
        self.printing += 1
        self.walk_all(node.nodes, scope)
        self.printing -= 1

    def guarded(self, test: nodes.Node, scope: Scope) -> frozenset[str]:
        """Walk an `{% if %}` test (it reads values, it prints none) and return the names it reads."""
        names: set[str] = set()
        printing, self.printing = self.printing, 0
        self.collecting.append(names)
        self.walk(test, scope)
        self.collecting.pop()
        self.printing = printing
        return frozenset(names)

    def visit_If(self, node: nodes.If, scope: Scope) -> None:
        # the test's names guard every branch: `{% if x %}{{ x }}{% else %}-{% endif %}` is the
        # common case, and a branch that prints x where the test said it is missing is rare
        self.guards.append(self.guarded(node.test, scope))
        self.walk_all(node.body, scope)
        self.walk_all(node.elif_, scope)
        self.walk_all(node.else_, scope)
        self.guards.pop()

    def visit_CondExpr(self, node: nodes.CondExpr, scope: Scope) -> None:
        self.guards.append(self.guarded(node.test, scope))
        self.walk(node.expr1, scope)
        self.walk(node.expr2, scope)
        self.guards.pop()

    def visit_Compare(self, node: nodes.Compare, scope: Scope) -> None:
        ordering = any(op.op in ("gt", "gteq", "lt", "lteq") for op in node.ops)
        for operand in (node.expr, *(op.expr for op in node.ops)):
            direct = ordering and isinstance(operand, (nodes.Getattr, nodes.Name))
            self.comparing += direct
            self.walk(operand, scope)
            self.comparing -= direct

    def compared(self, node: nodes.Node, name: str, shown: str) -> None:
        """`{% if order.price > 1000 %}`: an event without the price makes the test itself fail."""
        guaranteed = self.ctx.guaranteed
        if guaranteed is None or name in guaranteed or self.defaulted or any(name in g for g in self.guards):
            return
        self.add(node, shown, "optional-value-unguarded",
                 f"`{shown}` may be missing from an event, and comparing a missing value fails the whole "
                 "email", f"test that it is there first: {{% if {shown} and {shown} > ... %}}")

    def visit_Name(self, node: nodes.Name, scope: Scope) -> None:
        if node.ctx == "load":
            self.reference(node, scope)

    def visit_Getattr(self, node: nodes.Getattr, scope: Scope) -> None:
        self.reference(node, scope)

    def visit_Getitem(self, node: nodes.Getitem, scope: Scope) -> None:
        base, _ = chain(node)
        if base is node:  # x[expr]: check x, then the index
            self.walk(node.node, scope)
            self.walk(node.arg, scope)
        else:
            self.reference(node, scope)

    def visit_For(self, node: nodes.For, scope: Scope) -> None:
        self.walk(node.iter, scope)
        frame = {"loop": "any" if node.recursive else "loop"}
        wrong = not_a_list(node.iter, scope, self.ctx.cat)
        if wrong is not None:  # one error here; the loop's body is not judged by a wrong binding
            lists = sorted(n for n, v in self.ctx.cat.variables.items() if v.type == "list")
            self.add(node.iter, wrong[0], "loop-over-value",
                     f"`{wrong[0]}` is {wrong[1]}, not a list: `{{% for %}}` cannot go through it "
                     "item by item",
                     f"loop over a list ({', '.join(lists)}), or print it without a loop")
        self.bind(node.target, frame, "any" if wrong else bound(node.iter, scope, self.ctx.cat))
        self.walk(node.test, [*scope, frame])
        self.walk_all(node.body, [*scope, frame])
        self.walk_all(node.else_, scope)

    def visit_Assign(self, node: nodes.Assign, scope: Scope) -> None:
        self.walk(node.node, scope)
        if isinstance(node.target, nodes.NSRef):
            self.walk(node.target, scope)
        self.bind(node.target, scope[-1], bound(node.node, scope, self.ctx.cat))

    def visit_AssignBlock(self, node: nodes.AssignBlock, scope: Scope) -> None:
        self.walk_all(node.body, scope)
        self.walk(node.filter, scope)
        self.bind(node.target, scope[-1])

    def visit_With(self, node: nodes.With, scope: Scope) -> None:
        self.walk_all(node.values, scope)
        frame: dict[str, str] = {}
        for target, value in zip(node.targets, node.values, strict=False):
            self.bind(target, frame, bound(value, scope, self.ctx.cat))
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
                     did_you_mean(node.name, TESTS) or "e.g. `is defined`, `is none`, `is number`")
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
        if lookup(scope, node.name) is None:
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
        elif node.name in ("date", "datetime"):
            self._format(node)
        self.in_replace += node.name == "replace"
        self.defaulted += node.name in ("default", "d")
        self.walk(node.node, scope)
        self.defaulted -= node.name in ("default", "d")
        self.in_replace -= node.name == "replace"
        self.walk_all([*node.args, *node.kwargs, node.dyn_args, node.dyn_kwargs], scope)

    visit_FilterBlock = visit_Filter

    def _format(self, node: nodes.Filter) -> None:
        """A date or datetime format written in the template: checked here, not at the first email."""
        for k in node.kwargs:
            if k.key != "fmt":  # `date(format='long')`: would fail every email at its first date
                self.add(node, f"{k.key}=", "date-format", f"`{node.name}` takes no `{k.key}=`",
                         f"write the format as its only value: {node.name}('long'), {node.name}('d MMMM y')")
        given = node.args[0] if node.args else next((k.value for k in node.kwargs if k.key == "fmt"), None)
        if isinstance(given, nodes.Const) and (problem := format_problem(node.name, given.value)
                                               or confusable(node.name, given.value)):
            self.add(node, node.name, "date-format", f"`{node.name}({given.value!r})`: {problem}",
                     FORMAT_HINT)

    def visit_Call(self, node: nodes.Call, scope: Scope) -> None:
        fn = node.node
        if isinstance(fn, nodes.Name) and fn.name == "range" and lookup(scope, "range") is None:
            args = [a.value for a in node.args if isinstance(a, nodes.Const) and isinstance(a.value, int)]
            if args and len(args) == len(node.args) and len(args) <= 3 and 0 not in args[2:]:
                size = len(range(*args))
                if size > MAX_RANGE:
                    self.add(node, "range", "unsafe-template",
                             f"range() over {size:,} items; the renderer stops at {MAX_RANGE:,}",
                             "loop over order.jobs instead of a counted range")
        if not builtin_call(fn, scope):
            self.walk(fn, scope)
        self.walk_all([*node.args, *node.kwargs, node.dyn_args, node.dyn_kwargs], scope)

    def visit_Mul(self, node: nodes.Mul, scope: Scope) -> None:
        for seq, n in ((node.left, node.right), (node.right, node.left)):
            if (isinstance(n, nodes.Const) and isinstance(n.value, int) and isinstance(seq, nodes.Const)
                    and isinstance(seq.value, str) and len(seq.value) * n.value > MAX_REPEAT):
                self.add(node, "*", "unsafe-template",
                         f"repeating text to more than {MAX_REPEAT:,} characters is refused",
                         "write the text out")
        self.walk(node.left, scope)
        self.walk(node.right, scope)


def scan(tree: nodes.Template, ctx: Context) -> list[Finding]:
    scanner = Scanner(ctx)
    scanner.walk_all(tree.body, [{}])
    return scanner.findings
