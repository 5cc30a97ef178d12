"""Fixtures for the hostile-input tests: the whole pipeline, and a server that must stay unasked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.triage import TriageContext
from tests.hostile.pipeline import Pipeline


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, context: TriageContext) -> Pipeline:
    """Service, Maildir, SQLite store and outbox with the production settings."""
    return Pipeline(tmp_path_factory.mktemp("pipeline"), context)


@pytest.fixture(scope="module")
def quick_kill_pipeline(
    tmp_path_factory: pytest.TempPathFactory, context: TriageContext
) -> Pipeline:
    """As `pipeline`, but a worker overrunning 2 s (1 s polite limit) is killed."""
    limits = replace(context.extraction_limits, max_seconds=1.0, kill_after_seconds=2.0)
    return Pipeline(tmp_path_factory.mktemp("pipeline"), replace(context, extraction_limits=limits))


class Tripwire:
    """A loopback HTTP server that records every request: a document must never call it."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"FETCHED-FROM-THE-NETWORK")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.hits = hits
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tripwire() -> Iterator[Tripwire]:
    wire = Tripwire()
    yield wire
    wire.close()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A local file whose contents must never appear in extracted text."""
    path = tmp_path / "secret.txt"
    path.write_text("TOPPHEMMELIG-INNHOLD")
    return path
