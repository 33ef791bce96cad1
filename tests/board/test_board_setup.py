"""The browser tests' setup promises: CI installs Chromium; a missing one fails, never skips."""

from __future__ import annotations

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


def test_ci_installs_chromium_before_the_test_command() -> None:
    lines = (REPO / ".ci" / "run").read_text().splitlines()
    install = next(i for i, line in enumerate(lines) if "apt-get install -y -qq chromium" in line)
    assert any("[ ! -x /usr/bin/chromium ]" in line for line in lines[:install])
    assert lines[-1] == "make test" and install < len(lines) - 1
