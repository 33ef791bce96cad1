"""Which hosts are this machine only: every server artfarm runs binds one unless told otherwise.

ComfyUI, the sketch server, the board and the MCP server all have no (or only a token's)
authentication, so each refuses a non-loopback host without `--allow-remote`; one rule for all.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """True for `localhost` and any loopback address (IPv6 in brackets or not)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
