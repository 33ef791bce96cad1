"""How much time does ComfyClient.run add on top of the server's own execution?

100 small jobs (64×64 txt2img, 1 step, distinct seeds) through `run()` against an embedded
sketch server with 0 simulated seconds per step. Prints the client overhead per job (ms: wall
time of run() minus the server's execution_start→end) and the ratio of end-to-end time to
server time. Target: overhead under 30 ms per job. Not a test: run `python bench/client_overhead.py`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from artfarm.comfy.client import ComfyClient
from artfarm.sketch.testing import running_sketch_server, txt2img_graph

CKPT = "bench_sd15.safetensors"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_sketch_server(tmp, models=[("checkpoints", CKPT)]) as server,
        ComfyClient(server.url, journal_dir=Path(tmp) / "journal") as client,
    ):
        prompt = "A picnic by the creek at noon; (Bramble the bear:1.2), (Pip:1.1), wide shot"
        client.run(txt2img_graph(prompt, ckpt=CKPT, seed=0, steps=1), {}, Path(tmp) / "warm")
        walls, servers = [], []
        started = time.perf_counter()
        for i in range(args.jobs):
            graph = txt2img_graph(prompt, ckpt=CKPT, seed=i + 1, steps=1, width=args.size,
                                  height=args.size, prefix="bench/job")  # fmt: skip
            t0 = time.perf_counter()
            record = client.run(graph, {}, Path(tmp) / "out" / str(i), job_key=f"bench-{i}")
            walls.append(time.perf_counter() - t0)
            servers.append(record.timings.server_seconds or 0.0)
        total = time.perf_counter() - started
    overhead_ms = [(w - s) * 1000 for w, s in zip(walls, servers, strict=True)]
    print(f"jobs                         {args.jobs} ({args.size}x{args.size}, 1 step)")
    print(f"total wall time              {total:.2f} s")
    print(f"end-to-end per job           mean {statistics.mean(walls) * 1000:.1f} ms")
    print(f"server execution per job     mean {statistics.mean(servers) * 1000:.1f} ms")
    print(f"client overhead per job      mean {statistics.mean(overhead_ms):.1f} ms, "
          f"median {statistics.median(overhead_ms):.1f} ms, p95 "
          f"{sorted(overhead_ms)[int(0.95 * len(overhead_ms)) - 1]:.1f} ms  (target < 30 ms)")  # fmt: skip
    ratio = sum(walls) / max(sum(servers), 1e-9)
    print(f"end-to-end / server time     {ratio:.2f}x")


if __name__ == "__main__":
    main()
