"""Book subcommands: validate, prompt, schema, new-book, new-page."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from artfarm.documents.book import Book
from artfarm.documents.schemas import document_models, json_schema
from artfarm.problems import ArtfarmError
from artfarm.rendering.contenthash import page_content_hash
from artfarm.rendering.prompts import compile_prompts, template_context
from artfarm.scaffold import new_book, new_page
from artfarm.validate import book_warnings, validate_book


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check every document of a book; report all problems")
    p.add_argument("book", help="book folder, e.g. books/gingerbear_01")
    p.add_argument(
        "--json",
        action="store_true",
        help="NDJSON records {file, field, problem, fix, severity}, then one summary record",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("prompt", help="print the compiled prompts of a page (before any GPU time)")
    p.add_argument("book")
    p.add_argument("page", help="page number, or 'all'")
    p.add_argument("--json", action="store_true", help="one JSON record per page")
    p.add_argument("--context", action="store_true", help="print the template context instead")
    p.set_defaults(func=cmd_prompt)

    p = sub.add_parser("schema", help="print the JSON Schema of a document")
    p.add_argument("document", choices=sorted(document_models()))
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("new-book", help="scaffold books/<id>/: config, bible, layout, pages")
    p.add_argument("book_id")
    p.add_argument("--books", default="books", help="folder holding the books (default: books)")
    p.add_argument("--style-pack", default="watercolor_whimsy_v1")
    p.add_argument("--title")
    p.add_argument(
        "--pages", type=int, default=1, help="story pages to scaffold (spec + layout entry)"
    )
    p.set_defaults(func=cmd_new_book)

    p = sub.add_parser(
        "new-page", help="scaffold pages/NNNN/renderspec.json and its entry in layout/book.yaml"
    )
    p.add_argument("book")
    p.add_argument("page", nargs="?", type=int, help="page number (default: the next one)")
    p.set_defaults(func=cmd_new_page)


def cmd_validate(args: argparse.Namespace) -> int:
    """Problems fail (exit 1); warnings are printed but pass. --json ends with a summary."""
    problems = validate_book(args.book)
    warnings = book_warnings(args.book)
    if args.json:
        for severity, found in (("error", problems), ("warning", warnings)):
            for p in found:
                print(json.dumps({**p.record(), "severity": severity}, ensure_ascii=False))
        summary = {
            "summary": True,
            "book": args.book,
            "ok": not problems,
            "problems": len(problems),
            "warnings": len(warnings),
        }
        print(json.dumps(summary))
    else:
        for problem in problems:
            print(f"error: {problem.line()}", file=sys.stderr)
        for warning in warnings:
            print(f"warning: {warning.line()}", file=sys.stderr)
        if not problems:
            print(f"ok: {args.book} is valid ({len(warnings)} warning(s))")
        else:
            print(f"{len(problems)} problem(s) in {args.book}", file=sys.stderr)
    return 1 if problems else 0


def pages_of(book: Book, which: str) -> list[int]:
    if which == "all":
        return book.page_numbers()
    try:
        page = int(which)
    except ValueError:
        raise ArtfarmError.single(
            which, "page", "not a page number", "give a number or 'all'"
        ) from None
    if not book.spec_path(page).is_file():
        raise ArtfarmError.single(
            str(book.spec_path(page)), "", "page has no renderspec.json", "create it with new-page"
        )
    return [page]


def cmd_prompt(args: argparse.Namespace) -> int:
    book = Book.open(args.book)
    for page in pages_of(book, args.page):
        spec = book.load_spec(page)
        if args.context:
            context = template_context(spec, book.style_pack, book.bible)
            print(json.dumps(context, indent=2, sort_keys=True, ensure_ascii=False))
            continue
        prompts = compile_prompts(
            spec, book.style_pack, book.bible, book.templates_dir, source=str(book.spec_path(page))
        )
        digest = page_content_hash(book, spec)
        if args.json:
            record = {
                "page": page,
                "positive": prompts.positive,
                "negative": prompts.negative,
                "content_hash": digest,
            }
            print(json.dumps(record, ensure_ascii=False, sort_keys=True))
        else:
            print(f"# page {page:04d}  content {digest}")
            print(f"positive: {prompts.positive}")
            print(f"negative: {prompts.negative}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(args.document), indent=2, ensure_ascii=False))
    return 0


def cmd_new_book(args: argparse.Namespace) -> int:
    if not 0 <= args.pages <= 9999:
        raise ArtfarmError.single(str(args.pages), "--pages", "pages are 0..9999", "fix it")
    book = new_book(Path(args.books), args.book_id, args.style_pack, args.title, args.pages)
    print(book.root)
    return 0


def cmd_new_page(args: argparse.Namespace) -> int:
    print(new_page(Book.open(args.book), args.page))
    return 0
