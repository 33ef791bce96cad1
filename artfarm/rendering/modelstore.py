"""The shared model store and each book's model lock.

    models/{checkpoints,loras,vae,controlnet,clip_vision,upscale_models}/   model files
    models/{diffusion_models,text_encoders,style_models}/   the diffusion-model families' files
    models/.artfarm/sha256-cache.json    path → size, mtime, sha256 (re-hash only what changed)
    books/<id>/models.lock.json          pinned model ("checkpoints/x.safetensors") → sha256

A book pins models by file name; its lock records their bytes. The compiler puts the locked
hashes into every request, so swapping a file re-renders exactly the stages that use it, and
it refuses a file whose hash no longer matches the lock: never a silent mid-book upgrade.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from artfarm.atomic import write_json, write_text
from artfarm.documents.book import Book
from artfarm.documents.reader import read_json
from artfarm.documents.safepath import PathEscape, ensure_inside
from artfarm.problems import ArtfarmError, Problem

FOLDERS = (
    "checkpoints", "loras", "vae", "controlnet", "clip_vision", "upscale_models",
    "diffusion_models", "text_encoders", "style_models",
)  # fmt: skip
# store folder → role name of a tier's file in book_pins
TIER_ROLES = {
    "checkpoints": "checkpoint", "diffusion_models": "checkpoint", "text_encoders": "clip:",
    "vae": "vae", "style_models": "style_model", "clip_vision": "clip_vision",
}  # fmt: skip
MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".sft")
LOCK_FILE = "models.lock.json"
CACHE_FILE = Path(".artfarm") / "sha256-cache.json"
CHUNK = 8 << 20

Progress = Callable[[str, int, int], None]  # (model key, bytes done, bytes total)


@dataclass(frozen=True, order=True)
class ModelRef:
    """One model file of the store: its folder and its name in that folder."""

    folder: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.folder}/{self.name}"


class ModelStore:
    """The folder tree ComfyUI reads models from, plus a hash cache keyed by size and mtime."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, ref: ModelRef) -> Path:
        return self.root / ref.folder / ref.name

    def ensure_folders(self) -> None:
        for folder in FOLDERS:
            (self.root / folder).mkdir(parents=True, exist_ok=True)

    def files(self) -> list[ModelRef]:
        """Every model file in the standard folders (subfolders included, as ComfyUI lists them)."""
        found = []
        for folder in FOLDERS:
            base = self.root / folder
            if base.is_dir():
                for p in base.rglob("*"):
                    if p.is_file() and p.suffix.lower() in MODEL_SUFFIXES:
                        found.append(ModelRef(folder, p.relative_to(base).as_posix()))
        return sorted(found)

    def _cache_path(self) -> Path:
        return self.root / CACHE_FILE

    def _read_cache(self) -> dict[str, dict]:
        try:
            data = json.loads(self._cache_path().read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def hashes(self, refs: list[ModelRef], progress: Progress | None = None) -> dict[str, str]:
        """sha256 of each file, reusing the cache when size and mtime are unchanged."""
        cache = self._read_cache()
        result, changed = {}, False
        for ref in refs:
            path = self.path(ref)
            st = path.stat()
            entry = cache.get(ref.key)
            if (
                entry
                and entry.get("size") == st.st_size
                and entry.get("mtime_ns") == st.st_mtime_ns
            ):
                result[ref.key] = entry["sha256"]
                continue
            digest = sha256_streamed(path, ref.key, st.st_size, progress)
            cache[ref.key] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
            result[ref.key] = digest
            changed = True
        if changed:
            write_json(self._cache_path(), cache)
        return result

    def sha256(self, ref: ModelRef) -> str:
        return self.hashes([ref])[ref.key]

    def extra_model_paths(self) -> str:
        """ComfyUI's extra_model_paths.yaml pointing every standard folder at this store."""
        section = {"base_path": str(self.root.resolve()), "is_default": True}
        section.update({folder: f"{folder}/" for folder in FOLDERS})
        return yaml.safe_dump({"artfarm": section}, sort_keys=False)

    def write_extra_model_paths(self, dest: Path) -> Path:
        self.ensure_folders()
        return write_text(dest, self.extra_model_paths())


def sha256_streamed(path: Path, label: str, total: int, progress: Progress | None) -> str:
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb", buffering=0) as fh:
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            digest.update(view[:n])
            done += n
            if progress:
                progress(label, done, total)
    return digest.hexdigest()


class ProgressBar:
    """A one-line progress bar on stderr (redrawn at most 10× a second)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.last = 0.0
        self.started = time.monotonic()

    def __call__(self, label: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        frac = done / total if total else 1.0
        bar = "#" * int(frac * 30)
        rate = done / max(now - self.started, 1e-6) / 1e6
        self.stream.write(
            f"\r[{bar:<30}] {frac:6.1%} {done / 1e9:6.2f}/{total / 1e9:.2f} GB {rate:7.0f} MB/s {label}"
        )
        if done >= total:
            self.stream.write("\n")
            self.started = time.monotonic()
        self.stream.flush()


# ------------------------------------------------------------------------------- pins and locks


def book_pins(book: Book) -> dict[str, ModelRef]:
    """Role → pinned model: each tier's files, upscaler, each LoRA, ControlNet.

    `<tier>_checkpoint` is the tier's main model (a checkpoint, or a diffusion model's unet);
    `<tier>_vae`, `<tier>_clip:<n>`, `<tier>_style_model`, `<tier>_clip_vision` the rest.
    """
    m = book.config.models
    pins: dict[str, ModelRef] = {}
    for tier, pin in (("draft", m.draft), ("final", m.final)):
        clips = 0
        for folder, name in pin.files():
            if folder == "text_encoders":
                clips += 1
            pins[f"{tier}_{TIER_ROLES[folder]}{clips if folder == 'text_encoders' else ''}"] = (
                ModelRef(folder, name)
            )
    if m.upscaler:
        pins["upscaler"] = ModelRef("upscale_models", m.upscaler)
    for name in m.loras:
        pins[f"lora:{name}"] = ModelRef("loras", name)
    if m.controlnet:
        pins["controlnet"] = ModelRef("controlnet", m.controlnet)
    return pins


def lock_path(book: Book) -> Path:
    return book.root / LOCK_FILE


_LOCKS: dict[tuple[str, tuple[int, ...]], dict[str, str]] = {}


def read_lock(book: Book) -> dict[str, str]:
    """The book's pins, remembered per version of the lock file (the link and what it names).

    While Snakemake builds its DAG every page's params read the same lock; an edited or
    replaced lock has another inode, size or mtime and is read (and checked) again.
    """
    path = lock_path(book)
    try:
        link, target = os.lstat(path), os.stat(path)
    except OSError:
        return _read_lock(book, path)  # absent, or a problem the reader names
    key = (os.path.abspath(path), (*_version(link), *_version(target)))
    if key not in _LOCKS:
        if len(_LOCKS) > 256:
            _LOCKS.clear()
        _LOCKS[key] = _read_lock(book, path)
    return dict(_LOCKS[key])


def _version(stat: os.stat_result) -> tuple[int, int, int, int]:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _read_lock(book: Book, path: Path) -> dict[str, str]:
    if not path.exists() and not path.is_symlink():
        return {}
    data = read_json(path, root=book.root)
    models = data.get("models", {}) if isinstance(data, dict) else None
    if not isinstance(models, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in models.items()
    ):
        raise ArtfarmError.single(
            str(path), "models", "must map each pinned model to its sha256", _lock_fix(book)
        )
    return dict(models)


def _lock_fix(book: Book, repin: bool = False) -> str:
    return f"run `artfarm models lock --book {book.root}{' --repin' if repin else ''}`"


def escape_problems(book: Book, store: ModelStore, refs: list[ModelRef]) -> list[Problem]:
    """Pins whose file leaves the store (a symlink out, or a name that is a path)."""
    problems = []
    for ref in refs:
        try:
            ensure_inside(store.root / ref.folder, store.path(ref))
        except PathEscape as err:
            problems.append(
                Problem(
                    str(book.config_path),
                    "models",
                    f"the pin {ref.key}: {err}",
                    f"put the model file itself in {store.root / ref.folder}",
                )
            )
    return problems


def missing_problems(book: Book, store: ModelStore, refs: list[ModelRef]) -> list[Problem]:
    escaped = escape_problems(book, store, refs)
    if escaped:
        return escaped
    return [
        Problem(
            str(book.config_path),
            "models",
            f"the book pins {ref.key}, which is not in the model store ({store.path(ref)})",
            f"put the file there (or `artfarm models placeholders {book.root}` for the sketch server)",
        )
        for ref in refs
        if not store.path(ref).is_file()
    ]


def lock_book(
    book: Book, store: ModelStore, repin: bool = False, progress: Progress | None = None
) -> dict[str, str]:
    """Record the hashes of the book's pins; a changed file is refused unless `repin`."""
    refs = sorted(set(book_pins(book).values()))
    problems = missing_problems(book, store, refs)
    if problems:
        raise ArtfarmError(problems)
    current = store.hashes(refs, progress)
    locked = read_lock(book)
    if not repin:
        problems = [
            mismatch_problem(book, ref.key, locked[ref.key], current[ref.key])
            for ref in refs
            if ref.key in locked and locked[ref.key] != current[ref.key]
        ]
        if problems:
            raise ArtfarmError(problems)
    write_json(lock_path(book), {"book_id": book.id, "models": current})
    return current


