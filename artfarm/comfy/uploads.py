"""The name an input file is uploaded under: derived from its bytes, so it is known in advance.

The compiler writes this name into the graph and the client uploads the file under it, so the
graph a manifest records is, byte for byte, the graph that was submitted — and a replay that
uploads the same bytes gets the same name back.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

NAME_HEX = 24  # 96 bits of sha256: no two different inputs meet in one input folder


def upload_name(sha256_hex: str, suffix: str = ".png") -> str:
    """`<first 24 hex of sha256><suffix>`, the suffix lower-cased (".png" when there is none)."""
    return f"{sha256_hex[:NAME_HEX]}{suffix.lower() or '.png'}"


def upload_name_of(data: bytes, suffix: str = ".png") -> str:
    return upload_name(hashlib.sha256(data).hexdigest(), suffix)


def file_upload_name(path: Path, sha256_hex: str | None = None) -> str:
    """The upload name of a file (pass its sha256 when it is already known)."""
    digest = sha256_hex or hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return upload_name(digest, Path(path).suffix)
