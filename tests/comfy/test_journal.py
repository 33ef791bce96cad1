"""The job journal and re-attach: a prompt_id is written down before it is sent, and a rerun of
the same job continues that prompt instead of paying for it again — only when it is the same
job (key, server, graph) and the server still knows the prompt."""

from __future__ import annotations

import pytest

from artfarm.comfy.errors import ExecutionFailed
from artfarm.comfy.journal import JobEntry, Journal, graph_sha256
from artfarm.sketch.testing import empty_scale_graph, running_sketch_server, txt2img_graph
from tests.waiting import wait_until

from .conftest import CKPT, SKETCH_MODELS, quick_client


def graph(seed: int = 3) -> dict:
    return txt2img_graph("(Pip:1.1) in the snow", ckpt=CKPT, steps=2, seed=seed, prefix="j/job")


def test_an_attempt_is_on_disk_before_its_prompt_is_sent(tmp_path) -> None:
    journal = Journal(tmp_path)
    entry = JobEntry(job_key="page-1-draft", server="http://s", graph_sha256="g")
    journal.record_attempt(entry, "p-1", "first")
    again = Journal(tmp_path).load("page-1-draft")  # as a new process reads it
    assert again == entry
    assert again.prompt_id == "p-1" and again.state == "submitting" and not again.resubmitted
    assert again.events == ["first: p-1"]
    journal.record_attempt(entry, "p-2", "resubmitted: lost")
    journal.mark(entry, "done", "finished")
    again = Journal(tmp_path).load("page-1-draft")
    assert again.prompt_id == "p-2" and again.resubmitted and again.state == "done"
    assert again.events == ["first: p-1", "resubmitted: lost: p-2", "finished"]
    journal.mark(entry, "failed")
    assert Journal(tmp_path).load("page-1-draft").events == again.events  # no empty event


def test_job_keys_get_their_own_files_and_a_broken_file_is_no_entry(tmp_path) -> None:
    journal = Journal(tmp_path)
    for key in ("a", "b"):
        journal.save(JobEntry(job_key=key, server="http://s", graph_sha256=key))
    assert len(list(tmp_path.glob("*.json"))) == 2
    assert journal.load("b").graph_sha256 == "b" and journal.load("c") is None
    for path in tmp_path.glob("*.json"):
        path.write_text("{half")
    assert journal.load("a") is None


def test_an_in_memory_journal_keeps_entries_for_its_own_life_only(tmp_path) -> None:
    journal = Journal(None)
    entry = JobEntry(job_key="k", server="http://s", graph_sha256="g")
    journal.record_attempt(entry, "p-1", "first")
    assert journal.load("k") is entry
    assert Journal(None).load("k") is None
    assert list(tmp_path.iterdir()) == []


def test_the_graph_hash_ignores_key_order_and_sees_any_value() -> None:
    assert graph_sha256({"a": 1, "b": [1, 2]}) == graph_sha256({"b": [1, 2], "a": 1})
    assert graph_sha256({"a": 1}) != graph_sha256({"a": 2})


def test_a_rerun_reattaches_only_to_the_same_graph_on_the_same_server(tmp_path) -> None:
    with running_sketch_server(tmp_path, models=SKETCH_MODELS) as server:
        with quick_client(server.url, tmp_path) as client:
            first = client.run(graph(), {}, tmp_path / "out", job_key="page-2-draft")
            again = client.run(graph(), {}, tmp_path / "out2", job_key="page-2-draft")
            assert not first.reattached and again.reattached
            assert again.prompt_id == first.prompt_id
            assert len(server.stats.prompts_accepted) == 1
            other = client.run(graph(seed=4), {}, tmp_path / "out3", job_key="page-2-draft")
            assert not other.reattached and other.prompt_id != first.prompt_id
            assert len(server.stats.prompts_accepted) == 2
        entry = Journal(tmp_path / "journal").load("page-2-draft")
        assert entry.state == "done" and entry.prompt_id == other.prompt_id
        assert entry.graph_sha256 != graph_sha256(graph())  # the new job replaced the old entry
        entry.server = "http://127.0.0.1:1"  # the same job, journalled for another server
        Journal(tmp_path / "journal").save(entry)
        with quick_client(server.url, tmp_path) as client:
            elsewhere = client.run(graph(seed=4), {}, tmp_path / "out4", job_key="page-2-draft")
        assert not elsewhere.reattached and len(server.stats.prompts_accepted) == 3


def test_a_journalled_prompt_the_server_never_saw_is_submitted_as_lost(tmp_path) -> None:
    with running_sketch_server(tmp_path, models=SKETCH_MODELS) as server:
        journal = Journal(tmp_path / "journal")
        with quick_client(server.url, tmp_path) as client:
            sha = graph_sha256(graph())
            entry = JobEntry(job_key="k", server=client.base_url, graph_sha256=sha)
            journal.record_attempt(entry, "00000000-0000-4000-8000-000000000000", "first")
            record = client.run(graph(), {}, tmp_path / "out", job_key="k")
        assert not record.reattached and record.resubmitted
        assert server.stats.prompts_accepted == [record.prompt_id]
        assert [a.reason.split(":")[0] for a in journal.load("k").attempts] == [
            "first",
            "resubmitted",
        ]


