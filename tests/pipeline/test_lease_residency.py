"""Leases prefer the server that has a job's models loaded, but never queue behind it while
another server has a free slot."""

from __future__ import annotations

from pathlib import Path

from artfarm.pipeline.lease import (
    clear_down_marks,
    is_down,
    lease_server,
    mark_down,
    resident_models,
)

A, B = "http://127.0.0.1:1", "http://127.0.0.1:2"


def lease_once(folder: Path, models: set[str]) -> str:
    with lease_server([A, B], folder, models=models) as url:
        return url


def test_a_job_goes_to_the_server_that_last_ran_its_models(tmp_path: Path) -> None:
    assert lease_once(tmp_path, {"draft.safetensors"}) == A  # nothing known: config order
    with (
        lease_server([A, B], tmp_path, models={"draft.safetensors"}) as first,
        lease_server([A, B], tmp_path, models={"final.safetensors"}) as second,
    ):
        assert (first, second) == (A, B)  # A busy: the other tier spreads to B
    assert resident_models(tmp_path, B) == {"final.safetensors"}
    assert lease_once(tmp_path, {"final.safetensors"}) == B
    assert lease_once(tmp_path, {"draft.safetensors"}) == A
    both = {"final.safetensors", "up.pth"}
    assert lease_once(tmp_path, both) == B  # holds one of the two
    assert resident_models(tmp_path, B) == both


def test_an_idle_server_wins_over_queueing_behind_the_one_with_the_model(tmp_path: Path) -> None:
    assert lease_once(tmp_path, {"final.safetensors"}) == A
    with lease_server([A, B], tmp_path, models={"final.safetensors"}) as first:
        assert first == A
        assert lease_once(tmp_path, {"final.safetensors"}) == B  # A's slot 1 would queue


def test_a_job_without_models_keeps_config_order_and_the_record(tmp_path: Path) -> None:
    lease_once(tmp_path, {"final.safetensors"})
    assert lease_once(tmp_path, set()) == A
    assert resident_models(tmp_path, A) == {"final.safetensors"}


def test_a_server_marked_down_is_skipped_until_cleared(tmp_path: Path) -> None:
    mark_down(tmp_path, A)
    assert lease_once(tmp_path, set()) == B
    with lease_server([A, B], tmp_path) as first, lease_server([A, B], tmp_path) as second:
        assert (first, second) == (B, B)  # B's two slots before the down server
    mark_down(tmp_path, B)
    assert lease_once(tmp_path, set()) == A  # every server down: the marks are ignored
    clear_down_marks(tmp_path)
    assert not is_down(tmp_path, A) and lease_once(tmp_path, set()) == A
