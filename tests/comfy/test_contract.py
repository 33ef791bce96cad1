"""The client against a live server: the sketch server, or any ComfyUI (ARTFARM_COMFYUI_URL)."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import uuid
from pathlib import Path

import pytest
from PIL import Image

from artfarm.comfy.client import ComfyClient, RetryPolicy
from artfarm.comfy.errors import ExecutionFailed, GraphRejected, ServerUnreachable
from artfarm.comfy.servers import pick_server
from artfarm.sketch.testing import empty_scale_graph, load_scale_graph, txt2img_graph

from .conftest import MET, quick_client


def png_bytes(size=(24, 16), color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_health_reports_version_devices_and_vram(client):
    info = client.health()
    assert info.version and info.devices and info.vram_free > 0


def test_the_api_generation_read_from_the_version_is_the_one_the_server_speaks(client):
    caps = client.capabilities()
    missing = client.http.get(f"/api/jobs/{uuid.uuid4()}")
    assert (missing.status_code == 404 and "error" in missing.text) == caps.jobs_api
    if caps.uuid_prompt_ids:
        bad = client.http.post("/prompt", json={"prompt": empty_scale_graph(), "prompt_id": "x1"})
        assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_prompt_id"
    MET[client.base_url] = f"comfyui_version {caps.version} — {caps.api}"


def test_health_of_a_port_nobody_listens_on_says_the_server_is_unreachable(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    with (
        ComfyClient(url, retry=RetryPolicy(total_seconds=0.2)) as c,
        pytest.raises(ServerUnreachable) as err,
    ):
        c.health()
    assert url in str(err.value) and "\n" not in str(err.value)


def test_upload_uses_the_server_name_and_never_sends_the_same_bytes_twice(client, tmp_path):
    data = png_bytes()
    first = client.upload(data)
    again = quick_client(client.base_url, tmp_path).upload(data)  # a new process-like client
    assert first == again and first.endswith(".png")
    other = client.upload(png_bytes(color=(1, 2, 3)))
    assert other != first


def test_run_executes_a_model_free_graph_and_fetches_the_doubled_image(client, tmp_path):
    record = client.run(
        empty_scale_graph(size=16, scale_by=2.0, prefix="contract/a1"), {}, tmp_path / "out"
    )
    (image,) = record.outputs
    data = Path(image.path).read_bytes()
    assert Image.open(io.BytesIO(data)).size == (32, 32)
    assert image.sha256 == hashlib.sha256(data).hexdigest() and image.size == len(data)
    assert image.subfolder == "contract" and image.filename.startswith("a1_")
    timings = record.timings
    assert timings.started_at and timings.queued_at <= timings.started_at <= timings.finished_at
    assert record.server.version and record.prompt_ids == [record.prompt_id]
    json.dumps(record.model_dump(mode="json"))


def test_run_uploads_inputs_and_binds_them_to_the_node_with_that_title(client, tmp_path):
    source = tmp_path / "init.png"
    source.write_bytes(png_bytes(size=(20, 10)))
    record = client.run(load_scale_graph(scale_by=2.0), {"init_image": source}, tmp_path / "out")
    assert Image.open(record.outputs[0].path).size == (40, 20)
    assert record.uploads["init_image"] == client.upload(source)


def test_a_missing_input_title_is_rejected_before_anything_is_queued(client, tmp_path):
    with pytest.raises(GraphRejected, match="no LoadImage"):
        client.run(load_scale_graph(), {"nope": tmp_path / "x.png"}, tmp_path / "out")


def test_txt2img_batch_gives_distinct_images_and_reports_every_sampler_step(
    client, checkpoint, tmp_path
):
    steps = []
    graph = txt2img_graph("(Bramble the bear:1.2) at dawn", ckpt=checkpoint, batch=2, steps=3)
    record = client.run(
        graph, {}, tmp_path / "out", on_progress=lambda v, m, n: steps.append((v, m))
    )
    assert len(record.outputs) == 2
    assert record.outputs[0].sha256 != record.outputs[1].sha256
    assert steps[-1] == (3, 3) and all(m == 3 for _, m in steps)


def test_identical_rerun_returns_the_old_filenames_and_is_flagged_cached(
    client, checkpoint, tmp_path
):
    graph = txt2img_graph("(Pip:1.1) at noon", ckpt=checkpoint, seed=77, prefix="rerun")
    first = client.run(graph, {}, tmp_path / "one")
    again = client.run(graph, {}, tmp_path / "two", job_key="another job")
    assert [o.filename for o in again.outputs] == [o.filename for o in first.outputs]
    assert [o.sha256 for o in again.outputs] == [o.sha256 for o in first.outputs]
    assert again.cached and not first.cached


def test_validate_rejects_a_checkpoint_the_server_lacks_naming_the_ones_it_has(client, checkpoint):
    graph = txt2img_graph("x", ckpt="no-such-model.safetensors")
    with pytest.raises(GraphRejected) as err:
        client.validate(graph)
    assert err.value.error_type == "value_not_in_list"
    (problem,) = err.value.node_errors
    assert problem.title == "checkpoint" and problem.input == "ckpt_name"
    assert checkpoint in problem.fix


def test_a_node_failing_at_run_time_raises_execution_failed_with_its_title(client, tmp_path):
    graph = empty_scale_graph(prefix="../escape")
    with pytest.raises(ExecutionFailed) as err:
        client.run(graph, {}, tmp_path / "out")
    assert err.value.node_title == "save" and err.value.prompt_id
    assert "outside the output folder" in err.value.exception_message
    assert "\n" not in str(err.value)


def test_submit_then_wait_then_fetch_work_on_their_own(client, tmp_path):
    graph = empty_scale_graph(prefix="steps")
    own = str(uuid.uuid4())  # any server of any version takes a canonical UUID
    prompt_id = client.submit(graph, prompt_id=own)
    assert prompt_id == own
    entry = client.wait(prompt_id, timeout=60)
    files = client.fetch(entry.outputs, tmp_path / "out")
    assert entry.prompt_id == prompt_id and files and Path(files[0].path).is_file()


def test_pick_server_chooses_the_least_busy_reachable_one(comfy_url):
    dead = f"http://127.0.0.1:{free_port()}"
    assert pick_server([dead, comfy_url]) == comfy_url
    with pytest.raises(ServerUnreachable):
        pick_server([dead], timeout=0.2)
