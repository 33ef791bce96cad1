"""Leases on a fleet of unequal servers: a job goes where it ends first, from the speeds the
servers' past jobs taught (per-server files) and the backlogs of their held slots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from artfarm.pipeline.lease import (
    Held,
    Option,
    backlog,
    choose,
    learn,
    lease_server,
    lease_slot,
    load_seconds,
    mark_down,
    options,
)
from artfarm.pipeline.server_speeds import (
    ALL,
    Rate,
    ServerSpeed,
    job_cost,
    job_kind,
    read_speed,
    updated,
)
from artfarm.problems import ArtfarmError
from tests.waiting import wait_until

A, B, C = "http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"
REPO = Path(__file__).resolve().parents[2]


def speeds_of(**rates: float) -> dict[str, ServerSpeed]:
    """`A=1.0, B=2.0`: servers measured at that many seconds per unit (any kind)."""
    urls = {"A": A, "B": B, "C": C}
    return {urls[k]: ServerSpeed({ALL: Rate(v, 5, True)}, "k") for k, v in rates.items()}


def teach(folder: Path, url: str, seconds_per_unit: float) -> None:
    """Two jobs of kind "k" (the second clean): the server's rate is `seconds_per_unit`."""
    for _ in range(2):
        learn(folder, url, "k", 10.0, 10.0 * seconds_per_unit)


# --- the choice, given speeds and backlogs (pure) ---


def test_the_earliest_finish_wins_even_queued_behind_a_job_on_a_faster_server() -> None:
    fast = Option(A, free=True, backlog=1.0, expected=2.0)
    slow = Option(B, free=True, backlog=0.0, expected=4.0)
    assert choose([slow, fast]) is fast


def test_a_busy_server_that_still_ends_first_is_waited_for() -> None:
    fast = Option(A, free=False, backlog=2.0, expected=2.0)
    slow = Option(B, free=True, backlog=0.0, expected=5.0)
    assert choose([fast, slow]) is fast  # no free slot: the caller waits for it


def test_near_ties_go_to_a_free_slot_then_residency_then_config_order() -> None:
    full = Option(A, free=False, backlog=2.0, expected=2.0)
    free = Option(B, free=True, backlog=0.0, expected=4.1)  # within a tenth of 2 s
    assert choose([full, free]) is free
    plain = Option(A, free=True, backlog=0.0, expected=4.0)
    holds = Option(B, free=True, backlog=0.0, expected=4.1, resident=1)
    assert choose([plain, holds]) is holds
    twin = Option(C, free=True, backlog=0.0, expected=4.0)
    assert choose([twin, plain]) is twin and choose([plain, twin]) is plain


def test_a_backlog_runs_held_jobs_one_after_another_in_start_order() -> None:
    held = [Held(started=100.0, cost=3.0), Held(started=99.0, cost=2.0)]  # 2 s, then 3 s

    def need(h: Held) -> float:
        return h.cost or 0.0

    assert backlog(held, need, now=100.0) == pytest.approx(4.0)  # 1 s left, then 3 s
    assert backlog([], need, now=100.0) == 0.0


def test_a_job_past_its_estimate_needs_as_long_again_as_it_overran() -> None:
    def need(h: Held) -> float:
        return 2.0

    assert backlog([Held(100.0)], need, now=102.0) == pytest.approx(0.2)  # the floor
    assert backlog([Held(100.0)], need, now=110.0) == pytest.approx(8.0)
    # so waiting for a hung server ends: the idle slow server wins once it overruns enough
    late = options(
        {A: False, B: True},
        {A: [Held(100.0, 10.0, "k"), Held(100.0, 10.0, "k")], B: []},
        speeds_of(A=0.1, B=1.0),
        Held(0.0, 10.0, "k"),
        {},
        now=200.0,
    )
    assert choose(late).url == B


def test_without_any_speed_known_the_backlog_is_the_count_of_held_slots() -> None:
    fresh = options(
        {A: True, B: True},
        {A: [Held(1.0, 5.0, "k")], B: []},
        {A: ServerSpeed(), B: ServerSpeed()},
        Held(0.0, 5.0, "k"),
        {A: 1},
        now=2.0,
    )
    assert [(o.backlog, o.expected) for o in fresh] == [(1.0, 1.0), (0.0, 1.0)]
    assert choose(fresh).url == B  # the idle server, as leases always did


