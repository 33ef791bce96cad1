"""A file uploaded after /object_info was fetched is still accepted; a missing one is not.

The client fetches /object_info once per server and process, so LoadImage's list of input
files in that copy goes stale as soon as a job uploads a new picture. Like ComfyUI (LoadImage's
VALIDATE_INPUTS), the client does not check `image_upload` inputs against that list, so a job's
own upload passes; a name nobody uploaded is refused before any GPU time. A loader whose file
list IS checked (custom loader nodes lack `image_upload`) makes the client fetch /object_info
again when the refused name is one it uploaded itself.
"""

from __future__ import annotations

import pytest
from PIL import Image

from artfarm.comfy.errors import GraphRejected
from artfarm.sketch.testing import img2img_graph

from .conftest import quick_client


def test_an_input_uploaded_after_object_info_was_cached_is_accepted(
    comfy_url, checkpoint, tmp_path
):
    fresh = tmp_path / "fresh.png"
    Image.new("RGB", (32, 32), (12, 180, 90)).save(fresh)
    with quick_client(comfy_url, tmp_path) as client:
        client.object_info(refresh=True)  # cached before the job's upload, as in a long run
        graph = img2img_graph("a meadow at noon", ckpt=checkpoint, denoise=0.3)
        record = client.run(graph, {"init_image": fresh}, tmp_path / "out")
    [output] = record.outputs
    with Image.open(output.path) as image:
        assert image.size == (32, 32)


def test_a_file_nobody_uploaded_is_refused_before_submitting(comfy_url, checkpoint, tmp_path):
    graph = img2img_graph("a meadow", ckpt=checkpoint, image="never-uploaded-7d1f.png")
    with quick_client(comfy_url, tmp_path) as client, pytest.raises(GraphRejected) as err:
        client.run(graph, {}, tmp_path / "out")
    assert "never-uploaded-7d1f.png" in err.value.one_line()


def test_a_checked_file_list_that_misses_our_own_upload_is_fetched_again(
    comfy_url, checkpoint, tmp_path
):
    fresh = tmp_path / "fresh.png"
    Image.new("RGB", (32, 32), (180, 12, 90)).save(fresh)
    with quick_client(comfy_url, tmp_path) as client:
        cached = client.object_info(refresh=True)
        loader = cached["LoadImage"]["input"]["required"]
        loader["image"] = [["someone-elses.png"], {}]  # listed files, checked, ours not yet in
        graph = img2img_graph("a meadow at noon", ckpt=checkpoint, denoise=0.3)
        record = client.run(graph, {"init_image": fresh}, tmp_path / "out")
        assert record.outputs
        assert client.object_info() is not cached  # fetched again after the upload
        stale = img2img_graph("a meadow", ckpt=checkpoint, image="never-uploaded-7d1f.png")
        with pytest.raises(GraphRejected):  # a name it did not upload is no reason to refetch
            client.object_info()["LoadImage"]["input"]["required"]["image"] = [["x.png"], {}]
            client.validate(stale)
