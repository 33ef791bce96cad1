"""Names in manifests and pruned.json are plain files of their stage folder, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from artfarm.pipeline.pruned import image_path
from artfarm.problems import ArtfarmError


@pytest.mark.parametrize("name", ["../../c01.png", "/etc/passwd", "sub/c01.png", "..", ""])
def test_a_name_that_leaves_the_stage_folder_is_refused(tmp_path: Path, name: str) -> None:
    stage = tmp_path / "pages" / "0001" / "draft"
    stage.mkdir(parents=True)
    with pytest.raises(ArtfarmError) as err:
        image_path(stage, name, "pruned.json")
    [problem] = err.value.problems
    assert problem.file == "pruned.json" and problem.field == "file"


def test_a_symlinked_name_pointing_out_is_refused(tmp_path: Path) -> None:
    stage = tmp_path / "draft"
    stage.mkdir()
    (stage / "c02.png").symlink_to(tmp_path / "elsewhere.png")
    with pytest.raises(ArtfarmError, match="outside"):
        image_path(stage, "c02.png", "manifest.json")


def test_a_plain_name_is_the_file_in_the_folder(tmp_path: Path) -> None:
    assert image_path(tmp_path, "c01.png", "manifest.json") == (tmp_path / "c01.png").resolve()
