"""An agent drives a small book through `artfarm mcp` on the sketch server: real Snakemake.

plan → build (stops at the draft reviews, with progress) → contact sheet → reviews through MCP
→ plan again → build past the gate (a second build of the same book is refused meanwhile) →
graph and replay of what was rendered.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from artfarm.pipeline.manifest import read_manifest
from artfarm.sketch.testing import running_sketch_server
from tests.mcp.session import images, mcp_session, texts
from tests.pipeline.project import BOOK, Project, make_pipeline_project
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

BOOK_ID = "tiny_01"
PAGES = (1, 2, 3)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    root = tmp_path_factory.mktemp("server")
    with running_sketch_server(root, models_dir=root / "models") as running:
        yield running


def jobs_by_rule(plan: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for page, jobs in plan["pages"].items():
        for job in jobs:
            found.setdefault(job["rule"], []).append(page)
    return {rule: sorted(pages) for rule, pages in found.items()}


async def drive(project: Project) -> dict:
    seen: dict = {"progress": [], "second_progress": []}
    target = {"book": BOOK_ID, "target": "layout/pages.pdf"}
    async with mcp_session(project.root) as client:
        seen["plan"] = await client.call_tool("plan", target)
        seen["page_plan"] = await client.call_tool(
            "plan", {"book": BOOK_ID, "target": "pages/0002/print/print.png"}
        )

        async def first_progress(done: float, total: float | None, message: str | None) -> None:
            seen["progress"].append((done, total, message))

        seen["build"] = await client.call_tool("build", target, progress_callback=first_progress)
        seen["next"] = project.artfarm("next", BOOK).stdout
        seen["sheet"] = await client.call_tool(
            "contact_sheet", {"book": BOOK_ID, "page": 1, "stage": "draft"}
        )
        ids = seen["sheet"].structured_content["ids"]
        seen["reviews"] = [
            await client.call_tool(
                "review",
                {
                    "book": BOOK_ID,
                    "page": page,
                    "stage": "draft",
                    "select": [ids[-1]],
                    "reject_rest": "weaker staging",
                    "rationale": "clearest focal point",
                },
            )
            for page in PAGES
        ]
        seen["replan"] = await client.call_tool("plan", target)
        seen["early_graph"] = await client.call_tool(
            "graph", {"book": BOOK_ID, "page": 2, "stage": "refine"}
        )
        running = anyio.Event()

        async def second_progress(done: float, total: float | None, message: str | None) -> None:
            seen["second_progress"].append((done, total, message))
            running.set()

        async def second_build() -> None:
            seen["second"] = await client.call_tool(
                "build", target, progress_callback=second_progress
            )

        async with anyio.create_task_group() as group:
            group.start_soon(second_build)
            await running.wait()
            seen["refused"] = await client.call_tool("build", target)
        seen["graph"] = await client.call_tool(
            "graph", {"book": BOOK_ID, "page": 2, "stage": "refine"}
        )
        seen["replay"] = await client.call_tool(
            "replay", {"book": BOOK_ID, "page": 1, "stage": "draft"}
        )
    return seen


def test_an_agent_takes_a_book_past_the_draft_gate_through_mcp(tmp_path: Path, server) -> None:
    project = make_pipeline_project(tmp_path / "project", server)
    expected_plan = project.planned_jobs(f"{BOOK}/pages/0002/print/print.png")
    seen = anyio.run(drive, project)

    plan = seen["plan"]
    assert not plan.is_error, texts(plan)
    assert jobs_by_rule(seen["page_plan"].structured_content) == {
        rule: sorted(pages) for rule, pages in expected_plan.items()
    }
    assert [job["rule"] for job in plan.structured_content["pages"]["book"]] == ["layout_pages"]
    drafts = [job for page in PAGES for job in plan.structured_content["pages"][f"{page:04d}"]
              if job["rule"] == "draft"]  # fmt: skip
    assert len(drafts) == 3 and all("Missing output files" in job["reason"] for job in drafts)

    build = seen["build"]
    assert not build.is_error, texts(build)
    assert build.structured_content["ok"] is False
    assert build.structured_content["summary"] == seen["next"].rstrip("\n")
    assert "3 page(s) need something (3 wait for a review)" in texts(build)
    done = [step for step, _, _ in seen["progress"]]
    assert len(done) >= 3 and done == sorted(set(done))
    assert all(total == seen["progress"][-1][1] for _, total, _ in seen["progress"][1:])
    assert "steps done" in seen["progress"][-1][2]

    assert len(images(seen["sheet"])) == 1
    for review in seen["reviews"]:
        assert not review.is_error, texts(review)

    replan = jobs_by_rule(seen["replan"].structured_content)
    assert "draft" not in replan
    assert replan["select_drafts"] == replan["refine"] == ["0001", "0002", "0003"]
    assert seen["early_graph"].is_error  # no selection yet: the refine input does not exist
    assert "pages/0002/selected/manifest.json: file does not exist" in texts(seen["early_graph"])
    [graph] = seen["graph"].structured_content["graphs"]
    assert any(node["class_type"] == "KSampler" for node in graph.values())

    second = seen["second"]
    assert not second.is_error, texts(second)
    assert seen["second_progress"]
    refused = seen["refused"]
    assert refused.is_error
    assert "a build of this book is already running" in texts(refused)
    for page in PAGES:
        selected = read_manifest(project.page(page) / "selected")
        assert selected.ids() == [seen["sheet"].structured_content["ids"][-1]]
        assert (project.page(page) / "refine" / "manifest.json").is_file()
    states = {todo["state"] for todo in second.structured_content["todo"]}
    assert states == {"awaiting-final-pick"}

    replay = seen["replay"]
    assert not replay.is_error, texts(replay)
    assert replay.structured_content["identical"] is True
    assert "identical" in texts(replay)


def render_processes(root: Path) -> list[str]:
    """Snakemake and its job scripts running in this project (the MCP server aside)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            argv = (proc / "cmdline").read_bytes().decode("utf-8", "replace").replace("\0", " ")
        except OSError:
            continue
        if cwd == str(root) and ("snakemake" in argv or "scripts/" in argv) and " mcp " not in argv:
            found.append(argv)
    return found