def test_a_finished_or_failed_entry_whose_prompt_is_gone_starts_fresh(tmp_path) -> None:
    with running_sketch_server(tmp_path, models=SKETCH_MODELS) as server:
        journal = Journal(tmp_path / "journal")
        with quick_client(server.url, tmp_path) as client:
            sha = graph_sha256(graph())
            for state in ("done", "failed"):
                entry = JobEntry(job_key=state, server=client.base_url, graph_sha256=sha)
                journal.record_attempt(entry, "11111111-1111-4111-8111-111111111111", "first")
                journal.mark(entry, state)
                record = client.run(graph(), {}, tmp_path / state, job_key=state)
                assert not record.reattached and not record.resubmitted
                assert [a.reason for a in journal.load(state).attempts] == ["first"]
        assert len(server.stats.prompts_accepted) == 2


def test_a_failed_job_is_journalled_failed_and_its_rerun_is_submitted_anew(tmp_path) -> None:
    failing = empty_scale_graph(prefix="../escape")  # SaveImage refuses to leave its folder
    with running_sketch_server(tmp_path, models=SKETCH_MODELS) as server:
        with quick_client(server.url, tmp_path) as client:
            for _ in range(2):
                with pytest.raises(ExecutionFailed):
                    client.run(failing, {}, tmp_path / "out", job_key="bad")
                entry = Journal(tmp_path / "journal").load("bad")
                assert entry.state == "failed" and "outside the output folder" in entry.events[-1]
        assert len(server.stats.prompts_accepted) == 2  # a failure is never re-attached to


def test_the_journal_tells_each_rerun_what_happened(tmp_path) -> None:
    with running_sketch_server(tmp_path, models=SKETCH_MODELS) as server:
        journal = Journal(tmp_path / "journal")
        with quick_client(server.url, tmp_path) as client:
            record = client.run(graph(), {}, tmp_path / "out", job_key="k")
            [submission] = record.submissions
            assert submission.accepted_at is not None and submission.prompt_id == record.prompt_id
            again = client.run(graph(), {}, tmp_path / "again", job_key="k")
            assert again.reattached
            assert f"re-attached to {record.prompt_id}" in journal.load("k").events
            empty = JobEntry(
                job_key="e", server=client.base_url, graph_sha256=graph_sha256(graph())
            )
            journal.save(empty)  # journalled, never sent: nothing to re-attach to
            fresh = client.run(graph(), {}, tmp_path / "fresh", job_key="e")
            assert not fresh.reattached and not fresh.resubmitted
            lost = JobEntry(job_key="l", server=client.base_url, graph_sha256=graph_sha256(graph()))
            journal.record_attempt(lost, "22222222-2222-4222-8222-222222222222", "first")
            client.run(graph(), {}, tmp_path / "lost", job_key="l")
            assert any("unknown to the server" in e for e in journal.load("l").events)


@pytest.mark.parametrize("on_disk", [True, False], ids=["folder", "memory"])
def test_in_flight_lists_the_jobs_whose_prompt_may_still_run(tmp_path, on_disk) -> None:
    journal = Journal(tmp_path if on_disk else None)
    for key, state in [("queued", "submitted"), ("sending", "submitting"), ("ok", "done"),
                       ("bad", "failed"), ("gone", "cancelled")]:  # fmt: skip
        entry = JobEntry(job_key=key, server="http://s", graph_sha256="g")
        journal.record_attempt(entry, f"id-{key}", "first")
        journal.mark(entry, state)
    journal.save(JobEntry(job_key="never-sent", server="http://s", graph_sha256="g"))
    if on_disk:
        (tmp_path / "half-written.json").write_text("{")
    assert sorted(e.job_key for e in journal.in_flight()) == ["queued", "sending"]


def test_ctrl_c_after_the_prompt_was_queued_takes_it_off_the_server(tmp_path, monkeypatch) -> None:
    """An interrupt between queueing and waiting (or while fetching) still cancels: the run
    itself cancels, not only its wait, so no prompt renders on for nobody."""
    with running_sketch_server(tmp_path, models=SKETCH_MODELS, step_seconds=5.0) as server:
        with quick_client(server.url, tmp_path) as client:

            def interrupted(prompt_id, **_):
                raise KeyboardInterrupt  # Ctrl-C the moment the prompt is queued

            monkeypatch.setattr(client, "wait", interrupted)
            with pytest.raises(KeyboardInterrupt):
                client.run(graph(), {}, tmp_path / "out", job_key="page-3-draft")
        entry = Journal(tmp_path / "journal").load("page-3-draft")
        assert entry.state == "cancelled"
        wait_until(
            lambda: server.engine.snapshot() == {"queue_running": [], "queue_pending": []},
            "the server's queue to empty",
        )
        (record,) = server.engine.history_of(entry.prompt_id).values()
        assert record["status"]["status_str"] != "success"  # taken off, never rendered
