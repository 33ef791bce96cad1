"""The client survives a real-world server: crashes, dropped sockets, 5xx, refusals, kills."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from artfarm.comfy.client import RetryPolicy
from artfarm.comfy.errors import Interrupted, PromptLost, ServerUnreachable, TimedOut
from artfarm.comfy.journal import Journal
from artfarm.sketch.server import Faults
from artfarm.sketch.testing import running_sketch_server, txt2img_graph
from tests.waiting import wait_until

from .conftest import CKPT, SKETCH_MODELS, quick_client


def job(prompt="(Bramble the bear:1.2) at dusk", steps=4, seed=3):
    return txt2img_graph(prompt, ckpt=CKPT, steps=steps, seed=seed, prefix="fault/job")


def output_files(server):
    return sorted(p.name for p in (server.dirs["output"] / "fault").glob("*.png"))


def test_server_dying_mid_job_and_coming_back_gives_one_result_and_a_journalled_resubmission(
    tmp_path,
):
    faults = Faults(crash_at_step=2, restart_after=0.4)
    with running_sketch_server(
        tmp_path, models=SKETCH_MODELS, step_seconds=0.05, faults=faults
    ) as server:
        with quick_client(server.url, tmp_path) as client:
            record = client.run(job(), {}, tmp_path / "out", job_key="page-7-draft")
        assert server.stats.crashes == 1
        assert record.resubmitted and len(record.prompt_ids) == 2
        assert record.prompt_id == record.prompt_ids[1] == server.stats.prompts_accepted[-1]
        assert len(record.outputs) == 1 and output_files(server) == ["job_00001_.png"]
        submitted = record.model_dump(mode="json")["submissions"]  # the manifest's run.submissions
        assert [s["prompt_id"] for s in submitted] == record.prompt_ids
        assert [s["reason"].split(":")[0] for s in submitted] == ["first", "resubmitted"]
    entry = Journal(tmp_path / "journal").load("page-7-draft")
    assert [a.reason.split(":")[0] for a in entry.attempts] == ["first", "resubmitted"]
    assert entry.state == "done"


def test_a_prompt_lost_twice_raises_prompt_lost(tmp_path):
    faults = Faults(crash_at_step=1, restart_after=0.3, crash_times=2)
    with (
        running_sketch_server(
            tmp_path, models=SKETCH_MODELS, step_seconds=0.05, faults=faults
        ) as server,
        quick_client(server.url, tmp_path) as client,
        pytest.raises(PromptLost) as err,
    ):
        client.run(job(), {}, tmp_path / "out", job_key="cursed")
    assert err.value.prompt_id and "\n" not in str(err.value)
    assert Journal(tmp_path / "journal").load("cursed").state == "failed"


def test_a_dropped_websocket_still_delivers_the_result_by_polling(tmp_path):
    faults = Faults(ws_drop_at_step=1)
    with running_sketch_server(
        tmp_path, models=SKETCH_MODELS, step_seconds=0.05, faults=faults
    ) as server:
        with quick_client(server.url, tmp_path) as client:
            record = client.run(job(steps=6), {}, tmp_path / "out")
        assert len(record.outputs) == 1 and not record.resubmitted


def test_without_any_websocket_the_result_arrives_by_polling(tmp_path):
    faults = Faults(ws_refuse=True)
    with running_sketch_server(
        tmp_path, models=SKETCH_MODELS, step_seconds=0.02, faults=faults
    ) as server:
        with quick_client(server.url, tmp_path) as client:
            record = client.run(job(), {}, tmp_path / "out")
        assert len(record.outputs) == 1


def test_answers_of_500_are_retried_until_the_server_recovers(tmp_path):
    with running_sketch_server(
        tmp_path, models=SKETCH_MODELS, faults=Faults(http_500_next=3)
    ) as server:
        with quick_client(server.url, tmp_path) as client:
            assert client.health().version
            record = client.run(job(), {}, tmp_path / "out")
        assert server.faults.http_500_next == 0 and record.outputs


def test_refused_connections_are_retried_for_a_bounded_time(tmp_path):
    with running_sketch_server(tmp_path, models=SKETCH_MODELS) as server:
        server.refuse_connections(None)  # closed until this test reopens it
        answers = []
        with quick_client(server.url, tmp_path, retry=RetryPolicy(total_seconds=600)) as client:
            attempts = []
            client.http.event_hooks["request"].append(attempts.append)
            asking = threading.Thread(target=lambda: answers.append(client.health()))
            asking.start()
            wait_until(lambda: len(attempts) >= 3, "the client to retry the refused connection")
            server.accept_connections()
            asking.join(timeout=120)
        assert answers and answers[0].version
        server.refuse_connections(None)
        quick = quick_client(server.url, tmp_path, retry=RetryPolicy(total_seconds=0.5))
        with quick as client, pytest.raises(ServerUnreachable):
            client.health()


def test_waiting_too_long_raises_timed_out(tmp_path):
    with (
        running_sketch_server(tmp_path, models=SKETCH_MODELS, step_seconds=0.2) as server,
        quick_client(server.url, tmp_path) as client,
    ):
        prompt_id = client.submit(job(steps=20))
        with pytest.raises(TimedOut):
            client.wait(prompt_id, timeout=0.3)
        client.cancel(prompt_id)


def test_interrupting_a_running_prompt_raises_interrupted_naming_the_node(tmp_path):
    with (
        running_sketch_server(tmp_path, models=SKETCH_MODELS, step_seconds=0.05) as server,
        quick_client(server.url, tmp_path) as client,
    ):
        steps = []

        def stop_after_first(value, maximum, node):
            steps.append(value)
            if value == 1:
                client.cancel(prompt_id)

        prompt_id = client.submit(job(steps=50))
        with pytest.raises(Interrupted) as err:
            client.wait(prompt_id, on_progress=stop_after_first, timeout=20)
    assert err.value.node_title == "sampler" and max(steps) < 50


CHILD = textwrap.dedent(
    """
    import signal
    import sys
    from artfarm.comfy.client import ComfyClient
    # A job process in a terminal: Ctrl-C raises KeyboardInterrupt even when this test runs
    # from a background shell, which starts its children with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from artfarm.sketch.testing import txt2img_graph
    url, journal, dest = sys.argv[1:4]
    graph = txt2img_graph("(Pip:1.1) at night", ckpt="random_sd15_fp16.safetensors", steps=int(sys.argv[4]),
                          prefix="fault/job")
    ComfyClient(url, journal_dir=journal).run(graph, {}, dest, job_key="killed-job")
    """
)


def start_child(url, tmp_path, steps):
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    args = [
        sys.executable,
        "-c",
        CHILD,
        url,
        str(tmp_path / "journal"),
        str(tmp_path / "child"),
        str(steps),
    ]
    return subprocess.Popen(args, env=env)


def wait_for_journal(tmp_path):
    def journalled():
        entry = Journal(tmp_path / "journal").load("killed-job")
        return entry if entry and entry.prompt_id else None

    return wait_until(journalled, "the child to journal its prompt")


API_MODES = ["0.36", "0.3.64"]
# how each API generation is asked "where is my prompt?"; the other one must stay unused
LOOKUP = {"0.36": "GET /api/jobs/{job_id}", "0.3.64": "GET /queue"}


def assert_consistent(record):
    timings = record.timings
    assert timings.queued_at <= timings.started_at <= timings.finished_at


@pytest.mark.slow
@pytest.mark.parametrize("api", API_MODES)
def test_a_killed_client_rerun_reattaches_to_its_running_prompt_without_submitting_again(
    tmp_path, api
):
    with running_sketch_server(tmp_path, models=SKETCH_MODELS, step_seconds=0.1, api=api) as server:
        child = start_child(server.url, tmp_path, steps=15)
        try:
            entry = wait_for_journal(tmp_path)
            wait_until(
                lambda: (
                    server.engine.running and server.engine.running.prompt_id == entry.prompt_id
                ),
                "the child's prompt to run on the server",
            )
            wait_until(
                lambda: Journal(tmp_path / "journal").load("killed-job").state == "submitted",
                "the journal to say the server queued it",
            )
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        server.stats.routes.clear()
        with quick_client(server.url, tmp_path) as client:
            graph = txt2img_graph("(Pip:1.1) at night", ckpt=CKPT, steps=15, prefix="fault/job")
            record = client.run(graph, {}, tmp_path / "out", job_key="killed-job")
        assert record.reattached and record.prompt_id == entry.prompt_id
        assert server.stats.prompts_accepted == [entry.prompt_id]  # one execution per graph
        assert output_files(server) == ["job_00001_.png"]
        assert_consistent(record)
        other = LOOKUP["0.3.64" if api == "0.36" else "0.36"]
        assert server.stats.routes[LOOKUP[api]] > 0 and server.stats.routes[other] == 0
    assert Journal(tmp_path / "journal").load("killed-job").state == "done"


def blocker(server, client):
    """A long prompt of someone else's, so the next one waits in the queue."""
    prompt_id = client.submit(job(prompt="someone else's page", steps=200))
    wait_until(
        lambda: server.engine.running and server.engine.running.prompt_id == prompt_id,
        "the blocker to run",
    )
    return prompt_id


