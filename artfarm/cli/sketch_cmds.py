"""`artfarm sketch-server`: ComfyUI's API on this machine, drawing sketches instead of using a GPU."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from artfarm.problems import ArtfarmError


def register(sub: argparse._SubParsersAction) -> None:
    """Add this area's subcommands to the `artfarm` parser."""
    parser = sub.add_parser(
        "sketch-server",
        help="serve ComfyUI's API locally, drawing storyboard sketches (no GPU needed)",
        description="A stand-in for ComfyUI: same HTTP/WebSocket API, Pillow sketches as images.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow a non-loopback --host (no auth!)"
    )
    parser.add_argument("--port", type=int, default=8188)
    parser.add_argument("--root", type=Path, default=Path(".sketch-server"),
                        help="folder holding input/, output/ and temp/")  # fmt: skip
    parser.add_argument("--models", type=Path, default=None,
                        help="models folder: checkpoints/, loras/, vae/, controlnet/, ...")  # fmt: skip
    parser.add_argument("--step-seconds", type=float, default=0.0,
                        help="simulated seconds per sampler step")  # fmt: skip
    parser.add_argument("--load-seconds", type=float, default=0.0, metavar="S",
                        help="simulated seconds a model load costs (a loader not in the cache)")  # fmt: skip
    parser.add_argument("--cache-lru", type=int, default=0, metavar="N",
                        help="keep N node results across prompts, as ComfyUI's --cache-lru "
                        "(default: only the last prompt's, as ComfyUI's default cache)")  # fmt: skip
    parser.add_argument(
        "--max-job-pixels",
        type=int,
        default=None,
        metavar="N",
        help="refuse a job of more than N pixels × batch (default 8192×8192)",
    )
    parser.add_argument("--disable-metadata", action="store_true", help="no prompt in PNGs")
    parser.add_argument("--api", choices=("0.36", "0.3.64"), default="0.36",
                        help="which ComfyUI API to speak (0.36: jobs API, cancel, UUID ids)")  # fmt: skip
    parser.add_argument("--require-header", action="append", default=[], metavar="NAME=VALUE",
                        help="refuse HTTP requests and WebSocket handshakes without this header "
                        "(as an authenticating proxy would); repeatable")  # fmt: skip
    faults = parser.add_argument_group("fault injection (tests and benchmarks)")
    faults.add_argument("--refuse-seconds", type=float, default=0.0,
                        help="refuse connections for this long after starting")  # fmt: skip
    faults.add_argument("--drop-ws-at-step", type=int, default=None)
    faults.add_argument("--refuse-ws", action="store_true", help="refuse WebSocket connections")
    faults.add_argument("--http-500-next", type=int, default=0)
    faults.add_argument("--crash-at-step", type=int, default=None,
                        help="lose queue/history at this sampler step, then restart")  # fmt: skip
    faults.add_argument("--restart-after", type=float, default=1.0)
    parser.set_defaults(func=sketch_server)


def required_headers(pairs: list[str]) -> dict[str, str]:
    """`--require-header NAME=VALUE` pairs → {NAME: VALUE}; one line per malformed pair."""
    from artfarm.problems import ArtfarmError

    headers: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ArtfarmError.single(
                "sketch-server", "--require-header", f"{pair.split('=')[0]!r} has no NAME=VALUE",
                "write it as --require-header X-API-Key=secret",
            )  # fmt: skip
        headers[name.strip()] = value
    return headers


def sketch_server(args: argparse.Namespace) -> int:
    from artfarm.cli.serving import serve_until_stopped
    from artfarm.sketch.limits import DEFAULT_MAX_JOB_PIXELS
    from artfarm.sketch.server import Faults, SketchServer

    faults = Faults(
        ws_drop_at_step=args.drop_ws_at_step,
        ws_refuse=args.refuse_ws,
        http_500_next=args.http_500_next,
        crash_at_step=args.crash_at_step,
        restart_after=args.restart_after,
    )
    server = SketchServer(
        args.root,
        host=args.host,
        port=args.port,
        models_dir=args.models,
        step_seconds=args.step_seconds,
        faults=faults,
        allow_remote=args.allow_remote,
        metadata=not args.disable_metadata,
        api=args.api,
        require_headers=required_headers(args.require_header),
        max_job_pixels=args.max_job_pixels or DEFAULT_MAX_JOB_PIXELS,
        cache_lru=max(args.cache_lru, 0),
        load_seconds=max(args.load_seconds, 0.0),
    )
    try:
        server.start()
    except OSError as err:  # port in use, a host that does not resolve or is not ours
        server.stop()
        raise ArtfarmError.single(
            "command line",
            "--host/--port",
            f"cannot listen on {args.host[:60]!r} port {args.port}: {err.strerror or err}",
            "pick a free port (--port) and a local address (--host 127.0.0.1 or ::1)",
        ) from None
    if args.refuse_seconds > 0:
        server.refuse_connections(args.refuse_seconds)
    print(f"sketch server (API {server.version}) on {server.url} (root {server.root}); "
          "Ctrl-C stops", file=sys.stderr)  # fmt: skip
    return serve_until_stopped(server)
