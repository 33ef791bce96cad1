"""Which TLS trust a client gets: the CA store for https, none for a plain-http server."""

from __future__ import annotations

import ssl

import pytest

from artfarm.comfy.client import tls_verification


@pytest.mark.parametrize("url", ["https://gpu.example:8188", "HTTPS://gpu.example/comfy/"])
def test_an_https_server_is_verified_against_the_ca_store(url: str) -> None:
    assert tls_verification(url) is True  # httpx's default: certifi's CA store


@pytest.mark.parametrize("url", ["http://127.0.0.1:8188", "http://gpu.lan:8188/"])
def test_a_plain_http_server_gets_a_context_that_trusts_nothing(url: str) -> None:
    context = tls_verification(url)
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0  # no CA loaded: it would refuse any peer
