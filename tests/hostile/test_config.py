"""config/config.yaml made hostile (server URLs, the document itself) and the sketch server's CLI.

validate reads the project's settings; every bad server is one line naming config/config.yaml.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from tests.hostile.conftest import Hostile, assert_refused

CONFIG = Path("config/config.yaml")

BAD_SERVERS = {
    "not_a_url": ["not a url"],
    "ftp": ["ftp://127.0.0.1:21"],
    "file": ["file:///etc/passwd"],
    "port_too_big": ["http://127.0.0.1:99999"],
    "port_zero": ["http://127.0.0.1:0"],
    "port_not_a_number": ["http://127.0.0.1:abc"],
    "no_host": ["http://:8188"],
    "spaces": ["http://127.0.0.1:8188/ x"],
    "number": [8188],
    "empty_list": [],
    "nested_list": [["http://127.0.0.1:8188"]],
    "entry_with_bad_url": [{"url": "gopher://x"}],
    "huge_url": ["http://" + "a" * 100_000 + ":8188"],
    "javascript": ["javascript:alert(1)"],
    "credentials": ["http://admin:s3cret-pw@127.0.0.1:8188"],
    "entry_with_credentials": [{"url": "https://admin:s3cret-pw@gpu.example:443"}],
}


@pytest.mark.parametrize("case", ["credentials", "entry_with_credentials"])
def test_credentials_in_a_server_url_are_refused_without_echoing_them(
    hostile: Hostile, case: str
) -> None:
    CONFIG.parent.mkdir(exist_ok=True)
    CONFIG.write_text(yaml.safe_dump({"servers": BAD_SERVERS[case]}))
    result = hostile.run("validate", str(hostile.book))
    assert_refused(result, "config/config.yaml")
    text = result.out + result.err
    assert "headers" in text
    assert "s3cret-pw" not in text


@pytest.mark.parametrize("case", BAD_SERVERS)
def test_a_bad_server_url_is_one_line_naming_the_config(hostile: Hostile, case: str) -> None:
    CONFIG.parent.mkdir(exist_ok=True)
    CONFIG.write_text(yaml.safe_dump({"servers": BAD_SERVERS[case]}))
    result = hostile.run("validate", str(hostile.book))
    assert_refused(result, "config/config.yaml")
    assert any("servers" in line for line in result.lines())


@pytest.mark.parametrize(
    "content",
    [
        "servers: [" * 5000,
        "a: &a [*a, *a]\nservers: *a\n",
        "servers: !!python/object/apply:os.system ['touch pwned']\n",
        "\x00\x01\x02 binary",
    ],
    ids=["deep", "recursive_alias", "python_tag", "binary"],
)
def test_a_hostile_config_document_is_refused(hostile: Hostile, content: str) -> None:
    CONFIG.parent.mkdir(exist_ok=True)
    CONFIG.write_text(content)
    result = hostile.run("validate", str(hostile.book))
    assert_refused(result, "config/config.yaml")
    assert not Path("pwned").exists()


def test_a_config_linked_out_of_the_project_is_not_echoed(hostile: Hostile) -> None:
    CONFIG.unlink(missing_ok=True)
    CONFIG.symlink_to(hostile.canary(".yaml"))
    result = hostile.run("validate", str(hostile.book))
    assert_refused(result, "config/config.yaml")


def test_sketch_server_on_a_port_in_use_is_one_line(hostile: Hostile) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = hostile.run("sketch-server", "--port", port, "--root", "sk")
    assert_refused(result, "--port")


@pytest.mark.parametrize("host", ["[::1]", "no.such.host.invalid", "999.1.1.1", "0.0.0.0"])
def test_sketch_server_with_a_bad_host_is_one_line(hostile: Hostile, host: str) -> None:
    result = hostile.run("sketch-server", "--host", host, "--port", "0", "--root", "sk")
    assert_refused(result, "host")