def mismatch_problem(book: Book, key: str, locked: str, actual: str) -> Problem:
    return Problem(
        str(lock_path(book)),
        key,
        f"the book pins {key} sha256 {locked}, the file has {actual}",
        f"restore the pinned file, or re-pin with `artfarm models lock --book {book.root} --repin`"
        " (pages using it will re-render)",
    )


def verified_hashes(book: Book, store: ModelStore, refs: list[ModelRef]) -> dict[str, str]:
    """Locked sha256 of each model, after checking the file is present and unchanged."""
    refs = sorted(set(refs))
    problems = missing_problems(book, store, refs)
    if problems:
        raise ArtfarmError(problems)
    locked = read_lock(book)
    unlocked = [r for r in refs if r.key not in locked]
    if unlocked:
        raise ArtfarmError(
            Problem(
                str(lock_path(book)),
                r.key,
                f"the book's lock has no hash for {r.key}",
                _lock_fix(book),
            )
            for r in unlocked
        )
    current = store.hashes(refs)
    problems = [
        mismatch_problem(book, r.key, locked[r.key], current[r.key])
        for r in refs
        if current[r.key] != locked[r.key]
    ]
    if problems:
        raise ArtfarmError(problems)
    return {r.key: locked[r.key] for r in refs}


def placeholder_bytes(ref: ModelRef) -> bytes:
    """Small deterministic stand-in for a model file (the sketch server only lists names)."""
    return f"artfarm placeholder model\n{ref.key}\n".encode()


def write_placeholders(book: Book, store: ModelStore) -> list[Path]:
    """Create a placeholder for every pin the store lacks; never touches an existing file."""
    store.ensure_folders()
    written = []
    for ref in sorted(set(book_pins(book).values())):
        path = store.path(ref)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(placeholder_bytes(ref))
            written.append(path)
    return written
