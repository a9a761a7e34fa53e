"""Write the generated tables of docs/builtin.md from the op spec (retouch.ops.catalog) and the planner.

    .venv/bin/python docs/make_builtin_tables.py           # rewrite the tables in docs/builtin.md
    .venv/bin/python docs/make_builtin_tables.py --check   # exit 1 if the committed docs are stale

The tables sit between the markers `<!-- spec-tables:begin -->` and `<!-- spec-tables:end -->`;
everything else in the page is written by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from retouch.ops.catalog import CATALOG, Param, PType
from retouch.planner.enhance import RECIPES

PAGE = Path(__file__).with_name("builtin.md")
BEGIN, END = "<!-- spec-tables:begin -->", "<!-- spec-tables:end -->"
MAX_WORDS = 14


def _param(name: str, p: Param) -> str:
    """One parameter: `name` type, default, range or choices, what + means."""
    bits = [p.type.value]
    if p.default is not None:
        bits.append(f"default {p.default}")
    if p.min is not None and p.max is not None and p.type in (PType.FLOAT, PType.INT, PType.REF):
        bits.append(f"{p.min:g}..{p.max:g}")
    if p.choices and p.type is PType.CHOICE:
        bits.append("|".join(p.choices))
    if p.positive:
        bits.append(f"+ = {p.positive}")
    return f"`{name}` " + ", ".join(bits)


def _words(op: str) -> str:
    """The words that name the op, with the direction they carry (+/−), shortened."""
    out: list[str] = []
    for w in CATALOG[op].words:
        mark = {1: "+", -1: "−"}.get(w.sign, "")
        out += [f"{mark}{p}" for p in w.phrases.split("|")]
    shown = " · ".join(out[:MAX_WORDS])
    return shown + (f" · … ({len(out)} in all)" if len(out) > MAX_WORDS else "")


def render() -> str:
    """The generated section (without the markers)."""
    lines = [
        "",
        "Generated from the op spec (`retouch.ops.catalog.CATALOG`) by `docs/make_builtin_tables.py`;",
        "do not edit by hand. `+word` carries the positive direction, `−word` the negative one; bare",
        "nouns take the direction of the sentence (\"lower the contrast\"). An op marked planned is named in",
        "the spec but has no implementation yet: the planner refuses it.",
        "",
        "| op | kind | parameters | words |",
        "|---|---|---|---|",
    ]
    for op, s in CATALOG.items():
        params = "<br>".join(_param(n, p) for n, p in s.params.items() if isinstance(p, Param)) or "—"
        status = "" if s.status == "ready" else " (planned)"
        kind = s.kind + ("" if s.regional else ", whole image")
        lines.append(f"| `{op}`{status} | {kind} | {params} | {_words(op) or '—'} |")
    lines += [
        "",
        "**The automatic-enhance family.** Vague wishes (\"make it better\", \"pop\", \"more natural\",",
        "\"fix the colours\") plan one of these recipes, picked by the words used:",
        "",
        "| recipe | for | steps | words |",
        "|---|---|---|---|",
    ]
    for r in RECIPES.values():
        steps = " + ".join(f"{op} {p}" if p else op for op, p in r.steps)
        lines.append(f"| `{r.name}` | {r.meaning} | {steps} | {' · '.join(r.words)} |")
    return "\n".join(lines) + "\n"


def updated(page: str) -> str:
    """The page with its generated section replaced."""
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{render()}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when docs/builtin.md is out of date")
    args = ap.parse_args(argv)
    page = PAGE.read_text(encoding="utf-8")
    new = updated(page)
    if args.check:
        if new != page:
            print("docs/builtin.md is stale: run docs/make_builtin_tables.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
