"""A render job stopped with SIGTERM (a process manager, a cluster) cancels its prompt on the
server like Ctrl-C does, and says so in its log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from artfarm.comfy.journal import Journal
from artfarm.sketch.testing import running_sketch_server
from tests.pipeline.project import BOOK, REPO, make_pipeline_project
from tests.waiting import wait_until


@pytest.mark.parametrize("api", ["0.36", "0.3.64"])
def test_sigterm_to_a_render_job_takes_its_prompt_off_the_server(tmp_path: Path, api) -> None:
    root = tmp_path / "server"
    with running_sketch_server(
        root, models_dir=root / "models", step_seconds=0.5, api=api
    ) as server:
        project = make_pipeline_project(tmp_path / "project", server)
        env = {**os.environ, "ARTFARM_CONFIG": str(project.root / "config" / "config.yaml")}
        log = project.page(1) / "logs" / "draft.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        job = subprocess.Popen(
            [sys.executable, str(REPO / "scripts" / "stage.py"), "draft", BOOK, "1",
             "--log", str(log)],
            cwd=project.root, env=env,
        )  # fmt: skip
        try:
            wait_until(lambda: server.engine.running, "the job's prompt to run")
            journal = Journal(project.root / "runtime" / "journal")
            wait_until(
                lambda: [e for e in journal.in_flight() if e.state == "submitted"],
                "the journal to say the prompt was queued",
            )
            job.send_signal(signal.SIGTERM)
            assert job.wait(timeout=120) == 130
        finally:
            if job.poll() is None:
                job.kill()
        (entry,) = [json.loads(p.read_text()) for p in journal.folder.glob("*.json")]
        assert entry["state"] == "cancelled"
        wait_until(
            lambda: server.engine.snapshot() == {"queue_running": [], "queue_pending": []},
            "the server's queue to empty",
        )
        (record,) = server.engine.history_of(entry["attempts"][-1]["prompt_id"]).values()
        assert record["status"]["messages"][-1][0] == "execution_interrupted"  # never finished
        assert "cancelled: draft of page 1" in log.read_text()
