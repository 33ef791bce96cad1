"""The command lines of the job scripts: scripts/stage.py, bible_item.py, contact_sheet.py.

Snakemake starts a new process for every job, so whatever a job imports before its work every
job pays for. These parsers import nothing heavy; a job imports the module that runs it only
once its arguments are read, and that module imports per stage what the stage uses (a select
job never loads the ComfyUI client). `--help` or a bad argument costs little more than argparse.

Exit statuses: 0 done, 1 failed (one `error:` line per problem in the log), 75 (`WAITING`) the
job waits for a review, 130 cancelled (Ctrl-C or SIGTERM; the client cancels its prompt).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from typing import TextIO

from artfarm.pipeline.awaiting import WAIT_MARK, WAITING, AwaitingReview
from artfarm.problems import ArtfarmError, filesystem_problem

# The choices, written out so parsing imports nothing; tests/pipeline/test_job_start.py checks
# them against stages.STAGES, bible_items.ITEM_STAGES and documents.bible's kinds.
PAGE_STAGES = ("draft", "final", "print", "refine", "select", "thumb")
ITEM_STAGES = ("draft", "draft-contact", "final", "refine", "refine-contact", "select")
ITEM_KINDS = ("sheet", "style")
SHEET_STAGES = ("draft", "refine")

STAGE_HELP = "The stages of one page, as the Snakemake rules run them (`scripts/stage.py`)."
ITEM_HELP = "Phase 0: the bible's rendered items, through the same loop as a page."
SHEET_HELP = (
    "Contact sheets: all candidates of a stage in one image an agent (a vision model) can read."
)


def stage_main(argv: list[str]) -> int:
    """scripts/stage.py STAGE BOOK PAGE: one stage of one page (artfarm.pipeline.stages)."""
    parser = argparse.ArgumentParser(prog="stage.py", description=STAGE_HELP)
    parser.add_argument("stage", choices=PAGE_STAGES)
    parser.add_argument("book")
    parser.add_argument("page", type=int)
    _job_options(parser)
    args = parser.parse_args(argv)
    log = _open_log(args.log)

    def job() -> None:
        from artfarm.pipeline.stages import run_stage

        run_stage(args.stage, args.book, args.page, params=args.params, log=log)

    return run_job(f"{args.stage} of page {args.page}", log, job)


def bible_item_main(argv: list[str]) -> int:
    """scripts/bible_item.py STAGE BOOK KIND ID: one stage of a bible item (bible_items)."""
    parser = argparse.ArgumentParser(prog="bible_item.py", description=ITEM_HELP)
    parser.add_argument("stage", choices=ITEM_STAGES)
    parser.add_argument("book")
    parser.add_argument("kind", choices=ITEM_KINDS)
    parser.add_argument("id")
    _job_options(parser)
    args = parser.parse_args(argv)
    log = _open_log(args.log)

    def job() -> None:
        from artfarm.documents.bible import BibleItem
        from artfarm.pipeline.bible_items import run_item_stage

        run_item_stage(args.stage, args.book, BibleItem(args.kind, args.id), args.params, log)

    return run_job(f"{args.stage} of {args.kind}:{args.id}", log, job)


def contact_sheet_main(argv: list[str]) -> int:
    """scripts/contact_sheet.py STAGE BOOK PAGE: prints the path of the page's contact sheet."""
    parser = argparse.ArgumentParser(prog="contact_sheet.py", description=SHEET_HELP)
    parser.add_argument("stage", choices=SHEET_STAGES)
    parser.add_argument("book")
    parser.add_argument("page", type=int)
    args = parser.parse_args(argv)
    try:
        from artfarm.documents.book import Book
        from artfarm.pipeline.contact_sheet import page_sheet

        print(page_sheet(Book.open(args.book), args.page, args.stage))
    except ArtfarmError as err:
        for problem in err.problems:
            print(f"error: {problem.line()}", file=sys.stderr)
        return 1
    except OSError as err:  # a read-only page folder, a full disk
        print(f"error: {filesystem_problem(err).line()}", file=sys.stderr)
        return 1
    return 0


def run_job(what: str, log: TextIO, job: Callable[[], None]) -> int:
    """Run `job`, turning how it ended into the exit status and one log line per problem."""
    signal.signal(signal.SIGTERM, _interrupted)  # a process manager stopping us: as Ctrl-C
    try:
        job()
        return 0
    except KeyboardInterrupt:  # the client has cancelled its prompt on the server
        print(f"cancelled: {what} (its prompt too)", file=log)
        return 130
    except AwaitingReview as err:  # the run summary says what waits; the log says why
        for problem in err.problems:
            print(f"{WAIT_MARK}{problem.line()}", file=log)
        return WAITING
    except ArtfarmError as err:
        for problem in err.problems:  # Snakemake shows the log of a failed job
            print(f"error: {problem.line()}", file=log)
        return 1
    except OSError as err:  # a read-only page folder, a full disk: nothing half-written
        print(f"error: {filesystem_problem(err).line()}", file=log)
        return 1
    finally:
        if log is not sys.stderr:
            log.close()


def _job_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", default="", help="the rule's content hash, for the record")
    parser.add_argument("--log", help="append progress here (errors also go to stderr)")


def _open_log(path: str | None) -> TextIO:
    return open(path, "a", encoding="utf-8") if path else sys.stderr


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
