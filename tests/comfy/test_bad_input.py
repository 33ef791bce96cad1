"""Bad graphs: the sketch server answers exactly like the recorded ComfyUI, and the client turns
every validation error class into its type plus a one-line human message."""

from __future__ import annotations

import copy

import httpx
import pytest

from artfarm.comfy.client import ComfyClient
from artfarm.comfy.errors import GraphRejected
from artfarm.sketch.testing import running_sketch_server
from tests.waiting import wait_until

from .conftest import fixture_json

RECORDED = fixture_json("validation_errors.json")


def empty(**over):
    inputs = {"width": 64, "height": 64, "batch_size": 1, "color": 0}
    inputs.update(over)
    return {
        "class_type": "EmptyImage",
        "inputs": {k: v for k, v in inputs.items() if v is not None},
    }


def save(src="1"):
    return {"class_type": "SaveImage", "inputs": {"images": [src, 0], "filename_prefix": "bad"}}


# case → POST /prompt body that produced it on ComfyUI
BODIES = {
    "no_prompt_key": {},
    "unknown_class": {"prompt": {"1": {"class_type": "NoSuchNode", "inputs": {}}}},
    "missing_class_type": {"prompt": {"1": {"inputs": {}}}},
    "no_outputs": {"prompt": {"1": empty()}},
    "required_missing": {"prompt": {"1": empty(color=None), "2": save()}},
    "ckpt_not_in_list": {"prompt": {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "nope.safetensors"}},
        "2": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "3": {"class_type": "VAEDecode", "inputs": {"samples": ["2", 0], "vae": ["1", 2]}},
        "4": save("3"),
    }},
    "type_mismatch": {"prompt": {
        "1": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "2": save(),
    }},
    "below_min": {"prompt": {"1": empty(width=0), "2": save()}},
    "above_max_float": {"prompt": {
        "1": empty(),
        "2": {"class_type": "ImageScaleBy",
              "inputs": {"image": ["1", 0], "upscale_method": "nearest-exact", "scale_by": 99.0}},
        "3": save("2"),
    }},
    "bad_int": {"prompt": {"1": empty(width="abc"), "2": save()}},
    "string_int_coerced_ok": {"prompt": {"1": empty(width="64"), "2": save()}},
    "loadimage_missing_file": {"prompt": {
        "1": {"class_type": "LoadImage", "inputs": {"image": "missing.png"}}, "2": save()}},
    "link_to_missing_node": {"prompt": {"1": empty(), "2": save("99")}},
    "bad_link_len": {"prompt": {"1": empty(), "2": {"class_type": "SaveImage", "inputs": {
        "images": ["1", 0, 1], "filename_prefix": "bad"}}}},
    "v3_combo_invalid": {"prompt": {
        "1": {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "nope.pth"}},
        "2": empty(),
        "3": {"class_type": "ImageUpscaleWithModel", "inputs": {"upscale_model": ["1", 0], "image": ["2", 0]}},
        "4": save("3"),
    }},
    "one_good_one_bad_output": {"prompt": {
        "1": empty(), "2": save(),
        "3": {"class_type": "LoadImage", "inputs": {"image": "missing.png"}}, "4": save("3"),
    }},
    "custom_prompt_id_and_number": {"prompt": {"1": empty(), "2": save()},
                                    "prompt_id": "my-own-id-123", "number": 7.5},
    "front": {"prompt": {"1": empty(), "2": save()}, "front": True},
    "partial_targets": {"prompt": {"1": empty(), "2": save(), "3": save()},
                        "partial_execution_targets": ["2"]},
    "extra_input_ignored": {"prompt": {"1": empty(), "2": {"class_type": "SaveImage", "inputs": {
        "images": ["1", 0], "filename_prefix": "bad", "no_such_input": 5}}}},
}  # fmt: skip


def shape(value):
    """Types all the way down, so a reply can be compared with a recording's."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted({repr(shape(v)) for v in value})
    return type(value).__name__


def comparable(body):
    """The reply minus what legitimately differs between servers (ids, counters, tracebacks)."""
    body = copy.deepcopy(body)
    body.pop("prompt_id", None)
    body.pop("number", None)
    for entry in body.get("node_errors", {}).values():
        for err in entry["errors"]:
            err["extra_info"].pop("traceback", None)
    return body


@pytest.fixture(scope="module")
def bare_sketch(tmp_path_factory):
    """No models at all, like the recording server's empty checkpoint list; 0.3.64's API."""
    with running_sketch_server(tmp_path_factory.mktemp("bad"), api="0.3.64") as server:
        yield server


def test_every_recorded_case_has_a_body():
    assert set(BODIES) == set(RECORDED)


@pytest.mark.parametrize("case", sorted(RECORDED))
def test_sketch_server_answers_bad_graphs_exactly_like_comfyui(bare_sketch, case):
    reply = httpx.post(f"{bare_sketch.url}/prompt", json=copy.deepcopy(BODIES[case]))
    recorded = RECORDED[case]
    assert reply.status_code == recorded["status"]
    body = reply.json()
    assert shape(body) == shape(recorded["body"])
    if recorded["status"] == 400 or recorded["body"]["node_errors"]:
        assert comparable(body) == comparable(recorded["body"])
    if case == "custom_prompt_id_and_number":
        assert body["prompt_id"] == "my-own-id-123" and body["number"] == 7.5
    if case == "front":
        assert body["number"] < 0


REJECTED = sorted(c for c, r in RECORDED.items() if r["status"] == 400 or r["body"]["node_errors"])


@pytest.mark.parametrize("case", REJECTED)
def test_client_reports_each_rejection_with_its_type_and_one_line(bare_sketch, case):
    body = copy.deepcopy(BODIES[case])
    recorded = RECORDED[case]["body"]
    with ComfyClient(bare_sketch.url) as client, pytest.raises(GraphRejected) as err:
        if "prompt" in body:
            client.submit(body["prompt"])
        else:
            client._accepted(httpx.post(f"{bare_sketch.url}/prompt", json=body), {}, "x")
    expected = [e["type"] for n in recorded["node_errors"].values() for e in n["errors"]]
    expected = expected or [recorded["error"]["type"]]
    assert err.value.error_type == expected[0]
    line = str(err.value)
    assert "\n" not in line and bare_sketch.url in line and len(line) < 300
    assert [e.type for e in err.value.node_errors] == expected


def test_client_withdraws_the_valid_half_of_a_partly_rejected_prompt(bare_sketch):
    with ComfyClient(bare_sketch.url) as client:
        with pytest.raises(GraphRejected):
            client.submit(copy.deepcopy(BODIES["one_good_one_bad_output"]["prompt"]))
        # withdrawn: dropped if it waited, stopped at its next step if it had already started
        wait_until(lambda: client.queue_remaining() == 0, "the withdrawn prompt to leave")


def test_client_validation_catches_the_v3_combo_comfyui_only_fails_at_run_time(bare_sketch):
    with ComfyClient(bare_sketch.url) as client, pytest.raises(GraphRejected) as err:
        client.validate(copy.deepcopy(BODIES["v3_combo_invalid"]["prompt"]))
    assert err.value.error_type == "value_not_in_list"