def test_a_server_not_measured_yet_counts_at_the_fleets_mean_speed() -> None:
    mixed = options(
        {A: True, B: True, C: True},
        {A: [], B: [], C: []},
        {**speeds_of(A=1.0, B=3.0), C: ServerSpeed()},
        Held(0.0, 2.0, "k"),
        {},
        now=0.0,
    )
    assert [o.expected for o in mixed] == pytest.approx([2.0, 6.0, 4.0])


# --- speeds: cost of a job, learning, the file ---


def test_a_jobs_cost_is_sampler_steps_times_megapixels_times_images() -> None:
    graph = json.loads((REPO / "workflows" / "draft.json").read_text())
    steps = sum(n["inputs"]["steps"] for n in graph.values() if "steps" in n.get("inputs", {}))
    assert steps > 0
    assert job_cost(graph, 2, 1000, 500) == pytest.approx(steps * 2 * 0.5)
    assert job_kind("draft", ["a", "b"]) == job_kind("draft", ["b", "a"]) != job_kind("refine", [])


def test_a_sample_that_may_hold_a_model_load_gives_way_to_a_clean_one() -> None:
    first = updated(ServerSpeed(), "draft", cost=2.0, seconds=10.0)  # after nothing: maybe a load
    assert first.rates["draft"] == Rate(5.0, 1, False) and first.last_kind == "draft"
    clean = updated(first, "draft", cost=2.0, seconds=4.0)
    assert clean.rates["draft"] == Rate(2.0, 1, True)
    mixed = updated(updated(clean, "final", 1.0, 9.0), "draft", 2.0, 20.0)  # loads: not counted
    assert mixed.rates["draft"] == Rate(2.0, 1, True)
    again = updated(clean, "draft", cost=2.0, seconds=6.0)
    assert again.rates["draft"].seconds_per_unit == pytest.approx(0.7 * 2.0 + 0.3 * 3.0)


@pytest.mark.parametrize(
    "garbage",
    [
        "not json",
        "[1, 2]",
        '{"rates": {"*": {"seconds_per_unit": -1, "jobs": 1, "clean": true}}}',
        '{"rates": {"*": {"seconds_per_unit": "NaN", "jobs": 1, "clean": true}}}',
        '{"rates": {"*": {"jobs": 1}}}',
    ],
)
def test_a_corrupt_speed_file_is_ignored_and_the_next_job_rewrites_it(
    tmp_path: Path, garbage: str
) -> None:
    teach(tmp_path, B, 1.0)
    speed_file = next(tmp_path.glob("*.speed.json"))
    speed_file.write_text(garbage)
    assert read_speed(speed_file) == ServerSpeed()
    with lease_server([A, B], tmp_path, cost=1.0, kind="k") as url:
        assert url == A  # both unknown: config order
    learn(tmp_path, B, "k", 10.0, 30.0)
    assert read_speed(speed_file).seconds_per_unit("k") == pytest.approx(3.0)


# --- leases through real lock files ---


def test_a_slow_server_is_skipped_at_the_end_of_a_queue(tmp_path: Path) -> None:
    teach(tmp_path, A, 1.0)
    teach(tmp_path, B, 3.0)
    with lease_server([A, B], tmp_path, cost=100.0, kind="k") as first:
        assert first == A
        # A: 100 s left + 300 s = 400 s; B idle: 900 s — queue on A
        with lease_server([A, B], tmp_path, cost=300.0, kind="k") as second:
            assert second == A
            # A full (400 s left) + 300 s = 700 s still beats B's 900 s: wait, do not take B
            with (
                pytest.raises(ArtfarmError, match="no free server slot"),
                lease_server([A, B], tmp_path, cost=300.0, kind="k", wait=0),
            ):
                pass
            got: list[str] = []

            def waiter() -> None:
                with lease_server([A, B], tmp_path, cost=300.0, kind="k", wait=120) as url:
                    got.append(url)

            thread = threading.Thread(target=waiter)
            thread.start()
            wait_until(lambda: list(tmp_path.glob("wait.*")), "the waiter standing in line")
            # the next job counts the one in line: A 400 + 300 + 300 s, B 900 s — it takes B
            with lease_server([A, B], tmp_path, cost=300.0, kind="k", wait=0) as third:
                assert third == B
        thread.join(120)
    assert got == [A]
    assert not list(tmp_path.glob("wait.*"))  # a job that got its slot leaves the line


