"""The `artfarm` command: one entry, subcommands registered by one module per area.

Every subcommand returns an exit code; an `ArtfarmError` is printed as its problems (or as
NDJSON records with `--json`) and exits 1, never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from artfarm.problems import ArtfarmError, filesystem_problem, problems_as_json

from . import (
    board_cmds,
    book_cmds,
    layout_cmds,
    mcp_cmds,
    ops_cmds,
    pipeline_cmds,
    provenance_cmds,
    service_cmds,
    sketch_cmds,
)

AREAS = (
    book_cmds,
    sketch_cmds,
    service_cmds,
    layout_cmds,
    pipeline_cmds,
    provenance_cmds,
    board_cmds,
    mcp_cmds,
    ops_cmds,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="artfarm",
        description="Picture book plan → ComfyUI renders → print-ready PDF.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for area in AREAS:
        area.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ArtfarmError as err:
        if getattr(args, "json", False):
            print(problems_as_json(err.problems))
        else:
            for problem in err.problems:
                print(f"error: {problem.line()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `artfarm prompt ... | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as err:  # a read-only folder, a full disk: the path and the cause, one line
        print(f"error: {filesystem_problem(err).line()}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
