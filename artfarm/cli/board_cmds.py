"""`artfarm board`: the review board, a book in a browser (see artfarm.board)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import artfarm


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "board",
        help="serve the review board: the book in a browser, reviews by clicking",
        description="Serves one book on 127.0.0.1 and prints a URL carrying a random token.",
    )
    p.add_argument("book")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8777, help="port (0: any free one)")
    p.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (token only!)"
    )
    p.add_argument("--reviewer", default="board", help="name written into reviews")
    p.add_argument("--snakefile", type=Path, help="default: the project's Snakefile")
    p.set_defaults(func=cmd_board)


def default_snakefile(root: Path) -> Path:
    """The project's own Snakefile, else the one beside the installed package."""
    own = root / "Snakefile"
    return own if own.is_file() else Path(artfarm.__file__).resolve().parent.parent / "Snakefile"


def cmd_board(args: argparse.Namespace) -> int:
    from artfarm.board.app import Board, BoardServer, check_host
    from artfarm.board.auth import new_token
    from artfarm.board.builds import BuildRunner
    from artfarm.cli.serving import serve_until_stopped
    from artfarm.documents.book import Book
    from artfarm.documents.settings import load_settings

    check_host(args.host, args.allow_remote)
    book = Book.open(args.book)
    settings = load_settings()
    target = Path("books") / book.id / "layout" / "pages.pdf"
    builds = BuildRunner(
        settings.root,
        args.snakefile or default_snakefile(settings.root),
        str(target),
        settings.runtime_path / "board" / f"{book.id}-build.log",
    )
    server = BoardServer(Board(book, builds, new_token(), args.reviewer), args.host, args.port)
    server.start()
    print(f"artfarm board for {book.root}: open {server.url}", flush=True)
    print("Ctrl-C stops the board (and a build it started)", file=sys.stderr)
    return serve_until_stopped(server)
