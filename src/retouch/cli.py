"""The `retouch` command line: edit, batch, explain, engines, serve, keys.

Errors are one `error: ...` line on stderr with a non-zero exit, never a traceback,
and no output file is written.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import RetouchError, with_hint

if TYPE_CHECKING:
    from .batches import BatchResult
    from .schema import EditPlan

EXIT_USAGE = 2
EXIT_FAILED = 1

EDIT_EXAMPLES = """examples:
  retouch edit photo.jpg -p "brighten by 20% and add a subtle vignette" -o out.jpg
  retouch edit product.png -p "put the product on a pure white background" -o white.png
  retouch edit product.png -p "cut out the product" -o cutout.webp --background transparent
  retouch edit scene.png --mask mask.png -p "remove this" -o clean.png
  retouch edit photo.jpg grade.jpg -p "match the colours of the second image" -o matched.png
  retouch edit photo.jpg -p "increase the saturation slightly" --size 3:2 -o wide.png
  retouch explain -p "brighten by 20%" --json > plan.json   # edit the amounts, then:
  retouch edit photo.jpg --plan plan.json -o out.png
  retouch edit photo.jpg -p "+40% contrast" -o v1.png --save-plan v1.json
  retouch edit photo.jpg --after v1.json -p "a bit less" -o v2.png   # contrast +20% of photo.jpg
