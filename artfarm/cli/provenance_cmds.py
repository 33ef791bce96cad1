"""`artfarm graph` (the exact graph a stage would submit) and `artfarm replay` (run a manifest
again and compare every output's sha256)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from artfarm.atomic import canonical_json
from artfarm.problems import ArtfarmError

GRAPH_STAGES = ("thumb", "draft", "refine", "final", "print")


def register(sub: argparse._SubParsersAction) -> None:
    """Add `graph` and `replay` to the `artfarm` parser."""
    p = sub.add_parser(
        "graph",
        help="print the exact ComfyUI graph a stage would submit now (before any GPU time)",
        description="One job: its graph. Several (refine: one per selected draft; final: one "
        "per inpaint fix): a JSON array of graphs, or the one picked with --job.",
    )
    p.add_argument("book")
    p.add_argument("page", type=int)
    p.add_argument("stage", choices=GRAPH_STAGES)
    p.add_argument("--job", type=int, default=None, metavar="N", help="only job N (from 1)")
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser(
        "replay",
        help="run a stage's manifest again and compare every output's sha256 (exit 0: identical)",
    )
    p.add_argument("manifest", type=Path, help="books/<id>/pages/NNNN/<stage>/manifest.json")
    p.add_argument("--server", default=None, help="default: the first server in config.yaml")
    p.add_argument("--json", action="store_true", help="the whole comparison as JSON")
    p.set_defaults(func=cmd_replay)


def cmd_graph(args: argparse.Namespace) -> int:
    from artfarm.documents.book import Book

    graphs = stage_graphs(Book.open(args.book), args.page, args.stage, args.job)
    print(canonical_json(graphs[0] if len(graphs) == 1 else graphs, sort_keys=False), end="")
    return 0


def stage_graphs(book, page: int, stage: str, job: int | None = None) -> list[dict]:
    """The graphs `stage` would submit now (only job `job`, from 1, if given)."""
    from artfarm.documents.settings import load_settings
    from artfarm.pipeline.render_cache import RenderCache
    from artfarm.pipeline.stages import planned_jobs

    cache = RenderCache(load_settings().runtime_path / "cache")
    with tempfile.TemporaryDirectory() as masks:
        jobs = planned_jobs(book, page, stage, cache, Path(masks))
    graphs = [planned.graph for planned in jobs]
    if job is not None:
        if not 1 <= job <= len(graphs):
            raise ArtfarmError.single(
                str(book.page_dir(page)),
                stage,
                f"job {job} cannot be compiled now ({len(graphs)} can: a later inpaint fix "
                "works on the previous fix's output)",
                "render the stage first, or pick a job from 1 to " + str(len(graphs)),
            )
        graphs = [graphs[job - 1]]
    if not graphs:
        raise ArtfarmError.single(
            str(book.page_dir(page)),
            stage,
            "this stage submits no job now",
            "a final stage without inpaint fixes copies the picked variant",
        )
    return graphs


def cmd_replay(args: argparse.Namespace) -> int:
    result = replay_stage(args.manifest, args.server)
    if args.json:
        print(result.as_json())
    else:
        for line in result.lines():
            print(line, file=sys.stderr)
        for job in result.jobs:
            verdict = "identical" if not job.differences else "DIFFERENT"
            print(
                f"{args.manifest}: job {job.index} ({job.stage}) on {job.server}: "
                f"{len(job.got)} output(s) {verdict}"
            )
    return 0 if result.identical else 1


def replay_stage(path: Path, server: str | None = None):
    """Replay the manifest at `path` on `server` (default: the first configured one)."""
    from artfarm.comfy.credentials import request_headers
    from artfarm.documents.reader import load_json_model
    from artfarm.documents.settings import load_settings
    from artfarm.pipeline.manifest import StageManifest
    from artfarm.pipeline.replay import replay_manifest

    manifest = load_json_model(StageManifest, path, "manifest")
    settings = load_settings()
    server = server or settings.server_urls[0]
    return replay_manifest(path, manifest, server, request_headers(settings, server))
