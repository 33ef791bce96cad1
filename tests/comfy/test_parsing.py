"""The client's parsing, on every recording of a real ComfyUI 0.3.64."""

from __future__ import annotations

import json

import pytest

from artfarm.comfy.history import (
    parse_history_entry,
    parse_history_reply,
    parse_ws_message,
    queue_states,
)
from artfarm.comfy.objectinfo import node_errors_from_reply, validate_graph
from artfarm.comfy.records import ServerInfo

from .conftest import FIXTURES, fixture_json

WS_RECORDINGS = sorted(p.name for p in FIXTURES.glob("ws_*.json"))


def test_all_six_websocket_recordings_are_present():
    assert len(WS_RECORDINGS) == 6


@pytest.mark.parametrize("name", WS_RECORDINGS)
def test_history_entry_of_every_recording_parses_to_a_successful_result(name):
    recording = fixture_json(name)
    ((prompt_id, raw),) = recording["history"].items()
    entry = parse_history_reply(prompt_id, recording["history"])
    assert entry is not None and entry.status == "success" and entry.completed
    assert entry.outputs and all(o.filename.endswith(".png") for o in entry.outputs)
    assert entry.execution_seconds is not None and entry.execution_seconds >= 0
    assert entry.graph == raw["prompt"][2]


@pytest.mark.parametrize("name", WS_RECORDINGS)
def test_every_recorded_socket_message_parses_and_the_last_one_ends_the_prompt(name):
    recording = fixture_json(name)
    (prompt_id,) = recording["history"]
    events = []
    for msg in recording["messages"]:
        if "binary_event" in msg:
            assert parse_ws_message(b"\x00\x00\x00\x01preview") is None
            continue
        events.append(parse_ws_message(json.dumps({"type": msg["type"], "data": msg["data"]})))
    ends = [i for i, e in enumerate(events) if e.ends(prompt_id)]
    assert ends and events[-1].ends(prompt_id)
    assert events[-1].type == "executing" and events[-1].data["node"] is None
    progress = [e for e in events if e.type == "progress"]
    assert all(e.data["value"] <= e.data["max"] for e in progress)


def test_fully_cached_rerun_is_recognised_and_reports_the_old_filenames():
    first = fixture_json("ws_b1.json")["history"]
    again = fixture_json("ws_b1-repeat-identical.json")["history"]
    a = parse_history_entry(*next(iter(first.items())))
    b = parse_history_entry(*next(iter(again.items())))
    assert b.fully_cached and not a.fully_cached
    assert [o.filename for o in a.outputs] == [o.filename for o in b.outputs]


def test_preview_outputs_keep_their_temp_type():
    entry = parse_history_entry(*next(iter(fixture_json("ws_a2.json")["history"].items())))
    assert {o.type for o in entry.outputs} == {"output", "temp"}


def test_unknown_prompt_history_is_none():
    assert parse_history_reply("nope", {}) is None


def test_small_endpoints_parse():
    stats = fixture_json("system_stats.json")
    info = ServerInfo(url="x", version=stats["system"]["comfyui_version"], devices=stats["devices"])
    assert info.version == "0.3.64" and info.vram_free == 22250606592
    assert queue_states(fixture_json("queue.json")) == {}
    assert fixture_json("prompt.json")["exec_info"]["queue_remaining"] == 0
    assert "checkpoints" in fixture_json("models.json")


@pytest.mark.parametrize("case", sorted(fixture_json("validation_errors.json")))
def test_every_recorded_validation_answer_becomes_one_line_messages(case):
    reply = fixture_json("validation_errors.json")[case]
    body = reply["body"]
    errors = node_errors_from_reply(body.get("error"), body.get("node_errors", {}), {})
    if reply["status"] == 200 and not body["node_errors"]:
        assert errors == []
        return
    assert errors
    for err in errors:
        assert err.message and "\n" not in err.line() and err.fix
        assert err.type in json.dumps(body)


def test_recorded_example_graphs_pass_offline_validation_against_recorded_object_info():
    info = fixture_json("object_info.json")
    for path in sorted((FIXTURES / "example-graphs").glob("*.json")):
        graph = json.loads(path.read_text())
        assert validate_graph(graph, info, check_files=False) == [], path.name


def test_offline_validation_names_title_input_and_the_checkpoints_the_server_has():
    info = fixture_json("object_info.json")
    info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] = ["a.safetensors"]
    graph = json.loads((FIXTURES / "example-graphs" / "b1_txt2img_64_b2.json").read_text())
    graph["4"]["_meta"] = {"title": "draft model"}
    graph["4"]["inputs"]["ckpt_name"] = "missing.safetensors"
    graph["5"]["inputs"]["width"] = 0
    graph["3"]["inputs"]["latent_image"] = ["4", 0]
    del graph["6"]["inputs"]["text"]
    found = {(e.title, e.input, e.type): e for e in validate_graph(graph, info)}
    ckpt = found[("draft model", "ckpt_name", "value_not_in_list")]
    assert "a.safetensors" in ckpt.fix
    assert ("KSampler", "latent_image", "return_type_mismatch") in found
    assert ("CLIPTextEncode", "text", "required_input_missing") in found


def test_offline_validation_checks_v3_combos_that_comfyui_defers_to_run_time():
    info = fixture_json("object_info.json")
    graph = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "x.png"}},
        "2": {"class_type": "ImageScaleToTotalPixels",
              "inputs": {"image": ["1", 0], "upscale_method": "nope", "megapixels": 1.0}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "p"}},
    }  # fmt: skip
    errors = validate_graph(graph, info)
    assert [(e.node_id, e.type) for e in errors] == [("2", "value_not_in_list")]
