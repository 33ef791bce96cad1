"""Leases on ComfyUI servers: one lock file per server queue slot.

Snakemake's `gpu` resource bounds how many render jobs run at once (servers × slots); inside a
job the lease says which server it talks to. Two slots per server keep the next job already
queued on the server while the current one runs, so the GPU never waits for a process start.

Earliest finish: a job goes where it is expected to end first — the server's backlog (what its
held slots still need, simulated one after another) plus the job's time there (its cost × the
server's learned seconds per unit, `server_speeds`). Each held slot's file records when it
started, its cost and kind, and the share of its sampling done (`Lease.progress`, from the
client's step messages: a job queued behind another on its server has not begun), so every job
sees every backlog. When the earliest server has no free slot the job waits for it, re-deciding
at each poll (a job that overruns its estimate counts as needing as long again as it overran,
so waiting never outlasts its worth), and stands in line (`wait.*`): later jobs count it in
that server's backlog. A server that does not hold the job's models adds its learned load
time. A free slot within a tenth of the job's time of the best counts as a tie. With no speed known (a fresh fleet) or no cost given, a server's backlog is its count of
held slots: jobs spread over idle servers first, as before. The choice runs under one lock file
(`choose.lock`), so two jobs never decide on the same view; a killed job's slot and choice lock
free themselves (flock).

Model residency: each server's `<tag>.models` file names the models of the last job leased to
it (what its cache holds once its queue drains). Among near-tied servers a job takes the one
holding most of its models, so a second tier's jobs do not make every server switch models.

A server down: a job whose server stopped answering (the client's retry window ran out) marks
it down (`<tag>.down`) and moves to another server; new leases skip it for `DOWN_SECONDS`, or
until a run's start finds every server answering (`clear_down_marks`). When every server is
marked down, leases ignore the marks (a job then fails naming its server, as before).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from artfarm.atomic import write_text
from artfarm.pipeline.server_speeds import ServerSpeed, locked, read_speed, record_run
from artfarm.problems import ArtfarmError

SLOTS_PER_SERVER = 2
DOWN_SECONDS = 300.0
TIE_SHARE = 0.1  # finishes this share of the job's time apart count as a tie
OVERRUN_FLOOR = 0.1  # a held job past its estimate still needs this share of it


def _tag(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def _slot_file(folder: Path, url: str, slot: int) -> Path:
    return folder / f"{_tag(url)}.{slot}.lock"


def _models_file(folder: Path, url: str) -> Path:
    return folder / f"{_tag(url)}.models"


def _down_file(folder: Path, url: str) -> Path:
    return folder / f"{_tag(url)}.down"


def mark_down(folder: Path, url: str) -> None:
    """`url` stopped answering: leases skip it for a while."""
    folder.mkdir(parents=True, exist_ok=True)
    write_text(_down_file(folder, url), f"{url}\n")


def is_down(folder: Path, url: str) -> bool:
    try:
        return time.time() - _down_file(folder, url).stat().st_mtime < DOWN_SECONDS
    except OSError:
        return False


def clear_down_marks(folder: Path) -> None:
    """Every server answered (a run's start): none is down any more."""
    for mark in folder.glob("*.down"):
        mark.unlink(missing_ok=True)


def up_servers(servers: list[str], folder: Path) -> list[str]:
    """The servers not marked down; all of them when every one is."""
    up = [url for url in servers if not is_down(folder, url)]
    return up or list(servers)


def resident_models(folder: Path, url: str) -> frozenset[str]:
    """The models of the last job leased to `url` (empty when unknown)."""
    try:
        return frozenset(_models_file(folder, url).read_text().split("\n")) - {""}
    except OSError:
        return frozenset()


def speed_file(folder: Path, url: str) -> Path:
    return folder / f"{_tag(url)}.speed.json"


def learn(folder: Path, url: str, kind: str, cost: float, seconds: float) -> None:
    """A job of `kind` and `cost` executed in `seconds` on `url`: the next leases know its speed."""
    record_run(speed_file(folder, url), kind, cost, seconds)


@dataclass(frozen=True)
class Held:
    """A held slot's job: when its lease started, its cost and kind (cost None: not recorded),
    and, once it runs, the share of its sampling `done` at epoch second `at`."""

    started: float
    cost: float | None = None
    kind: str = ""
    done: float | None = None
    at: float = 0.0


@dataclass(frozen=True)
class Option:
    """One server as a job sees it at lease time (seconds, or held slots when no speed is known)."""

    url: str
    free: bool
    backlog: float
    expected: float
    resident: int = 0

    @property
    def finish(self) -> float:
        return self.backlog + self.expected


def choose(options: Sequence[Option]) -> Option:
    """Where the job ends first. Near-ties (within `TIE_SHARE` of the job's time) go to a free
    slot, then to the server holding most of the job's models, then to config order."""
    best = min(o.finish for o in options)
    slack = TIE_SHARE * min(o.expected for o in options)
    near = [i for i, o in enumerate(options) if o.finish <= best + slack]
    pick = min(near, key=lambda i: (not options[i].free, -options[i].resident, i))
    return options[pick]


def backlog(
    held: Iterable[Held],
    seconds: Callable[[Held], float],
    now: float,
    queued: Iterable[Held] = (),
) -> float:
    """What the held slots still need, then the jobs `queued` for a slot: the server runs them
    one after another — the one reporting progress first, its rest from its share done, then
    the others in the order they started. A held job past its estimate needs as long again as
    it overran (at least a tenth of its estimate): a wrong estimate stops counting by itself."""
    free_at: float | None = None
    for job in sorted(
        held, key=lambda h: (h.done is None, h.at if h.done is not None else h.started)
    ):
        need = seconds(job)
        if job.done is not None:
            end = job.at + need * (1.0 - job.done)
        else:
            end = (job.started if free_at is None else max(job.started, free_at)) + need
        if end <= now:
            end = now + max(now - end, OVERRUN_FLOOR * need)
        free_at = end if free_at is None else max(end, free_at)
    free_at = now if free_at is None else free_at
    for job in sorted(queued, key=lambda h: h.started):
        free_at += seconds(job)
    return free_at - now


def seconds_per_unit(speeds: Mapping[str, ServerSpeed], url: str, kind: str) -> float | None:
    """`url`'s rate for `kind`; a server not measured yet counts as the fleet's mean (equal
    speeds); None when no server is measured."""
    own = speeds[url].seconds_per_unit(kind)
    if own is not None:
        return own
    known = [r for s in speeds.values() if (r := s.seconds_per_unit(kind)) is not None]
    return sum(known) / len(known) if known else None


def load_seconds(speeds: Mapping[str, ServerSpeed], url: str) -> float:
    """What loading a job's models costs `url`: its own estimate, else the fleet's mean, else 0."""
    own = speeds[url].load_seconds
    if own is not None:
        return own
    known = [s.load_seconds for s in speeds.values() if s.load_seconds is not None]
    return sum(known) / len(known) if known else 0.0


def options(
    free: Mapping[str, bool],
    held: Mapping[str, list[Held]],
    speeds: Mapping[str, ServerSpeed],
    job: Held,
    resident: Mapping[str, int],
    now: float,
    ahead: Mapping[str, list[Held]] | None = None,
    loads: Mapping[str, float] | None = None,
) -> list[Option]:
    """Every server's option for `job` (its cost and kind; `free`, `held`, `speeds` by URL;
    `ahead`: the jobs already in line for each busy server; `loads`: the seconds loading the
    job's models would add there)."""
    timed = job.cost is not None and any(s.rates for s in speeds.values())
    result = []
    for url in free:
        queued = (ahead or {}).get(url, [])
        if timed:
            rate = functools.partial(seconds_per_unit, speeds, url)
            need = _need(rate, job) + (loads or {}).get(url, 0.0)
            late = backlog(held[url], _need_of(rate, job), now, queued)
        else:
            need, late = 1.0, float(len(held[url]) + len(queued))
        result.append(Option(url, free[url], late, need, resident.get(url, 0)))
    return result


def _need(rate: Callable[[str], float | None], job: Held) -> float:
    return (job.cost or 0.0) * (rate(job.kind) or 0.0)


def _need_of(rate: Callable[[str], float | None], job: Held) -> Callable[[Held], float]:
    """A held job's expected seconds; one that recorded no cost counts as this job's."""

    def need(other: Held) -> float:
        if other.cost is None:
            return _need(rate, job)
        return _need(rate, Held(other.started, other.cost, other.kind or job.kind))

    return need


@contextlib.contextmanager
def lease_server(
    servers: list[str],
    folder: Path,
    *,
    slots: int = SLOTS_PER_SERVER,
    wait: float = 3600.0,
    models: Iterable[str] = (),
    cost: float | None = None,
    kind: str = "",
) -> Iterator[str]:
    """Hold a slot on the server where the job ends first for the duration of the block; yields
    its URL. `models`: the model files the job loads (to prefer a server that has them loaded);
    `cost`, `kind`: the job's (`server_speeds`); without a cost, idle servers come first."""
    with lease_slot(
        servers, folder, slots=slots, wait=wait, models=models, cost=cost, kind=kind
    ) as lease:
        yield lease.url


@dataclass
class Lease:
    """A held slot: its server, and the job's progress for the others' backlog estimates."""

    url: str
    folder: Path
    fd: int
    job: Held

    def progress(self, done: float) -> None:
        """The job has sampled `done` (0–1) of its work: others see how much it still needs."""
        self.job = replace(self.job, done=min(max(done, 0.0), 1.0), at=time.time())
        with contextlib.suppress(OSError), locked(self.folder / "choose.lock"):
            _write_record(self.fd, self.url, self.job)  # a hint: a lost one costs no render


@contextlib.contextmanager
def lease_slot(
    servers: list[str],
    folder: Path,
    *,
    slots: int = SLOTS_PER_SERVER,
    wait: float = 3600.0,
    models: Iterable[str] = (),
    cost: float | None = None,
    kind: str = "",
) -> Iterator[Lease]:
    """`lease_server`, yielding the `Lease` (to report the job's progress on it)."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = frozenset(models)
    deadline = time.monotonic() + wait
    line = _Line(folder, Held(time.time(), cost, kind))
    try:
        while (taken := _try_lease(servers, folder, slots, wanted, line)) is None:
            if time.monotonic() > deadline:
                raise ArtfarmError.single(
                    str(folder),
                    "servers",
                    f"no free server slot after {wait:.0f} s",
                    "raise the number of servers in config/config.yaml or lower --resources gpu",
                )
            time.sleep(0.05)
    finally:
        line.leave()
    url, fd, job = taken
    lease = Lease(url, folder, fd, job)
    try:
        yield lease
    finally:
        fcntl.flock(lease.fd, fcntl.LOCK_UN)
        os.close(lease.fd)


class _Line:
    """A job's place in line for a busy server (`wait.*`, flocked while it waits): the jobs
    that come after it count it in that server's backlog, so two jobs do not wait for one slot
    each believing it is theirs. A killed waiter's file is unlocked: the next job removes it."""

    def __init__(self, folder: Path, job: Held) -> None:
        self.folder, self.job = folder, job
        self.path: Path | None = None
        self.fd = -1

    def wait_for(self, url: str) -> None:
        """Stand in line for `url` (called under the choice lock)."""
        if self.path is None:
            self.path = self.folder / f"wait.{os.getpid()}.{secrets.token_hex(4)}"
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        _write_record(self.fd, url, self.job)

    def leave(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            os.close(self.fd)
            self.path = None


def _try_lease(
    servers: list[str], folder: Path, slots: int, wanted: frozenset[str], line: _Line
) -> tuple[str, int, Held] | None:
    """Under the choice lock: the chosen server, the locked fd of its free slot and the job's
    record there, or None when the job should wait for a busy server (then it stands in line
    for it)."""
    job = line.job
    with locked(folder / "choose.lock"):
        urls = up_servers(servers, folder)
        free, held = _probe(folder, urls, slots)
        try:
            now = time.time()
            speeds = {url: read_speed(speed_file(folder, url)) for url in urls}
            holds = {url: resident_models(folder, url) for url in urls}
            resident = {url: len(wanted & holds[url]) for url in urls}
            loads = {url: load_seconds(speeds, url) for url in urls if not wanted <= holds[url]}
            ahead = _waiting(folder, urls, line)
            isfree = {u: bool(free[u]) for u in urls}
            view = options(isfree, held, speeds, job, resident, now, ahead, loads)
            pick = choose(view).url
            if not free[pick]:
                line.wait_for(pick)
                return None
            fd = free[pick].pop(0)
            record = Held(now, job.cost, job.kind)
            _write_record(fd, pick, record)
            if wanted:
                write_text(_models_file(folder, pick), "\n".join(sorted(wanted)) + "\n")
            return pick, fd, record
        finally:
            for fds in free.values():
                for other in fds:
                    os.close(other)  # closing drops our probe's lock on a free slot


def _probe(
    folder: Path, urls: list[str], slots: int
) -> tuple[dict[str, list[int]], dict[str, list[Held]]]:
    """Each server's free slots (their fds, locked by us, lowest first) and held slots' jobs."""
    free: dict[str, list[int]] = {url: [] for url in urls}
    held: dict[str, list[Held]] = {url: [] for url in urls}
    for url in urls:
        for slot in range(slots):
            fd = os.open(_slot_file(folder, url, slot), os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held[url].append(_read_record(fd)[1])
                os.close(fd)
                continue
            free[url].append(fd)
    return free, held


def _waiting(folder: Path, urls: list[str], line: _Line) -> dict[str, list[Held]]:
    """The jobs in line before `line`'s, by the server they wait for; stale places removed."""
    ahead: dict[str, list[Held]] = {url: [] for url in urls}
    for path in folder.glob("wait.*"):
        if path == line.path:
            continue
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            url, other = _read_record(fd)
            if url in ahead and other.started < line.job.started:
                ahead[url].append(other)
        else:
            path.unlink(missing_ok=True)  # its job was killed while it waited
        finally:
            os.close(fd)
    return ahead


def _write_record(fd: int, url: str, job: Held) -> None:
    record = {"pid": os.getpid(), "url": url, "started": job.started}
    record |= {"cost": job.cost, "kind": job.kind, "done": job.done, "at": job.at}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)


def _read_record(fd: int) -> tuple[str, Held]:
    """A held slot's (or waiting) job and its server; one that does not say (an older
    artfarm's lease) started now."""
    try:
        data = json.loads(os.pread(fd, 4096, 0))
        cost, done = data["cost"], data.get("done")
        job = Held(
            float(data["started"]),
            None if cost is None else float(cost),
            str(data["kind"]),
            None if done is None else float(done),
            float(data.get("at", 0.0)),
        )
        return str(data["url"]), job
    except (ValueError, TypeError, KeyError):
        return "", Held(time.time())
