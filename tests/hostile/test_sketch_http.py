"""Malformed and oversized requests to the sketch server: 400 in ComfyUI's shape, never a 500.

One server for the module (real HTTP on a free loopback port); each case is one request.
The server's log must hold no traceback, and a job too large for a GPU is refused up front.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from artfarm.sketch.server import SketchServer
from artfarm.sketch.testing import running_sketch_server, txt2img_graph
from tests.comfy.conftest import CKPT, SKETCH_MODELS


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[SketchServer]:
    with running_sketch_server(
        tmp_path_factory.mktemp("hostile-sketch"), models=SKETCH_MODELS
    ) as running:
        (running.dirs["input"] / "notes.png").write_text("not an image at all")
        Image.new("RGB", (8, 8)).save(running.dirs["input"] / "real.png")
        yield running


def graph(**latent) -> dict:
    g = txt2img_graph("a bear", ckpt=CKPT)
    g["5"]["inputs"].update(latent)
    return g


def comfy_error(reply: httpx.Response) -> None:
    """ComfyUI's 400 body: error {type, message, details, extra_info} and node_errors."""
    body = reply.json()
    assert set(body["error"]) == {"type", "message", "details", "extra_info"}
    assert isinstance(body["node_errors"], dict)


PROMPT_BODIES = {
    "not_json": b"{prompt: nope",
    "empty": b"",
    "array": b"[1, 2]",
    "string": b'"x"',
    "null": b"null",
    "prompt_string": json.dumps({"prompt": "x"}).encode(),
    "prompt_array": json.dumps({"prompt": [1, 2]}).encode(),
    "node_not_object": json.dumps({"prompt": {"1": 5}}).encode(),
    "node_inputs_string": json.dumps(
        {"prompt": {"1": {"class_type": "SaveImage", "inputs": "x"}}}
    ).encode(),
    "unknown_class": json.dumps({"prompt": {"1": {"class_type": "Nope", "inputs": {}}}}).encode(),
    "number_abc": json.dumps({"prompt": graph(), "number": "abc"}).encode(),
    "number_list": json.dumps({"prompt": graph(), "number": [1]}).encode(),
    "number_nan": b'{"prompt": {}, "number": NaN}',
    "extra_data_string": json.dumps({"prompt": graph(), "extra_data": "x"}).encode(),
    "client_id_number": json.dumps({"prompt": graph(), "client_id": 5}).encode(),
    "targets_string": json.dumps({"prompt": graph(), "partial_execution_targets": "9"}).encode(),
    "prompt_id_number": json.dumps({"prompt": graph(), "prompt_id": 5}).encode(),
    "no_prompt": json.dumps({"client_id": "x"}).encode(),
    "huge_latent": json.dumps({"prompt": graph(width=16384, height=16384, batch_size=64)}).encode(),
    "huge_batch": json.dumps({"prompt": graph(width=1024, height=1024, batch_size=4096)}).encode(),
    "deep_json": b'{"prompt": ' + b"[" * 5000 + b"]" * 5000 + b"}",
}


@pytest.mark.parametrize("case", PROMPT_BODIES)
def test_a_malformed_prompt_is_a_400_in_comfyuis_shape(
    server: SketchServer, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    reply = httpx.post(
        f"{server.url}/prompt",
        content=PROMPT_BODIES[case],
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 400, reply.text[:300]
    comfy_error(reply)
    assert "Traceback" not in caplog.text and not caplog.records


def test_a_job_too_large_for_the_gpu_names_its_node(server: SketchServer) -> None:
    reply = httpx.post(f"{server.url}/prompt", json={"prompt": graph(width=16384, height=16384)})
    assert reply.status_code == 400
    error = reply.json()["node_errors"]["5"]["errors"][0]
    assert error["type"] == "value_bigger_than_max" and "limit" in error["details"]


def test_the_limit_is_configurable(tmp_path) -> None:
    with running_sketch_server(tmp_path, models=SKETCH_MODELS, max_job_pixels=32 * 32) as small:
        reply = httpx.post(f"{small.url}/prompt", json={"prompt": graph(width=64, height=64)})
        assert reply.status_code == 400


OTHER_REQUESTS = {
    "history_max_items_abc": ("GET", "/history?max_items=abc", None),
    "history_max_items_negative": ("GET", "/history?max_items=-1", None),
    "history_max_items_float": ("GET", "/history?max_items=1e9", None),
    "queue_delete_number": ("POST", "/queue", {"delete": 5}),
    "queue_delete_string": ("POST", "/queue", {"delete": "abc"}),
    "queue_delete_objects": ("POST", "/queue", {"delete": [{"a": 1}]}),
    "history_delete_number": ("POST", "/history", {"delete": 5}),
}


@pytest.mark.parametrize("case", OTHER_REQUESTS)
def test_malformed_queue_and_history_requests_are_400(
    server: SketchServer, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    method, path, body = OTHER_REQUESTS[case]
    reply = httpx.request(method, f"{server.url}{path}", json=body)
    assert reply.status_code == 400, reply.text[:300]
    comfy_error(reply)
    assert not caplog.records


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (8, 8)).save(buf, "PNG")
    return buf.getvalue()


UPLOADS = {
    "name_with_folder": ("/upload/image", {"image": ("a/b.png", png_bytes())}, {}),
    "dotdot_name": ("/upload/image", {"image": ("..", png_bytes())}, {}),
    "backslash_name": ("/upload/image", {"image": ("..\\x.png", png_bytes())}, {}),
    "no_image_field": ("/upload/image", {"file": ("x.png", png_bytes())}, {}),
    "mask_not_an_image": (
        "/upload/mask",
        {"image": ("m.png", b"plain text")},
        {"original_ref": json.dumps({"filename": "real.png", "type": "input"})},
    ),
    "mask_ref_a_list": (
        "/upload/mask",
        {"image": ("m.png", png_bytes())},
        {"original_ref": "[1, 2]"},
    ),
    "mask_ref_not_json": (
        "/upload/mask",
        {"image": ("m.png", png_bytes())},
        {"original_ref": "{nope"},
    ),
    "mask_original_is_text": (
        "/upload/mask",
        {"image": ("m.png", png_bytes())},
        {"original_ref": json.dumps({"filename": "notes.png", "type": "input"})},
    ),
    "mask_original_dotdot": (
        "/upload/mask",
        {"image": ("m.png", png_bytes())},
        {"original_ref": json.dumps({"filename": "../x.png", "type": "input"})},
    ),
}


@pytest.mark.parametrize("case", UPLOADS)
def test_hostile_uploads_are_400(
    server: SketchServer, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    path, files, data = UPLOADS[case]
    reply = httpx.post(f"{server.url}{path}", files=files, data=data)
    assert reply.status_code == 400, reply.text[:300]
    assert not caplog.records
    assert not (server.root.parent / "x.png").exists()


def multipart(filename: str) -> bytes:
    return (
        b'--xyz\r\nContent-Disposition: form-data; name="image"; filename="'
        + filename.encode()
        + b'"\r\nContent-Type: image/png\r\n\r\n'
        + png_bytes()
        + b"\r\n--xyz--\r\n"
    )


@pytest.mark.parametrize(
    "body",
    [
        multipart("a/b.png"),
        multipart("../../x.png"),
        multipart(""),
        b"--xyz\r\nContent-Disposition: form-data; name=image\r\n\r\n",
        b"not multipart at all",
    ],
)
def test_a_malformed_multipart_body_is_400(
    server: SketchServer, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    reply = httpx.post(
        f"{server.url}/upload/image",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert reply.status_code == 400, reply.text[:300]
    assert not caplog.records