async def cancel_mid_render(project: Project) -> dict:
    seen: dict = {}
    target = {"book": BOOK_ID, "target": "layout/pages.pdf"}
    root = project.root.resolve()
    async with mcp_session(project.root) as client:
        started = anyio.Event()

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            started.set()

        async with anyio.create_task_group() as group:

            async def build() -> None:
                await client.call_tool("build", target, progress_callback=on_progress)

            group.start_soon(build)
            await started.wait()
            seen["running"] = await anyio.to_thread.run_sync(
                lambda: wait_until(
                    lambda: [p for p in render_processes(root) if "stage.py draft" in p],
                    "a draft job to run",
                )
            )
            group.cancel_scope.cancel()
        await anyio.to_thread.run_sync(
            lambda: wait_until(lambda: not render_processes(root), "Snakemake and its jobs to stop")
        )

        seen["locks"] = list((root / ".snakemake" / "locks").glob("*"))

        def build_nothing():
            result = anyio.from_thread.run(
                client.call_tool, "build", {"book": BOOK_ID, "target": "pages/0001/renderspec.json"}
            )
            return None if "already running" in texts(result) else result

        seen["again"] = await anyio.to_thread.run_sync(
            lambda: wait_until(build_nothing, "the cancelled build to free the book")
        )
    return seen


def test_a_cancelled_build_stops_snakemake_and_frees_the_book(tmp_path: Path) -> None:
    """Renders take minutes here (slow sampler steps): only the cancellation can stop them.

    Afterwards a build of a source file (which Snakemake refuses at once) shows the book is
    free: it is not refused as "already running".
    """
    with running_sketch_server(tmp_path / "server", models_dir=tmp_path / "models",
                               step_seconds=20.0) as slow:  # fmt: skip
        project = make_pipeline_project(tmp_path / "project", slow)
        seen = anyio.run(cancel_mid_render, project)
    assert seen["running"]
    again = seen["again"]
    assert not again.is_error, texts(again)  # the book is free again (no refusal)
    assert not seen["locks"]  # Snakemake let go of the project's lock
    assert again.structured_content["exit_code"] == 1  # a source file: no rule makes it
    assert "No rule to produce" in texts(again)
