"""`artfarm demo`: the sample book from specs to PDF, on the sketch server, with a scripted reviewer.

It runs the real pipeline (Snakemake) the way an agent would: render, stop at the reviews,
review (here by `artfarm review --auto`'s stated rule: the first image in id order), rebuild,
until `layout/pages.pdf` exists — the bible's rendered character sheets first (Phase 0: the
pages that use a sheet wait for it), then the pages. It only replaces reviews that are themselves automatic: a
review written by an agent or a person is never overwritten.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from artfarm.comfy import service
from artfarm.documents.book import Book
from artfarm.documents.settings import Settings, load_settings
from artfarm.pipeline import bible_items
from artfarm.pipeline.bible_items import auto_review_item, parse_item_arg
from artfarm.pipeline.reviewing import auto_review_drafts, auto_review_refine, load_review
from artfarm.pipeline.todo import Todo, book_todo
from artfarm.problems import ArtfarmError
from artfarm.rendering.modelstore import ModelStore, lock_book, read_lock, write_placeholders

MAX_ROUNDS = 6  # sheet drafts, sheet pick, page drafts, page pick, print, spare
DRAFT_STATES = {"awaiting-draft-review", "stale-draft-review"}
FINAL_STATES = {"awaiting-final-pick", "stale-final-review"}


def ensure_server(settings: Settings) -> bool:
    """This checkout's running server, else a sketch server of our own (True: we started it).

    A server some other checkout or program runs on the configured port is never used: ours
    then listens on a free port, and the pipeline uses it in place of the configured URL
    (`service.servers_in_use`).
    """
    url = settings.server_urls[0]
    record = service.read_pid(settings)
    if record and service.alive(record):
        print(
            f"demo: using this checkout's {record['kind']} server at {record['url']}",
            file=sys.stderr,
        )
        return False
    if service.url_for("127.0.0.1", settings.sketch.port) != url:
        raise ArtfarmError.single(
            "config/config.yaml",
            "servers",
            f"servers[0] is {url}, but the sketch server is configured for port "
            f"{settings.sketch.port}",
            "set sketch.port to match servers[0], or start your ComfyUI with "
            "`artfarm comfyui start` first",
        )
    record = service.start_sketch(settings, "127.0.0.1", settings.sketch.port, 60.0)
    where = record["url"]
    if record["stands_for"] != where:
        where += f", in place of {url} (taken by a server this checkout did not start)"
    print(f"demo: started the sketch server on {where} (pid {record['pid']})", file=sys.stderr)
    return True


def prepare_models(book: Book, settings: Settings) -> None:
    """Stand-in model files for the sketch server, and the book's lock if it has none."""
    store = ModelStore(settings.models_path)
    write_placeholders(book, store)
    if not read_lock(book):
        lock_book(book, store)


def snakemake(settings: Settings, target: Path) -> bool:
    command = [sys.executable, "-m", "snakemake", str(target)]
    return subprocess.run(command, cwd=settings.root, check=False).returncode == 0


def is_automatic(book: Book, page: int, stage: str) -> bool:
    review = load_review(book, page)
    section = None if review is None else (review.draft if stage == "draft" else review.refine)
    return section is None or section.automatic


def review_waiting_pages(book: Book) -> int:
    """Review every page that waits (or whose automatic review went stale); returns how many."""
    done = 0
    for todo in book_todo(book):
        if todo.sheet:
            done += review_waiting_sheet(book, todo)
        elif todo.state in DRAFT_STATES and is_automatic(book, todo.page, "draft"):
            auto_review_drafts(book, todo.page)
            done += 1
        elif todo.state in FINAL_STATES and is_automatic(book, todo.page, "refine"):
            auto_review_refine(book, todo.page)
            done += 1
    return done


def review_waiting_sheet(book: Book, todo: Todo) -> int:
    """A rendered bible item (sheet or golden image) waiting for its (automatic) review gets
    one; returns 1 if it did."""
    item = parse_item_arg(todo.sheet)
    stage = "draft" if todo.state in DRAFT_STATES else "refine"
    if item is None or todo.state not in DRAFT_STATES | FINAL_STATES:
        return 0
    if not bible_items.is_automatic(book, item, stage):
        return 0
    auto_review_item(book, item, stage)
    return 1


def run_demo(book_dir: str | Path, settings: Settings | None = None) -> Path:
    settings = settings or load_settings()
    book = Book.open(book_dir)
    target = Path("books") / book.id / "layout" / "pages.pdf"
    began = time.monotonic()
    started = ensure_server(settings)
    try:
        prepare_models(book, settings)
        for round_number in range(1, MAX_ROUNDS + 1):
            print(f"demo: round {round_number}: snakemake {target}", file=sys.stderr)
            if snakemake(settings, target):
                break
            reviewed = review_waiting_pages(book)
            if not reviewed:
                raise ArtfarmError.single(
                    str(book.root),
                    "",
                    "the pipeline stopped and no page waits for an automatic review",
                    f"read the errors above, or `artfarm next {book.root}`",
                )
            print(
                f"demo: the scripted reviewer reviewed {reviewed} page(s) or bible item(s)",
                file=sys.stderr,
            )
        else:
            raise ArtfarmError.single(str(book.root), "", "the book did not finish", "see above")
    finally:
        if started:
            service.stop(settings)
            print("demo: stopped the sketch server", file=sys.stderr)
    print(f"demo: done in {time.monotonic() - began:.0f} s", file=sys.stderr)
    return settings.root / target
