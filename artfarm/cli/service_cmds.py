"""`artfarm comfyui start|stop|status|doctor|paths|unit` and `artfarm models lock|placeholders|list`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the `artfarm` parser."""
    _register_comfyui(sub)
    _register_models(sub)


def _register_comfyui(sub: argparse._SubParsersAction) -> None:
    comfy = sub.add_parser("comfyui", help="run ComfyUI (or the sketch server) as a service")
    verbs = comfy.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    start = verbs.add_parser("start", help="start in the background, wait until it answers")
    start.add_argument("--sketch", action="store_true", help="the sketch server, not ComfyUI")
    start.add_argument("--listen", default="127.0.0.1", help="address (default 127.0.0.1)")
    start.add_argument("--port", type=int, default=None, help="default: from config.yaml")
    start.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --listen (no auth: put a proxy in front)",
    )
    start.add_argument("--timeout", type=float, default=None, help="seconds to wait for it")
    start.set_defaults(func=cmd_start)

    stop = verbs.add_parser("stop", help="stop the server artfarm started")
    stop.set_defaults(func=cmd_stop)

    cancel = verbs.add_parser(
        "cancel",
        help="take prompts off their server (queued: dropped, running: interrupted)",
        description="With no ids: every render this project has in flight (its job journal).",
    )
    cancel.add_argument("prompt_ids", nargs="*", help="prompt ids (default: the journal's)")
    cancel.add_argument("--url", default=None, help="server of the given ids (default: first)")
    cancel.set_defaults(func=cmd_cancel)

    status = verbs.add_parser("status", help="version, devices, VRAM, queue length")
    status.add_argument("--url", default=None, help="ask this server instead")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)

    doctor = verbs.add_parser(
        "doctor",
        help="check a running server for a book: version, nodes, models, lock, listen, flags",
        description="One line per finding with its fix; exit 1 on any problem.",
    )
    doctor.add_argument("--book", type=Path, default=None, help="books/<id>: its pins and lock")
    doctor.add_argument("--url", default=None, help="default: ours if running, else the first")
    doctor.add_argument("--json", action="store_true", help="one JSON record per finding")
    doctor.set_defaults(func=cmd_doctor)

    paths = verbs.add_parser("paths", help="write extra_model_paths.yaml for the model store")
    paths.set_defaults(func=cmd_paths)

    unit = verbs.add_parser("unit", help="print config/comfyui.service filled for this machine")
    unit.add_argument("--listen", default="127.0.0.1")
    unit.add_argument("--port", type=int, default=None)
    unit.add_argument("--allow-remote", action="store_true")
    unit.set_defaults(func=cmd_unit)


def _register_models(sub: argparse._SubParsersAction) -> None:
    models = sub.add_parser("models", help="the model store and books' model locks")
    verbs = models.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    lock = verbs.add_parser("lock", help="hash the store; write a book's models.lock.json")
    lock.add_argument("--book", type=Path, default=None, help="books/<id>: lock its pins")
    lock.add_argument("--repin", action="store_true", help="accept changed model files")
    lock.set_defaults(func=cmd_lock)

    holders = verbs.add_parser(
        "placeholders", help="small stand-in files for a book's pins (sketch server), then lock"
    )
    holders.add_argument("book", type=Path)
    holders.set_defaults(func=cmd_placeholders)

    listing = verbs.add_parser("list", help="model files in the store")
    listing.set_defaults(func=cmd_list)


# ------------------------------------------------------------------------------- comfyui


