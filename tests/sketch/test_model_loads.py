"""Model loads on the sketch server follow ComfyUI's cache rules, counted through real HTTP."""

from __future__ import annotations

import httpx
import pytest

from artfarm.sketch.model_cache import NodeCache
from artfarm.sketch.testing import running_sketch_server, txt2img_graph
from tests.waiting import wait_until

MODELS = [("checkpoints", "draft.safetensors"), ("checkpoints", "final.safetensors")]
A, B = "draft.safetensors", "final.safetensors"


def run_all(server, ckpts: list[str]) -> dict:
    """Submit one txt2img job per checkpoint (a new seed each), one after another; the stats."""
    for seed, ckpt in enumerate(ckpts, start=1):
        reply = httpx.post(
            f"{server.url}/prompt", json={"prompt": txt2img_graph("a bear", ckpt=ckpt, seed=seed)}
        )
        assert reply.status_code == 200, reply.text
        pid = reply.json()["prompt_id"]
        entry = wait_until(
            lambda pid=pid: httpx.get(f"{server.url}/history/{pid}").json().get(pid),
            f"prompt {pid} to finish",
        )
        assert entry["status"]["status_str"] == "success"
    return httpx.get(f"{server.url}/sketch/stats").json()


def loads(stats: dict, ckpt: str) -> int:
    return stats["model_loads"].get(f"CheckpointLoaderSimple:{ckpt}", 0)


def test_default_cache_reloads_a_model_at_every_switch_and_keeps_it_for_the_same_model(tmp_path):
    with running_sketch_server(tmp_path, models=MODELS) as server:
        stats = run_all(server, [A, A, A, B, A, B])
    assert stats["cache"] == "classic"
    assert (loads(stats, A), loads(stats, B)) == (2, 2)
    assert stats["loads_total"] == 4 and stats["prompts_accepted"] == 6


def test_cache_lru_keeps_both_models_across_alternating_prompts(tmp_path):
    with running_sketch_server(tmp_path, models=MODELS, cache_lru=40) as server:
        stats = run_all(server, [A, B, A, B, A, B])
    assert stats["cache"] == "lru 40"
    assert (loads(stats, A), loads(stats, B)) == (1, 1)


def test_cache_lru_smaller_than_a_graph_behaves_like_the_default(tmp_path):
    with running_sketch_server(tmp_path, models=MODELS, cache_lru=4) as server:
        stats = run_all(server, [A, B, A])
    assert (loads(stats, A), loads(stats, B)) == (2, 1)


def test_cache_lru_drops_the_oldest_prompts_results_first():
    cache = NodeCache(lru=3)
    for prompt in (["a1", "a2"], ["b1"], ["c1", "c2"]):
        cache.begin(prompt)  # ComfyUI cleans before a prompt runs, not after
        for key in prompt:
            cache.put(key, {})
    assert all(k in cache for k in ("a1", "a2", "b1", "c1", "c2"))
    cache.begin(["b1", "d1"])  # 5 > 3: the oldest prompt's results go; b1 is used again
    cache.put("d1", {})
    assert "a1" not in cache and "a2" not in cache and "b1" in cache and "c1" in cache
    cache.begin(["e1"])  # 4 > 3: c's prompt is now the oldest; b1 was used after it
    assert "c1" not in cache and "c2" not in cache and "b1" in cache and "d1" in cache


def test_free_unloads_every_model(tmp_path):
    with running_sketch_server(tmp_path, models=MODELS, cache_lru=40) as server:
        run_all(server, [A])
        httpx.post(f"{server.url}/free", json={"unload_models": True})
        stats = run_all(server, [A])
    assert loads(stats, A) == 2


def test_a_load_holds_the_job_until_it_is_paid_and_can_be_interrupted(tmp_path):
    with running_sketch_server(tmp_path, models=MODELS, load_seconds=3600) as server:
        reply = httpx.post(f"{server.url}/prompt", json={"prompt": txt2img_graph("x", ckpt=A)})
        pid = reply.json()["prompt_id"]
        wait_until(
            lambda: httpx.get(f"{server.url}/sketch/stats").json()["loads_total"] == 1,
            "the checkpoint load to start",
        )
        assert httpx.get(f"{server.url}/history/{pid}").json() == {}
        assert httpx.get(f"{server.url}/queue").json()["queue_running"][0][1] == pid
        httpx.post(f"{server.url}/interrupt", json={})
        entry = wait_until(
            lambda: httpx.get(f"{server.url}/history/{pid}").json().get(pid), "the interrupt"
        )
    assert entry["status"]["status_str"] == "error"


@pytest.mark.parametrize("bad", [-1])
def test_a_negative_lru_size_is_refused(bad):
    with pytest.raises(ValueError):
        NodeCache(lru=bad)