@pytest.mark.slow
@pytest.mark.parametrize("api", API_MODES)
@pytest.mark.parametrize("where", ["running", "pending"])
def test_ctrl_c_in_a_job_process_takes_its_prompt_off_the_server(tmp_path, api, where):
    with (
        running_sketch_server(tmp_path, models=SKETCH_MODELS, step_seconds=0.1, api=api) as server,
        quick_client(server.url, tmp_path / "other") as other,
    ):
        ahead = blocker(server, other) if where == "pending" else None
        child = start_child(server.url, tmp_path, steps=200)
        try:
            entry = wait_for_journal(tmp_path)
            if where == "running":
                wait_until(
                    lambda: (
                        server.engine.running and server.engine.running.prompt_id == entry.prompt_id
                    ),
                    "the child's prompt to run",
                )
            else:
                wait_until(
                    lambda: entry.prompt_id in {i.prompt_id for i in server.engine.pending},
                    "the child's prompt to wait in the queue",
                )
            child.send_signal(signal.SIGINT)
            assert child.wait(timeout=120) != 0
        finally:
            if child.poll() is None:
                child.kill()

        def gone():
            queue = other.http.get("/queue").json()
            return entry.prompt_id not in {
                i[1] for i in queue["queue_running"] + queue["queue_pending"]
            }

        wait_until(gone, "the prompt to leave the server's queue")
        assert Journal(tmp_path / "journal").load("killed-job").state == "cancelled"
        history = other.history(entry.prompt_id)
        if where == "running":
            assert history is not None and history.interrupted is not None
        else:  # dropped from the queue: it never ran, and the prompt ahead was left alone
            assert history is None
            assert server.engine.running and server.engine.running.prompt_id == ahead
            other.cancel(ahead)
        other_path = "POST /api/jobs/{job_id}/cancel" if api == "0.36" else "POST /queue"
        if where == "running" and api == "0.3.64":
            other_path = "POST /interrupt"
        assert server.stats.routes[other_path] > 0


