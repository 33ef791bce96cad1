"""`artfarm comfyui cancel`: takes this project's in-flight prompts (or the ids given) off their
server, through the cancel endpoint (v0.36) or /queue delete and /interrupt (0.3.64)."""

from __future__ import annotations

import pytest

from artfarm.cli import main
from artfarm.comfy.journal import JobEntry, Journal
from artfarm.sketch.testing import running_sketch_server, txt2img_graph
from tests.waiting import wait_until

from .conftest import CKPT, SKETCH_MODELS, quick_client


def slow(prompt: str):
    return txt2img_graph(prompt, ckpt=CKPT, steps=300, prefix="cancel/job")


@pytest.mark.parametrize("api", ["0.36", "0.3.64"])
def test_cancel_takes_the_journals_running_and_queued_prompts_off_the_server(
    tmp_path, monkeypatch, capsys, api
):
    project = tmp_path / "project"
    with (
        running_sketch_server(tmp_path, models=SKETCH_MODELS, step_seconds=0.05, api=api) as server,
        quick_client(server.url, tmp_path) as client,
    ):
        (project / "config").mkdir(parents=True)
        (project / "config" / "config.yaml").write_text(
            f"servers: [{server.url}]\nruntime_dir: runtime\n"
        )
        monkeypatch.setenv("ARTFARM_CONFIG", str(project / "config" / "config.yaml"))
        journal = Journal(project / "runtime" / "journal")
        ids = []
        for key in ("page-1-draft", "page-2-draft"):
            prompt_id = client.submit(slow(key))
            entry = JobEntry(job_key=key, server=server.url, graph_sha256="x")
            journal.record_attempt(entry, prompt_id, "first")
            journal.mark(entry, "submitted")
            ids.append(prompt_id)
        someone_elses = client.submit(slow("not ours"))
        wait_until(lambda: server.engine.running, "the first prompt to run")
        assert main(["comfyui", "cancel"]) == 0
        said = capsys.readouterr().out
        assert said.count("cancelled") == 2 and all(pid in said for pid in ids)
        queue = client.http.get("/queue").json()
        left = {item[1] for item in queue["queue_running"] + queue["queue_pending"]}
        assert left == {someone_elses}
        assert {journal.load(k).state for k in ("page-1-draft", "page-2-draft")} == {"cancelled"}
        assert main(["comfyui", "cancel"]) == 0 and "nothing in flight" in capsys.readouterr().out
        assert main(["comfyui", "cancel", someone_elses, "--url", server.url]) == 0
        assert f"{someone_elses} cancelled" in capsys.readouterr().out