def test_the_place_of_a_killed_waiter_is_removed_and_not_counted(tmp_path: Path) -> None:
    teach(tmp_path, A, 1.0)
    teach(tmp_path, B, 1.0)
    dead = tmp_path / "wait.1.dead"  # nobody holds its lock: its job is gone
    record = {"pid": 1, "url": A, "started": 0.0, "cost": 1000.0, "kind": "k"}
    dead.write_text(json.dumps(record))
    with lease_server([A, B], tmp_path, cost=10.0, kind="k") as url:
        assert url == A
    assert not dead.exists()


def test_jobs_in_line_count_in_the_backlog_after_the_held_ones() -> None:
    def need(h: Held) -> float:
        return h.cost or 0.0

    held, queued = [Held(100.0, 4.0)], [Held(50.0, 3.0), Held(101.0, 2.0)]
    assert backlog(held, need, now=101.0, queued=queued) == pytest.approx(3.0 + 3.0 + 2.0)
    line = {A: [Held(0.0, 10.0, "k")], B: []}
    both = {A: [Held(0.0, 10.0, "k")] * 2, B: []}
    view = options({A: False, B: True}, both, speeds_of(A=1.0, B=3.5), Held(0.0, 10.0, "k"), {}, 0)
    assert choose(view).url == A  # alone: wait for A (30 s) rather than take B (35 s)
    behind = options(
        {A: False, B: True}, both, speeds_of(A=1.0, B=3.5), Held(0.0, 10.0, "k"), {}, 0, line
    )
    assert choose(behind).url == B  # one job in line for A: 40 s there, B ends first


def test_without_speeds_a_costed_lease_keeps_todays_order(tmp_path: Path) -> None:
    with (
        lease_server([A, B], tmp_path, cost=5.0, kind="k") as first,
        lease_server([A, B], tmp_path, cost=5.0, kind="k") as second,
        lease_server([A, B], tmp_path, cost=5.0, kind="k") as third,
        lease_server([A, B], tmp_path, cost=5.0, kind="k") as fourth,
    ):
        assert [first, second, third, fourth] == [A, B, A, B]  # spread first, then queue


def test_a_server_marked_down_is_skipped_however_fast(tmp_path: Path) -> None:
    teach(tmp_path, A, 0.1)
    teach(tmp_path, B, 5.0)
    mark_down(tmp_path, A)
    with lease_server([A, B], tmp_path, cost=1.0, kind="k") as url:
        assert url == B


CHILD = """
import os, sys
from pathlib import Path
from artfarm.pipeline.lease import lease_server
from tests.waiting import wait_until
folder, marks, go = (Path(a) for a in sys.argv[1:4])
servers = sys.argv[4:]
with lease_server(servers, folder, cost=10.0, kind="k", wait=120) as url:
    tag = servers.index(url)
    for slot in range(2):
        try:
            os.close(os.open(marks / f"{tag}.{slot}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            break
        except FileExistsError:
            continue
    else:
        (marks / f"overcommit-{os.getpid()}").write_text(url)
        sys.exit(3)
    (marks / f"in-{os.getpid()}").write_text(url)
    wait_until(go.exists, "the go file")
    os.unlink(marks / f"{tag}.{slot}")
"""


def test_concurrent_lease_processes_never_overcommit_a_slot(tmp_path: Path) -> None:
    folder, marks, go = tmp_path / "leases", tmp_path / "marks", tmp_path / "go"
    marks.mkdir()
    teach(folder, A, 1.0)
    teach(folder, B, 1.5)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(folder), str(marks), str(go), A, B], env=env
        )
        for _ in range(6)
    ]
    try:
        wait_until(lambda: len(list(marks.glob("in-*"))) >= 4, "four leases held")
        holders = [p.read_text() for p in marks.glob("in-*")]
        assert sorted(holders) == [A, A, B, B]  # 4 slots, 4 holders; 2 wait
        go.write_text("")
        assert [c.wait(120) for c in children] == [0] * 6
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    assert not list(marks.glob("overcommit-*"))
    assert len(list(marks.glob("in-*"))) == 6


