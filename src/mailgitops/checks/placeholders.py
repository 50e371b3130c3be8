"""The original product's `%OrderNumber%` placeholders (T5), found and translated to Jinja."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from mailgitops import catalog
from mailgitops.suggest import closest

# `{%name%}` is Jinja, so a `{` before or a `}` after the match rules it out
PLACEHOLDER = re.compile(r"(?<![{%\w])%([A-Za-z][A-Za-z0-9_]*)%(?![}\w])")

# the names the PRISMAdirect help pages use, where the snake_case guess would miss
KNOWN = {
    "ordernumber": "order.number", "orderid": "order.number", "ordername": "order.title",
    "ordertitle": "order.title", "orderstatus": "order.status", "status": "order.status",
    "orderlink": "order.url", "orderurl": "order.url", "hyperlinktoorder": "order.url",
    "linktoorder": "order.url", "duedate": "order.due_date", "deliverydate": "order.due_date",
    "orderdate": "order.submitted_at", "submissiondate": "order.submitted_at",
    "price": "order.price", "orderprice": "order.price", "totalprice": "order.price",
    "currency": "order.currency", "comment": "order.comment", "ordercomment": "order.comment",
    "deliverymethod": "order.delivery_method", "deliveryaddress": "order.delivery_address",
    "numberofjobs": "order.job_count", "customername": "customer.name", "username": "customer.name",
    "customeremail": "customer.email", "useremail": "customer.email", "companyname": "customer.company",
    "customercompany": "customer.company", "department": "customer.company",
    "customerphone": "customer.phone", "jobname": "job.name", "copies": "job.copies",
    "numberofcopies": "job.copies", "pages": "job.pages", "numberofpages": "job.pages",
    "jobprice": "job.price", "productname": "job.product.name", "product": "job.product.name",
    "paper": "job.product.paper", "media": "job.product.paper", "colour": "job.product.colour",
    "color": "job.product.colour", "sides": "job.product.sides", "finishing": "job.product.finishing",
    "operatorname": "operator.name", "operatoremail": "operator.email", "approvername": "approver.name",
    "costcentre": "cost_centre.name", "costcenter": "cost_centre.name", "printroomname": "printroom.name",
    "webshopname": "webshop.name", "webshop": "webshop.name", "trackingnumber": "delivery.tracking_number",
}


@dataclass(frozen=True, slots=True)
class Placeholder:
    line: int  # 0-based line within the scanned text
    col: int  # 0-based
    text: str  # `%OrderNumber%`
    jinja: str | None  # `order.number`, when one fits


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def translate(name: str) -> str | None:
    """`OrderNumber` -> `order.number`: the table first, then the catalog's names with `_` for `.`."""
    key = name.replace("_", "").lower()
    if key in KNOWN:
        return KNOWN[key]
    by_flat = {v.replace(".", "_"): v for v in catalog.variables()}
    snake = _snake(name)
    if snake in by_flat:
        return by_flat[snake]
    guess = closest(snake, by_flat)
    return by_flat[guess] if guess else None


def find(text: str) -> Iterator[Placeholder]:
    for lineno, line in enumerate(text.split("\n")):
        if "%" not in line:
            continue
        for m in PLACEHOLDER.finditer(line):
            yield Placeholder(lineno, m.start(), m.group(0), translate(m.group(1)))
