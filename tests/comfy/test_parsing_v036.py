"""The client's reading of v0.36 answers (written from API-2026.md: tests/fixtures/comfyui/v036)
and of server versions into capabilities."""

from __future__ import annotations

import pytest

from artfarm.comfy.capabilities import capabilities_of, parse_version
from artfarm.comfy.errors import BadServerReply
from artfarm.comfy.history import parse_job_reply, queue_states

from .conftest import fixture_json

PID = "5f0c7a8e-3d2b-4c1e-9a6f-1b2c3d4e5f60"


def body(name):
    return fixture_json(f"v036/{name}")["body"]


@pytest.mark.parametrize("name, state", [("job_pending.json", "pending"),
                                         ("job_in_progress.json", "in_progress")])  # fmt: skip
def test_a_waiting_job_has_no_result_yet(name, state):
    view = parse_job_reply(PID, body(name))
    assert (view.state, view.waiting, view.entry) == (state, True, None)
    assert view.create_ms == 1789000000123


def test_a_completed_job_reads_like_its_history_entry_with_temp_outputs_kept_by_type():
    view = parse_job_reply(PID, body("job_completed.json"))
    entry = view.entry
    assert not view.waiting and entry.status == "success" and entry.created_ms == 1789000000123
    assert [(o.node, o.type) for o in entry.outputs] == [("2", "output"), ("3", "temp")]
    assert entry.started_ms <= entry.finished_ms and entry.graph["2"]["class_type"] == "SaveImage"


def test_failed_and_cancelled_jobs_carry_the_error_and_the_interrupt():
    failed = parse_job_reply(PID, body("job_failed.json")).entry
    assert failed.status == "error" and failed.error["node_type"] == "SaveImage"
    assert failed.interrupted is None
    cancelled = parse_job_reply(PID, body("job_cancelled.json")).entry
    assert cancelled.interrupted["node_id"] == "1"


def test_an_answer_that_is_not_a_job_is_a_bad_server_reply():
    with pytest.raises(BadServerReply):
        parse_job_reply(PID, body("job_not_found.json"))
    with pytest.raises(BadServerReply):
        parse_job_reply(PID, {"status": "exploded"})


def test_queue_states_in_the_jobs_api_words():
    states = queue_states(fixture_json("v036/queue.json"))
    assert states == {PID: "pending", "0c9b8a7f-6e5d-4c3b-9a1f-0e9d8c7b6a50": "in_progress"}


@pytest.mark.parametrize(
    "version, jobs, cancel, uuids, probe",
    [
        ("0.3.64", False, False, False, False),
        ("0.3.60", False, False, False, False),
        ("0.5.1", False, False, False, True),
        ("0.10.0", True, False, False, False),
        ("0.25.0", True, False, True, False),
        ("v0.26.0", True, True, True, False),
        ("0.36.0", True, True, True, False),
        ("1.0.0-rc1", True, True, True, False),
        ("unknown", False, False, False, False),
    ],
)
def test_capabilities_follow_the_version(version, jobs, cancel, uuids, probe):
    caps = capabilities_of(version)
    assert (caps.jobs_api, caps.cancel_endpoint, caps.uuid_prompt_ids, caps.probe_jobs) == (
        jobs, cancel, uuids, probe,
    )  # fmt: skip


def test_versions_parse_leniently():
    assert parse_version(fixture_json("v036/system_stats.json")["system"]["comfyui_version"]) == (
        0, 36, 0,
    )  # fmt: skip
    assert parse_version("0.3") == (0, 3, 0) and parse_version("") is None