def test_a_running_job_counts_only_what_its_progress_says_is_left() -> None:
    def need(h: Held) -> float:
        return 8.0

    queued_first = Held(90.0)  # leased first, runs second: it queued behind the one running
    running = Held(95.0, done=0.75, at=99.0)
    assert backlog([queued_first, running], need, now=100.0) == pytest.approx(1.0 + 8.0)


def test_a_jobs_reported_progress_reaches_the_next_jobs_choice(tmp_path: Path) -> None:
    teach(tmp_path, A, 1.0)
    teach(tmp_path, B, 2.0)
    with lease_slot([A, B], tmp_path, cost=1000.0, kind="k") as lease:
        assert lease.url == A
        with lease_server([A, B], tmp_path, cost=10.0, kind="k") as url:
            assert url == B  # A: 1000 s left + 10 s; B: 20 s
        lease.progress(0.999)  # A has 1 s left: 11 s there
        with lease_server([A, B], tmp_path, cost=10.0, kind="k") as url:
            assert url == A


def test_a_job_after_another_kind_teaches_the_servers_load_time() -> None:
    clean = updated(updated(ServerSpeed(), "k", 10.0, 10.0), "k", 10.0, 10.0)
    assert clean.load_seconds is None  # no switch seen yet
    switched = updated(updated(clean, "j", 5.0, 5.0), "k", 10.0, 16.0)
    assert switched.load_seconds == pytest.approx(6.0)
    assert switched.rates["k"] == clean.rates["k"]  # the load is not taken as slowness


def test_a_server_without_the_jobs_models_pays_its_load_time(tmp_path: Path) -> None:
    draft, other = {"draft.safetensors"}, {"other.safetensors"}
    teach(tmp_path, A, 1.0)
    teach(tmp_path, B, 1.0)
    with lease_server([A, B], tmp_path, models=draft, cost=1.0, kind="k") as url:
        assert url == A
    with (
        lease_server([A, B], tmp_path, models=draft, cost=1.0, kind="k") as first,
        lease_server([A, B], tmp_path, models=other, cost=1.0, kind="k") as second,
    ):
        assert (first, second) == (A, B)  # B now holds the other model
    with lease_server([A, B], tmp_path, models=draft, cost=5.0, kind="k") as busy:
        assert busy == A
        with lease_server([A, B], tmp_path, models=draft, cost=2.0, kind="k") as url:
            assert url == B  # no load time known: B's 2 s beat A's 5 + 2 s
        with lease_server([A, B], tmp_path, models=other, cost=1.0, kind="k") as url:
            assert url == B  # B holds the other model again
        learn(tmp_path, B, "j", 10.0, 10.0)
        learn(tmp_path, B, "k", 10.0, 20.0)  # 10 s beyond its rate after a switch: a load
        with lease_server([A, B], tmp_path, models=draft, cost=2.0, kind="k") as url:
            assert url == A  # B: 2 + 10 s of load; A holds the model: 5 + 2 s


def test_a_held_slot_whose_record_is_garbage_still_counts_as_held(tmp_path: Path) -> None:
    teach(tmp_path, A, 1.0)
    teach(tmp_path, B, 1.0)
    with (
        lease_server([A, B], tmp_path, cost=1.0, kind="k") as first,
        lease_server([A, B], tmp_path, cost=1.0, kind="k") as second,
    ):
        assert (first, second) == (A, B)
        for slot in tmp_path.glob("*.0.lock"):
            slot.write_bytes(b"\x00garbage{")
        with lease_server([A, B], tmp_path, cost=1.0, kind="k") as third:
            assert third == A  # both busy alike: the first server's second slot


def test_a_server_whose_load_time_is_unknown_counts_at_the_fleets_mean() -> None:
    speeds = {
        A: ServerSpeed({ALL: Rate(1.0, 1, True)}, "k", 4.0),
        B: ServerSpeed({ALL: Rate(1.0, 1, True)}, "k", 8.0),
        C: ServerSpeed(),
    }
    assert [load_seconds(speeds, url) for url in (A, B, C)] == [4.0, 8.0, 6.0]
    assert load_seconds({A: ServerSpeed()}, A) == 0.0
    view = options({A: True}, {A: []}, speeds, Held(0.0, 2.0, "k"), {}, 0.0, loads={A: 4.0})
    assert view[0].expected == pytest.approx(2.0 + 4.0)