def cmd_start(args: argparse.Namespace) -> int:
    from artfarm.comfy import service
    from artfarm.documents.settings import load_settings

    settings = load_settings()
    service.check_listen(args.listen, args.allow_remote)
    timeout = args.timeout or (30.0 if args.sketch else 180.0)
    if args.sketch:
        port = args.port or settings.sketch.port
        record = service.start_sketch(settings, args.listen, port, timeout)
    else:
        port = args.port or settings.comfyui.port
        launch = service.comfyui_launch(settings, args.listen, port)
        record = service.start(settings, launch, timeout)
    print(f"{record['kind']} server up on {record['url']} (pid {record['pid']})")
    if record["stands_for"] != record["url"]:
        print(
            f"{record['stands_for']} was taken by a server this checkout did not start; this "
            f"checkout's pipeline uses {record['url']} in its place until `artfarm comfyui stop`"
        )
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from artfarm.comfy import service
    from artfarm.documents.settings import load_settings

    record = service.stop(load_settings())
    print(f"stopped {record['kind']} (pid {record['pid']})" if record else "nothing to stop")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    """Cancel the given prompts, or every in-flight job of the journal, each on its server."""
    from artfarm.comfy.client import ComfyClient
    from artfarm.comfy.credentials import request_headers
    from artfarm.comfy.journal import Journal
    from artfarm.documents.settings import load_settings

    settings = load_settings()
    journal = Journal(settings.runtime_path / "journal")
    if args.prompt_ids:
        url = (args.url or settings.server_urls[0]).rstrip("/")
        targets = [(url, pid, None) for pid in args.prompt_ids]
    else:
        targets = [(e.server, e.prompt_id or "", e) for e in journal.in_flight()]
    if not targets:
        print("nothing in flight")
        return 0
    for url, prompt_id, entry in targets:
        with ComfyClient(url, headers=request_headers(settings, url)) as client:
            done = client.cancel(prompt_id)
        if entry is not None and done:
            journal.mark(entry, "cancelled", f"cancelled {prompt_id} (artfarm comfyui cancel)")
        print(f"{url}: {prompt_id} {'cancelled' if done else 'not waiting (finished or unknown)'}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from artfarm.comfy import service
    from artfarm.documents.settings import load_settings

    info = service.status(load_settings(), args.url)
    if args.json:
        print(json.dumps(info))
        return 0 if info["up"] else 1
    if info.get("auth_problem"):
        print(f"error: {info['auth_problem']}", file=sys.stderr)
    if info.get("auth_refused"):
        sent = ", ".join(info["auth"]) or "no headers configured"
        print(f"{info['url']}: refused with HTTP {info['auth_refused']} ({sent})", file=sys.stderr)
        return 1
    if not info["up"]:
        print(f"{info['url']}: not answering", file=sys.stderr)
        return 1
    print(f"{info['url']}: ComfyUI {info.get('version')} ({info['whose']})")
    for dev in info.get("devices", []):
        total, free = dev.get("vram_total") or 0, dev.get("vram_free") or 0
        print(f"  {dev.get('name')}: VRAM {free / 2**30:.1f} / {total / 2**30:.1f} GiB free")
    print(f"  queue: {info.get('queue_remaining', '?')}")
    for server in info.get("servers", []):
        auth = ", ".join(server["auth"]) if server["auth"] else "none"
        print(f"  configured: {server['url']} — headers: {auth}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from artfarm.comfy import service
    from artfarm.comfy.credentials import request_headers
    from artfarm.comfy.doctor import diagnose
    from artfarm.documents.book import Book
    from artfarm.documents.settings import load_settings

    settings = load_settings()
    record = service.read_pid(settings)
    ours = record["url"] if record and service.alive(record) else None
    url = args.url or ours or service.servers_in_use(settings)[0]
    book = Book.open(args.book) if args.book else None
    findings = diagnose(settings, url, request_headers(settings, url), book)
    for finding in findings:
        print(json.dumps(finding.record()) if args.json else finding.line())
    return 0 if all(f.ok for f in findings) else 1


def cmd_paths(args: argparse.Namespace) -> int:
    from artfarm.comfy import service
    from artfarm.documents.settings import load_settings

    print(service.write_model_paths(load_settings()))
    return 0


def cmd_unit(args: argparse.Namespace) -> int:
    from artfarm.comfy import service
    from artfarm.documents.settings import load_settings

    settings = load_settings()
    service.check_listen(args.listen, args.allow_remote)
    print(service.render_unit(settings, args.listen, args.port or settings.comfyui.port), end="")
    return 0


# ------------------------------------------------------------------------------- models


def _store():
    from artfarm.documents.settings import load_settings
    from artfarm.rendering.modelstore import ModelStore

    return ModelStore(load_settings().models_path)


def cmd_lock(args: argparse.Namespace) -> int:
    from artfarm.documents.book import Book
    from artfarm.rendering.modelstore import ProgressBar, lock_book, lock_path

    store = _store()
    progress = ProgressBar()
    if args.book is None:
        hashes = store.hashes(store.files(), progress)
        for key, sha in sorted(hashes.items()):
            print(f"{sha}  {key}")
        return 0
    book = Book.open(args.book)
    hashes = lock_book(book, store, repin=args.repin, progress=progress)
    print(f"{lock_path(book)}: {len(hashes)} models locked")
    return 0


def cmd_placeholders(args: argparse.Namespace) -> int:
    from artfarm.documents.book import Book
    from artfarm.rendering.modelstore import lock_book, write_placeholders

    store = _store()
    book = Book.open(args.book)
    for path in write_placeholders(book, store):
        print(f"wrote {path}")
    lock_book(book, store)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    for ref in _store().files():
        print(ref.key)
    return 0
