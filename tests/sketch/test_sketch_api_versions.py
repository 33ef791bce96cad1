"""The sketch server speaks v0.36 (jobs API, cancel, UUID ids) or, on request, 0.3.64; and it can
refuse requests without a header, as an authenticating proxy in front of ComfyUI does."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from artfarm.sketch.testing import empty_scale_graph, running_sketch_server, txt2img_graph
from tests.waiting import wait_until

from ..comfy.conftest import CKPT, SKETCH_MODELS

V036 = Path(__file__).resolve().parents[1] / "fixtures" / "comfyui" / "v036"


def recorded(name: str):
    return json.loads((V036 / name).read_text())


def until(predicate, what: str = "condition"):
    return wait_until(predicate, what)


def submit(server, graph, **body) -> str:
    reply = httpx.post(f"{server.url}/prompt", json={"prompt": graph, **body})
    assert reply.status_code == 200, reply.text
    return reply.json()["prompt_id"]


def job(server, prompt_id) -> httpx.Response:
    return httpx.get(f"{server.url}/api/jobs/{prompt_id}")


def slow_job(steps=40):
    return txt2img_graph("(Bramble the bear:1.2)", ckpt=CKPT, steps=steps, prefix="slow")


@pytest.fixture
def v036(tmp_path):
    with running_sketch_server(tmp_path, models=SKETCH_MODELS, step_seconds=0.05) as server:
        yield server


@pytest.fixture
def v0364(tmp_path):
    with running_sketch_server(
        tmp_path, models=SKETCH_MODELS, step_seconds=0.05, api="0.3.64"
    ) as server:
        yield server


def test_v036_reports_its_version_and_refuses_a_prompt_id_that_is_not_a_canonical_uuid(v036):
    stats = httpx.get(f"{v036.url}/system_stats").json()
    assert stats["system"]["comfyui_version"] == "0.36.0"
    own = str(uuid.uuid4()).upper()
    reply = httpx.post(f"{v036.url}/prompt", json={"prompt": empty_scale_graph(), "prompt_id": own})
    want = recorded("prompt_invalid_prompt_id.json")
    assert (reply.status_code, reply.json()) == (want["status"], want["body"])
    canonical = str(uuid.uuid4())
    assert submit(v036, empty_scale_graph(), prompt_id=canonical) == canonical


def test_v036_jobs_api_follows_a_job_from_pending_to_completed_in_v036s_shape(v036):
    first = submit(v036, slow_job())
    second = submit(v036, empty_scale_graph(prefix="second"))
    pending = job(v036, second).json()
    assert pending["status"] == "pending" and pending["create_time"] > 0
    assert set(pending) <= set(recorded("job_pending.json")["body"])
    running = until(lambda: job(v036, first).json()["status"] == "in_progress" and job(v036, first))
    assert set(running.json()) <= set(recorded("job_in_progress.json")["body"])
    done = until(lambda: job(v036, second).json()["status"] == "completed" and job(v036, second))
    body = done.json()
    assert set(body) <= set(recorded("job_completed.json")["body"])
    assert body["execution_start_time"] <= body["execution_end_time"]
    assert body["create_time"] <= body["execution_start_time"]
    assert body["outputs"]["3"]["images"][0]["type"] == "output"
    queue = httpx.get(f"{v036.url}/queue").json()
    assert all("create_time" in item[3] for item in queue["queue_running"] + queue["queue_pending"])
    httpx.post(f"{v036.url}/api/jobs/{first}/cancel")


def test_v036_unknown_job_is_a_404_in_v036s_shape(v036):
    reply = job(v036, str(uuid.uuid4()))
    want = recorded("job_not_found.json")
    assert (reply.status_code, reply.json()) == (want["status"], want["body"])


def test_v036_cancel_drops_a_pending_job_stops_a_running_one_and_is_a_no_op_after(v036):
    running = submit(v036, slow_job())
    pending = submit(v036, slow_job(steps=41))
    until(lambda: job(v036, running).json()["status"] == "in_progress", what="running")
    cancel = httpx.post(f"{v036.url}/api/jobs/{pending}/cancel").json()
    assert cancel == recorded("job_cancel.json")["running_or_pending"]["body"]
    assert job(v036, pending).status_code == 404  # gone from the queue, never ran
    assert httpx.post(f"{v036.url}/api/jobs/{running}/cancel").json() == {"cancelled": True}
    ended = until(lambda: job(v036, running).json()["status"] == "cancelled", what="cancelled")
    assert ended
    again = httpx.post(f"{v036.url}/api/jobs/{running}/cancel").json()
    assert again == recorded("job_cancel.json")["finished_or_unknown"]["body"]
    assert httpx.get(f"{v036.url}/queue").json() == {"queue_running": [], "queue_pending": []}


def test_v036_batch_cancel_rejects_malformed_ids_up_front(v036):
    reply = httpx.post(f"{v036.url}/api/jobs/cancel", json={"job_ids": ["nope"]})
    assert reply.status_code == 400 and reply.json()["invalid_ids"] == ["nope"]
    reply = httpx.post(f"{v036.url}/api/jobs/cancel", json={"job_ids": [str(uuid.uuid4())]})
    assert reply.json() == {"cancelled": False}


def test_v036_upload_answer_may_carry_an_asset(v036):
    pytest.importorskip("blake3")
    files = {"image": ("pic.png", b"\x89PNG fake bytes", "image/png")}
    body = httpx.post(f"{v036.url}/upload/image", files=files).json()
    want = recorded("upload_image.json")["body"]
    assert set(body) == set(want) and set(body["asset"]) >= set(want["asset"])
    assert body["asset"]["asset_hash"].startswith("blake3:") and body["asset"]["size"] == 15


def test_v0364_mode_has_no_jobs_api_no_uuid_check_and_no_create_time(v0364):
    stats = httpx.get(f"{v0364.url}/system_stats").json()
    assert stats["system"]["comfyui_version"] == "0.3.64"
    prompt_id = submit(v0364, slow_job(), prompt_id="my-own-id-123")
    assert prompt_id == "my-own-id-123"
    assert job(v0364, prompt_id).status_code == 404
    assert httpx.post(f"{v0364.url}/api/jobs/{prompt_id}/cancel").status_code in (404, 405)
    queue = httpx.get(f"{v0364.url}/queue").json()
    (item,) = queue["queue_running"] + queue["queue_pending"]
    assert "create_time" not in item[3]
    httpx.post(f"{v0364.url}/interrupt", json={"prompt_id": prompt_id})


def test_a_required_header_guards_http_and_the_websocket_handshake(tmp_path):
    with running_sketch_server(tmp_path, require_headers={"X-API-Key": "s3cret"}) as server:
        assert httpx.get(f"{server.url}/system_stats").status_code == 401
        wrong = httpx.get(f"{server.url}/system_stats", headers={"X-API-Key": "nope"})
        assert wrong.status_code == 403
        right = httpx.get(f"{server.url}/system_stats", headers={"X-API-Key": "s3cret"})
        assert right.status_code == 200
        ws_url = "ws" + server.url[4:] + "/ws?clientId=abc"
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url, open_timeout=5)
        assert refused.value.response.status_code == 401
        with connect(ws_url, open_timeout=5, additional_headers={"X-API-Key": "s3cret"}) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "status"