"""

BATCH_EXAMPLES = """examples:
  retouch batch shots/*.jpg -p "make them black and white" --out-dir bw/
  retouch batch *.png -p "pure white background, crop to a square" --out-dir shop/ -j 2 --output-format webp
  retouch batch shoot/*.jpg --consistent --out-dir uniform/ -j 2 --contact-sheet sheet.jpg
  retouch batch shoot/*.jpg -p "put them on a white background, make them consistent" --out-dir shop/
  retouch batch shoot/*.jpg -p "match them all to the first one" --out-dir matched/ --dry-run
  retouch batch shots/*.jpg --plan plan.json --out-dir graded/   # the same (edited) plan on every image
"""


class CliError(Exception):
    """A usage problem found by argparse: reported as one `error:` line."""


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so errors stay one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{message} (see '{self.prog} --help')")


def add_output_options(p: argparse.ArgumentParser) -> None:
    """Options shared by edit and batch."""
    p.add_argument("--mask", metavar="PATH", help="PNG mask: alpha 0 (or white without alpha) marks the area to edit")
    p.add_argument("--size", default="auto", help="auto | WxH | 1:1 | 2:3 | 3:2 (default: auto = keep the input's)")
    p.add_argument(
        "--quality",
        default="auto",
        choices=["low", "medium", "high", "auto"],
        help="speed/fidelity trade-off (default: auto = medium)",
    )
    p.add_argument(
        "--output-format",
        choices=["png", "jpeg", "webp"],
        help="default: from the output file's extension, else png",
    )
    p.add_argument(
        "--output-compression",
        type=int,
        metavar="0-100",
        help="jpeg/webp quality, OpenAI-style: 100 = best, lower = smaller",
    )
    p.add_argument(
        "--background",
        default="auto",
        choices=["auto", "transparent", "opaque"],
        help="transparent cuts the subject out (png/webp)",
    )
    p.add_argument("--engine", default="builtin", help="engine name (default: builtin); see 'retouch engines'")
    p.add_argument("--model", help="model for engines that have several")


def build_parser() -> Parser:
    """The argument parser with every subcommand."""
    parser = Parser(prog="retouch", description="Natural-language image editing: exact, fast, offline.")
    parser.add_argument("--version", action="version", version=f"retouch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser(
        "edit",
        help="edit an image as the prompt says",
        epilog=EDIT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="first image is edited; further ones are references")
    given = p.add_mutually_exclusive_group(required=True)
    given.add_argument("-p", "--prompt", help="the instruction, in plain words")
    given.add_argument(
        "--plan",
        metavar="PLAN.json",
        help="run this plan instead of a prompt (what 'retouch explain --json' prints, edited at will)",
    )
    p.add_argument(
        "--after",
        metavar="PLAN.json",
        help="a follow-up: read the prompt against the plan that made the version being edited ('a bit less', "
        "'undo the vignette') and run the revised plan on that version's original INPUT",
    )
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="where to write the result")
    p.add_argument("-n", type=int, default=1, help="number of outputs (out.png, out-2.png, ...)")
    add_output_options(p)
    p.add_argument("--show-plan", action="store_true", help="print the plan that ran")
    p.add_argument(
        "--save-plan", metavar="PATH", help="also write the plan that ran as JSON (for --plan or --after later)"
    )

    p = sub.add_parser(
        "batch",
        help="edit every input with the same prompt; --consistent makes the set look like one shoot",
        epilog=BATCH_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT")
    p.add_argument("-p", "--prompt", default="", help="the instruction for every image (optional with --consistent)")
    p.add_argument("--plan", metavar="PLAN.json", help="run this plan on every image instead of a prompt")
    p.add_argument("--out-dir", required=True, metavar="DIR", help="writes DIR/<input stem>.<ext>")
    p.add_argument("-j", "--jobs", type=int, default=1, help="images edited in parallel (default 1)")
    p.add_argument(
        "--consistent",
        action="store_true",
        help="make the set uniform: same exposure, white balance, framing and size (words such as "
        "'make them consistent' in the prompt do the same)",
    )
    p.add_argument(
        "--consistency",
        metavar="ASPECTS",
        help="what to make the same, comma-separated: tone, color, framing, background (implies --consistent)",
    )
    p.add_argument(
        "--reference",
        metavar="REF",
        help="match the set to this instead of its median: an input's number (1 = first, 'last') or an image file",
    )
    p.add_argument("--dry-run", action="store_true", help="print each image's plan; write nothing")
    p.add_argument("--show-plan", action="store_true", help="print each image's plan that ran")
    p.add_argument("--contact-sheet", metavar="PATH", help="also write a before/after contact sheet of the set")
    add_output_options(p)

    p = sub.add_parser("explain", help="show the plan for a prompt without running it")
    p.add_argument("-p", "--prompt", required=True)
    p.add_argument("--images", type=int, default=1, help="how many images the edit would get")
    p.add_argument("--mask", action="store_true", help="plan as if a mask were given")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.add_argument(
        "--after",
        metavar="PLAN.json",
        help="read the prompt as a follow-up to this plan ('a bit less', 'undo the vignette'); prints the revised plan",
    )
    p.add_argument("--amounts", action="store_true", help="also print the table of amount words")
    p.add_argument("--engine", default="builtin", help="plan as this engine would (e.g. auto shows the routing)")

    sub.add_parser("engines", help="list the engines and whether each is ready")

    try:
        from .service.cli import add_keys_parser, add_serve_parser, add_worker_parser
    except ImportError:  # the server extra is not installed
        p = sub.add_parser("serve", help="run the HTTP API and web UI (needs: pip install 'retouch[server]')")
        p.set_defaults(missing_extra="server")
        p = sub.add_parser("worker", help="run job workers without HTTP (needs: pip install 'retouch[server]')")
        p.set_defaults(missing_extra="server")
    else:
        add_serve_parser(sub)
        add_worker_parser(sub)
        add_keys_parser(sub)
    return parser


def cmd_edit(args: argparse.Namespace) -> int:
    """`retouch edit`."""
    from .editing import edit

    plan = read_plan_file(args.plan) if args.plan is not None else None
    after = read_plan_file(args.after, "--after") if args.after is not None else None
    if after is not None and plan is not None:
        raise CliError("--after reads a prompt against a previous plan: give -p, not --plan")
    check_common(args, prompt_optional=plan is not None)
    if args.n < 1 or args.n > 10:
        raise CliError("-n must be between 1 and 10")
    out = Path(args.output)
    if out.is_dir():
        raise CliError(f"output path {out} is a directory; give a file name like {out / 'result.png'}")
    if not out.parent.exists():
        raise CliError(f"output folder {out.parent} does not exist")
    save_to = Path(args.save_plan) if args.save_plan else None
    if save_to is not None and (save_to.is_dir() or not save_to.parent.exists()):
        raise CliError(f"cannot write the plan to {save_to}: give a file name in an existing folder")
    result = edit(
        args.inputs,
        args.prompt or "",
        plan=plan,
        after=after,
        output=out,
        mask=args.mask,
        size=args.size,
        quality=args.quality,
        output_format=args.output_format,
        output_compression=args.output_compression,
        background=args.background,
        n=args.n,
        engine=args.engine,
        model=args.model,
    )
    if args.show_plan:
        print(result.plan.describe())
    if save_to is not None:
        from .editing import write_atomic

        write_atomic(save_to, result.plan.model_dump_json(indent=2).encode())
    return 0


def read_plan_file(path: str, flag: str = "--plan") -> EditPlan:
    """--plan/--after: the file's plan, checked against the op spec before any image is read."""
    from .plans import PlanError, load_plan

    p = Path(path)
    if not p.is_file():
        raise CliError(f"plan file not found: {path}" if flag == "--plan" else f"{flag} plan file not found: {path}")
    try:
        return load_plan(p.read_bytes())
    except PlanError as e:
        if flag == "--plan":
            raise
        raise PlanError(f"{flag} {path}: {e.message}", step=e.step, op=e.op, field=e.field) from None


def check_common(args: argparse.Namespace, *, prompt_optional: bool = False) -> None:
    """Cheap checks before any image is read."""
    if not (args.prompt or "").strip() and not prompt_optional:
        raise CliError('the prompt is empty: say what to change, e.g. -p "brighten by 20%"')
    if args.output_compression is not None and not 0 <= args.output_compression <= 100:
        raise CliError("--output-compression must be between 0 and 100")
    for path in args.inputs + ([args.mask] if args.mask else []):
        if not Path(path).is_file():
            what = "mask" if path == args.mask else "input image"
            raise CliError(f"{what} not found: {path}")


def cmd_batch(args: argparse.Namespace) -> int:
    """`retouch batch`: one output per input, in parallel with -j, a progress bar on a terminal."""
    from .editing import batch

    consistent = args.consistency or args.consistent
    plan = read_plan_file(args.plan) if args.plan is not None else None
    if plan is not None and args.prompt.strip():
        raise CliError("give -p/--prompt or --plan, not both")
    check_common(args, prompt_optional=bool(consistent or args.reference or plan is not None))
    if args.jobs < 1:
        raise CliError("-j must be at least 1")
    reference = parse_reference(args.reference)
    if args.contact_sheet and Path(args.contact_sheet).suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise CliError("--contact-sheet needs a .png, .jpg or .webp file name")
    with progress_bar(len(args.inputs)) as update:
        result = batch(
            args.inputs,
            args.prompt,
            plan=plan,
            out_dir=None if args.dry_run else args.out_dir,
            consistent=consistent,
            reference=reference,
            mask=args.mask,
            size=args.size,
            quality=args.quality,
            output_format=args.output_format or "png",
            output_compression=args.output_compression,
            background=args.background,
            engine=args.engine,
            model=args.model,
            jobs=args.jobs,
            dry_run=args.dry_run,
            progress=update,
        )
    if args.dry_run or args.show_plan:
        print_batch_plans(result)
    if args.contact_sheet and not args.dry_run:
        write_contact_sheet(result, args.contact_sheet)
    for item in result.failures:
        print(f"error: {item.source}: {with_hint(item.error, 'cli')}", file=sys.stderr)
    return EXIT_FAILED if result.failures else 0


def parse_reference(ref: str | None) -> int | str | None:
    """--reference: an input number (1-based; 'first', 'last'), else an image file that must exist."""
    if ref is None:
        return None
    word = ref.strip().lower()
    if word.lstrip("-").isdigit():
        return int(word)
    if word in ("first", "last"):
        return 1 if word == "first" else -1
    if not Path(ref).is_file():
        raise CliError(f"reference image not found: {ref} (give an input's number, e.g. 1, or an image file)")
    return ref


def print_batch_plans(result: BatchResult) -> None:
    """The set's target, then each image's plan."""
    if result.consistency is not None and result.target is not None:
        w, h = result.target.size
        print(f"{result.consistency.describe()}; every output {w}x{h}")
    for item in result.items:
        print(f"{item.source}:")
        if item.plan is None:
            print("  (not planned: it could not be read)")
            continue
        for line in item.plan.describe().splitlines() or ["(nothing to change)"]:
            print(f"  {line}")


def write_contact_sheet(result: BatchResult, path: str) -> None:
    """Inputs over outputs, one column per image (small copies; unreadable ones left empty)."""
    from .consistency.sheet import contact_sheet
    from .editing import write_atomic
    from .imaging import encode_image

    before = [Path(i.source).read_bytes() if Path(i.source).is_file() else None for i in result.items]
    after = [i.output.read_bytes() if i.ok and i.output is not None else None for i in result.items]
    suffix = Path(path).suffix.lower()
    fmt = "jpeg" if suffix in (".jpg", ".jpeg") else suffix[1:]
    sheet = contact_sheet(before, after)
    write_atomic(Path(path), encode_image(sheet, fmt, compression=None if fmt == "png" else 88))


class progress_bar:  # lower-case: used like a function in a with statement
    """A rich progress bar on a terminal, silent otherwise; yields `update(stage, done, total)`."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.progress = None

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self.progress = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("editing", total=self.total)
            return self.update
        return lambda stage, done, total: None

    def update(self, stage: str, done: int, total: int) -> None:
        """Show how far a stage ("measuring", "editing") is."""
        if self.progress is not None:
            self.progress.update(self.task, description=stage, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


def cmd_explain(args: argparse.Namespace) -> int:
    """`retouch explain`: the plan and, on request, the amounts table."""
    from .editing import explain

    if not args.prompt.strip():
        raise CliError('the prompt is empty: say what to change, e.g. -p "brighten by 20%"')
    after = read_plan_file(args.after, "--after") if args.after is not None else None
    plan = explain(args.prompt, n_images=args.images, has_mask=args.mask, engine=args.engine, after=after)
    if args.json:
        print(plan.model_dump_json(indent=2))
    else:
        print(plan.describe())
    if args.amounts:
        from .planner import AMOUNTS_TABLE

        print("\namount words:")
        for words, meaning in AMOUNTS_TABLE:
            print(f"  {words:<40} {meaning}")
    return 0


def cmd_engines(args: argparse.Namespace) -> int:
    """`retouch engines`: each engine, its capabilities and readiness."""
    from .engines import available_engines, get_engine

    for name in available_engines():
        eng = get_engine(name)
        ok, why = eng.ready()
        # display names: "instruction", "mask-inpaint", ...
        feats = [f.removesuffix("_edit").replace("_", "-") for f in eng.capabilities.features()]
        print(f"{name:<10} {'ready' if ok else 'not ready':<10} {', '.join(feats)}  ({why})")
    return 0


COMMANDS = {"edit": cmd_edit, "batch": cmd_batch, "explain": cmd_explain, "engines": cmd_engines}


@functools.lru_cache(maxsize=1)
def _parser() -> argparse.ArgumentParser:
    """The parser, built once per process (building it costs more than planning a request)."""
    return build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run a subcommand; turn every user-facing failure into one `error:` line."""
    os.environ.setdefault("GLOG_minloglevel", "2")  # keep mediapipe's C++ logging quiet
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        parser = _parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        if getattr(args, "missing_extra", None):
            raise CliError(f"'{args.command}' needs the server extra: pip install 'retouch[server]'")
        handler = COMMANDS.get(args.command) or args.handler
        return handler(args)
    except CliError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except RetouchError as e:
        print(f"error: {with_hint(e, 'cli')}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: out of memory: try a smaller image or a lower --quality", file=sys.stderr)
        return EXIT_FAILED
    except OSError as e:
        print(f"error: {e.strerror or e}: {e.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_FAILED
    except Exception as e:  # a bug: still one line, the traceback only on request
        if os.environ.get("RETOUCH_DEBUG"):
            raise
        print(
            f"error: internal error ({type(e).__name__}: {e}); set RETOUCH_DEBUG=1 for a traceback",
            file=sys.stderr,
        )
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
