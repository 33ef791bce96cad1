"""The browser tests' setup promises: CI installs Chromium; a missing one fails, never skips."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.board import conftest

REPO = Path(__file__).resolve().parents[2]


def test_browser_tests_fail_without_chromium_unless_told_to_skip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(conftest, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("ARTFARM_SKIP_BROWSER", raising=False)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"):
        conftest.need_browser()
    monkeypatch.setenv("ARTFARM_SKIP_BROWSER", "1")
    with pytest.raises(pytest.skip.Exception, match="ARTFARM_SKIP_BROWSER=1"):
        conftest.need_browser()


def make_test_plan(**variables: str) -> str:
    """What `make test` would run (make -n: nothing runs), with Makefile variables set."""
    done = subprocess.run(
        ["make", "-n", "test", *(f"{k}={v}" for k, v in variables.items())],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "ARTFARM_SKIP_BROWSER"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_test_installs_chromium_when_it_is_missing(tmp_path: Path) -> None:
    missing = make_test_plan(CHROMIUM=str(tmp_path / "no-chromium"))
    assert "apt-get install -y -qq chromium" in missing
    assert missing.index("apt-get install") < missing.index("pytest")
    present = tmp_path / "chromium"
    present.write_text("")
    assert "apt-get" not in make_test_plan(CHROMIUM=str(present))
    skipped = make_test_plan(CHROMIUM=str(tmp_path / "no-chromium"), ARTFARM_SKIP_BROWSER="1")
    assert "apt-get" not in skipped and "pytest" in skipped
