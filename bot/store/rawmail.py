"""Raw mail on disk, content-addressed by SHA-256: written once, never changed, never lost."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.durable import write_atomically


class RawMailStore:
    """`<root>/ab/cd/abcd….eml`; writing the same bytes twice is a no-op."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / f"{digest}.eml"

    def put(self, raw: bytes) -> str:
        """Store the bytes durably (fsync, atomic rename) and return their SHA-256."""
        digest = hashlib.sha256(raw).hexdigest()
        path = self.path_for(digest)
        if not path.exists():
            write_atomically(path, raw)
        return digest

    def get(self, digest: str) -> bytes:
        return self.path_for(digest).read_bytes()