@pytest.mark.slow
def test_a_rerun_of_a_finished_job_reattaches_to_its_result_without_submitting_again(tmp_path):
    with running_sketch_server(tmp_path, models=SKETCH_MODELS) as server:
        child = start_child(server.url, tmp_path, steps=2)
        assert child.wait(timeout=60) == 0
        with quick_client(server.url, tmp_path) as client:
            graph = txt2img_graph("(Pip:1.1) at night", ckpt=CKPT, steps=2, prefix="fault/job")
            record = client.run(graph, {}, tmp_path / "out", job_key="killed-job")
        assert record.reattached and len(server.stats.prompts_accepted) == 1
        assert json.loads(record.model_dump_json())["outputs"]


def test_a_queued_prompt_whose_reply_was_lost_is_not_queued_again(tmp_path):
    """v0.25+ queues a repeated id twice: the client asks first, and finds it."""
    with (
        running_sketch_server(tmp_path, models=SKETCH_MODELS) as server,
        quick_client(server.url, tmp_path) as client,
    ):
        server.faults.lose_prompt_reply_next = 1
        renamed = []
        prompt_id = client.submit(job(), on_new_id=lambda pid, why: renamed.append(pid))
        assert server.stats.prompts_accepted == [prompt_id] and renamed == []
        assert client.wait(prompt_id, timeout=60).status == "success"


def test_a_prompt_refused_mid_request_is_sent_again_under_a_new_journalled_id(tmp_path):
    with (
        running_sketch_server(tmp_path, models=SKETCH_MODELS) as server,
        quick_client(server.url, tmp_path) as client,
    ):
        server.faults.refuse_prompt_next = 1  # a proxy's 502: was it queued? ask, then resend
        record = client.run(job(), {}, tmp_path / "out", job_key="refused-once")
        first, second = record.submissions
        assert second.reason.startswith("resubmitted: queueing broke (HTTP 502)")
        assert server.stats.prompts_accepted == [second.prompt_id] == [record.prompt_id]
        assert record.prompt_ids == [first.prompt_id, second.prompt_id]
    entry = Journal(tmp_path / "journal").load("refused-once")
    assert [a.prompt_id for a in entry.attempts] == record.prompt_ids and entry.state == "done"
