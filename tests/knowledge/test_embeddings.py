"""Embeddings: the offline MiniLM model and an OpenAI-compatible API behind one protocol."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from frontdesk.core.http import UnsafeURL
from frontdesk.knowledge.embeddings import (
    ApiEmbedder,
    EmbeddingError,
    LocalEmbedder,
    get_embedder,
)
from tests.conftest import MODELS, base_settings


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder(MODELS, batch_size=16)


async def test_local_vectors_are_normalised_and_semantic(local: LocalEmbedder):
    vectors = await local.embed(
        ["How long does shipping take?", "When will my parcel arrive?", "Can I pay with PayPal?"]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    paraphrase, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert paraphrase > 0.5 > unrelated


async def test_concurrent_callers_get_their_own_rows(local: LocalEmbedder):
    texts = [f"question number {i} about returns" for i in range(40)]
    alone = local.encode_sync(texts)
    together = await asyncio.gather(*(local.embed([text]) for text in texts))
    assert np.allclose(np.vstack(together), alone, atol=1e-5)


async def test_empty_input_gives_an_empty_matrix(local: LocalEmbedder):
    assert (await local.embed([])).shape == (0, 384)


def test_get_embedder_is_one_per_process(tmp_path: Path):
    settings = base_settings(tmp_path)
    assert get_embedder(settings) is get_embedder(base_settings(tmp_path))


class FakeEmbeddings(BaseHTTPRequestHandler):
    """Answers like OpenAI's /embeddings: one 3-d vector per input, in shuffled order."""

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("Authorization") != "Bearer sk-test":
            self._send(401, {"error": {"message": "bad key"}})
        elif body["input"] == ["broken"]:
            self._send(200, {"data": [{"index": 0}]})
        else:
            texts = body["input"]
            data = [{"index": i, "embedding": [len(t), 1.0, 0.0]} for i, t in enumerate(texts)]
            self._send(200, {"data": data[::-1], "model": body["model"]})

    def _send(self, status: int, payload: object) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake_api() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeEmbeddings)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def api(tmp_path: Path, host: str, key: str = "sk-test") -> ApiEmbedder:
    settings = base_settings(
        tmp_path,
        embedding_backend="api",
        embedding_api_base_url=f"http://{host}/v1",
        embedding_api_key=key,
        embedding_batch_size=2,
        http_allowed_hosts=[host],
    )
    return ApiEmbedder(settings)


async def test_api_backend_orders_batches_and_normalises(tmp_path: Path, fake_api: str):
    vectors = await api(tmp_path, fake_api).embed(["a", "bbb", "cc"])
    expected = np.array([[1, 1, 0], [3, 1, 0], [2, 1, 0]], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected)


async def test_api_failures_are_typed_and_keep_the_key_out(tmp_path: Path, fake_api: str):
    with pytest.raises(EmbeddingError) as caught:
        await api(tmp_path, fake_api, key="sk-wrong-secret").embed(["a"])
    assert "sk-wrong-secret" not in str(caught.value)
    with pytest.raises(EmbeddingError, match="malformed"):
        await api(tmp_path, fake_api).embed(["broken"])


async def test_api_backend_is_ssrf_guarded(tmp_path: Path, fake_api: str):
    settings = base_settings(
        tmp_path, embedding_backend="api", embedding_api_base_url=f"http://{fake_api}/v1"
    )
    with pytest.raises(UnsafeURL):
        await ApiEmbedder(settings).embed(["a"])
