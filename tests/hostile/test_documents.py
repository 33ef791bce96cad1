"""Every document a person or agent writes, made hostile, through `artfarm validate`.

Generated: each target document × each way of breaking it. Whatever the input, validate
exits 1 with short lines naming the document, and never reads (or echoes) the canary.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.hostile.conftest import Hostile, assert_refused

TARGETS = {
    "renderspec": "books/tiny_01/pages/0001/renderspec.json",
    "review": "books/tiny_01/pages/0001/review.json",
    "book_config": "books/tiny_01/book_config.yaml",
    "bible": "books/tiny_01/bible/characters.yaml",
    "layout": "books/tiny_01/layout/book.yaml",
    "stylepack": "style_packs/watercolor_whimsy_v1/stylepack.yaml",
}


def _suffix(path: Path) -> str:
    return ".json" if path.suffix == ".json" else ".yaml"


def symlink_out(env: Hostile, path: Path) -> None:
    path.symlink_to(env.canary(_suffix(path)))


def symlink_out_relative(env: Hostile, path: Path) -> None:
    target = env.canary(_suffix(path))
    path.symlink_to(os.path.relpath(target, path.parent))


def symlink_dev_zero(env: Hostile, path: Path) -> None:
    path.symlink_to("/dev/zero")


def fifo(env: Hostile, path: Path) -> None:
    os.mkfifo(path)


def directory(env: Hostile, path: Path) -> None:
    path.mkdir()


def too_big(env: Hostile, path: Path) -> None:
    path.write_text('{"scene": "' + "x" * (2 << 20) + '"}')


def deep_100k(env: Hostile, path: Path) -> None:
    path.write_text("[" * 100_000 + "]" * 100_000)


def deep_mapping(env: Hostile, path: Path) -> None:
    path.write_text('{"a": ' * 500 + "1" + "}" * 500)


def not_utf8(env: Hostile, path: Path) -> None:
    path.write_bytes(b"\xff\xfe\x00title: \x9c\x80")


def empty(env: Hostile, path: Path) -> None:
    path.write_bytes(b"")


def not_a_mapping(env: Hostile, path: Path) -> None:
    path.write_text("[1, 2, 3]")


def huge_key(env: Hostile, path: Path) -> None:
    path.write_text('{"' + "k" * 500_000 + '": 1}')


def huge_value(env: Hostile, path: Path) -> None:
    path.write_text('{"book_id": "' + "v" * 600_000 + '"}')


def nan(env: Hostile, path: Path) -> None:
    path.write_text('{"page": NaN, "seed": Infinity}')


def huge_int(env: Hostile, path: Path) -> None:
    path.write_text('{"page": ' + "9" * 20_000 + "}")


def many_values(env: Hostile, path: Path) -> None:
    path.write_text("[" + ",".join(["0"] * 300_000) + "]")


def yaml_bomb(env: Hostile, path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path.write_text("\n".join(lines) + "\n")


def yaml_recursive(env: Hostile, path: Path) -> None:
    path.write_text("a: &x [1, *x]\n")


def yaml_python_tag(env: Hostile, path: Path) -> None:
    path.write_text("title: !!python/object/apply:os.system ['touch pwned']\n")


def binary(env: Hostile, path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 64)


def control_chars(env: Hostile, path: Path) -> None:
    path.write_text('{"book_id": "\\u001b[2J\\u0007\\n\\nerror: forged line"}')


BREAKERS: dict[str, Callable[[Hostile, Path], None]] = {
    f.__name__: f
    for f in (
        symlink_out,
        symlink_out_relative,
        symlink_dev_zero,
        fifo,
        directory,
        too_big,
        deep_100k,
        deep_mapping,
        not_utf8,
        empty,
        not_a_mapping,
        huge_key,
        huge_value,
        nan,
        huge_int,
        many_values,
        yaml_bomb,
        yaml_recursive,
        yaml_python_tag,
        binary,
        control_chars,
    )
}


@pytest.mark.parametrize("breaker", BREAKERS)
@pytest.mark.parametrize("target", TARGETS)
def test_validate_refuses_a_hostile_document(hostile: Hostile, target: str, breaker: str) -> None:
    path = Path(TARGETS[target])
    path.unlink(missing_ok=True)
    BREAKERS[breaker](hostile, path)
    result = hostile.run("validate", str(hostile.book))
    names = str(path)
    if target == "renderspec" and breaker in ("fifo", "directory", "symlink_dev_zero"):
        names = str(path.parent)  # not a spec file: the page folder is named
    assert_refused(result, names)
    assert not Path("pwned").exists()


PINS = {
    "absolute": "/etc/passwd",
    "dotdot": "../../outside/secret.yaml",
    "inner_dotdot": "sd/../../x.safetensors",
    "backslash": "..\\..\\x.safetensors",
    "tilde": "~/x.safetensors",
    "control": "x\x1b[2J.safetensors",
    "empty_part": "sd//x.safetensors",
    "long": "x" * 5000,
}


@pytest.mark.parametrize("command", ["validate", "lock"])
@pytest.mark.parametrize("pin", PINS)
def test_a_model_pin_that_leaves_the_store_is_refused(
    hostile: Hostile, pin: str, command: str
) -> None:
    lock = hostile.book / "models.lock.json"
    before = lock.read_bytes() if lock.exists() else None
    config = hostile.book / "book_config.yaml"
    data = yaml.safe_load(config.read_text())
    data["models"]["draft"]["checkpoint"] = PINS[pin]
    config.write_text(yaml.safe_dump(data))
    argv = ["validate", str(hostile.book)]
    if command == "lock":
        argv = ["models", "lock", "--book", str(hostile.book)]
    result = hostile.run(*argv)
    assert_refused(result, "book_config.yaml")
    assert any("models.draft.checkpoint" in line for line in result.lines())
    assert (lock.read_bytes() if lock.exists() else None) == before


def test_a_pinned_model_linked_out_of_the_store_is_not_hashed(hostile: Hostile) -> None:
    lock = hostile.book / "models.lock.json"
    before = lock.read_bytes() if lock.exists() else None
    store = Path("models/checkpoints")
    store.mkdir(parents=True, exist_ok=True)
    (store / "sketch_draft_v1.safetensors").unlink(missing_ok=True)
    (store / "sketch_draft_v1.safetensors").symlink_to(hostile.canary(".json"))
    result = hostile.run("models", "lock", "--book", str(hostile.book))
    assert_refused(result, "book_config.yaml")
    assert any("outside" in line for line in result.lines())
    assert (lock.read_bytes() if lock.exists() else None) == before
