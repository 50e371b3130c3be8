"""The template sandbox and its deterministic limits: steps (calls, look-ups, operators, loop
items, printed values), the size of every value a template builds, `**`, `*` repetition and
range(). The same template and values meet the same verdict on every machine, so `validate`
(checks/render_all.py) finds a template that would fail at send time."""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Iterator
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from mailgitops.errors import RenderLimitError, RenderTimeout

MAX_OUTPUT_CHARS = 500_000
MAX_VALUE_CHARS = MAX_OUTPUT_CHARS  # no string or list a template builds may be longer
MAX_STEPS = 200_000  # calls, attribute look-ups, operators, loop items, printed values
# The deterministic caps above decide whether a template is refused (exit 1, the same on every
# machine, so `validate` finds it first). The clock is only a safety net for a machine too busy
# to finish: that is a reason to retry (exit 75), never to refuse the event.
MAX_RENDER_SECONDS = 10.0
MAX_RANGE = 10_000
MAX_POWER = 1_000
MAX_REPEAT = 100_000

DEADLINE: contextvars.ContextVar[float] = contextvars.ContextVar("mailgitops_render_deadline", default=0.0)
STEPS: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("mailgitops_steps", default=None)




def check_deadline() -> None:
    deadline = DEADLINE.get()
    if deadline and time.monotonic() > deadline:
        raise RenderTimeout(f"rendering took longer than {MAX_RENDER_SECONDS:g} s on this machine")


def step() -> None:
    steps = STEPS.get()
    if steps is not None:
        steps[0] -= 1
        if steps[0] < 0:
            raise RenderLimitError(f"the template does more than {MAX_STEPS:,} steps (a loop or "
                                   "recursion that does not end soon enough)")


def measured(value: Any) -> Any:
    """A value a template made, refused when it grew beyond MAX_VALUE_CHARS (string doubling)."""
    if isinstance(value, str | list | tuple) and len(value) > MAX_VALUE_CHARS:
        raise RenderLimitError(f"the template builds a value longer than {MAX_VALUE_CHARS:,} characters")
    return value


def safe_range(*args: int) -> Iterator[int]:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise SecurityError(f"range() is limited to {MAX_RANGE:,} items")
    for i in r:
        step()  # empty loop bodies make no output and call nothing: count the items themselves
        check_deadline()
        yield i


class _CountingCodeGenerator(CodeGenerator):
    """`a ~ b` compiles to a join that never meets the environment: wrap it so that its result is
    measured like every other value a template builds."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.sized(")
        super().visit_Concat(node, frame)
        self.write(")")


class LimitedSandbox(SandboxedEnvironment):
    """The sandbox plus deterministic caps: steps (calls, look-ups, operators, loop items), the
    size of every value built, `**`, and repeating strings and lists with `*`."""

    intercepted_binops = frozenset(["*", "**", "+"])
    code_generator_class = _CountingCodeGenerator

    @staticmethod
    def sized(value: Any) -> Any:
        return measured(value)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        step()
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_POWER:
            raise SecurityError(f"powers above {MAX_POWER} are not allowed in templates")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise SecurityError(f"repeating more than {MAX_REPEAT:,} items is not allowed")
        return measured(super().call_binop(context, operator, left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        step()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        step()
        return super().getitem(obj, argument)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        step()  # every call from a template passes here: macros (recursion too), methods, globals
        return measured(super().call(__context, __obj, *args, **kwargs))


def counted(f: Any) -> Any:
    """A filter that counts as a step and whose result is measured (`replace` can double text too)."""
    @functools.wraps(f)  # keeps jinja_pass_arg: pass_context filters still get their context
    def filter_(*args: Any, **kwargs: Any) -> Any:
        step()
        return measured(f(*args, **kwargs))
    return filter_
