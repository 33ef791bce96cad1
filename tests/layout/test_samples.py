"""Grey samples for text placement: made when the art is prepared, reused while it is current."""

from __future__ import annotations

import os

from PIL import Image, ImageChops

from artfarm.layout.samples import decode_sample, grey_sample, sample_path

from .conftest import art


def test_the_cached_sample_is_the_decoded_one_and_follows_the_jpeg(tmp_path):
    jpeg = tmp_path / "0001.jpg"
    Image.open(art(tmp_path / "a.png", (900, 1200))).save(jpeg, quality=90)
    first = grey_sample(jpeg)
    assert sample_path(jpeg).is_file()
    assert ImageChops.difference(grey_sample(jpeg), decode_sample(jpeg)).getbbox() is None
    assert first.size == (192, 256)
    Image.open(art(tmp_path / "b.png", (1200, 900), (10, 200, 10))).save(jpeg, quality=90)
    os.utime(jpeg, ns=(1, 1))  # another file at another mtime: the old sample is not used
    assert grey_sample(jpeg).size == (256, 192)


def test_the_art_step_writes_the_sample_and_a_layout_run_reads_it(make_book):
    from artfarm.cli import main

    book = make_book()
    assert main(["layout", str(book), "art", "--page", "1"]) == 0
    jpeg = book / "exports" / "print" / "0001.jpg"
    cached = sample_path(jpeg)
    assert cached.is_file()
    stamp = cached.stat().st_mtime_ns
    assert main(["layout", str(book), "pages"]) == 0
    assert cached.stat().st_mtime_ns == stamp  # reused, not made again
