"""The ONNX Runtime MiniLM: the vectors of sentence-transformers, a cached export, no torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from frontdesk.knowledge import minilm
from tests.conftest import MODELS

TEXTS = [
    "How long does shipping take?",
    "",
    "🙂🙂🙂",
    "Où est ma commande ? Je l'attends depuis deux semaines.",
    "refund " * 400,  # over the 256-token limit: truncated like sentence-transformers does
]


@pytest.fixture(scope="module")
def encoder() -> minilm.OnnxMiniLM:
    return minilm.load(MODELS)


def test_vectors_match_sentence_transformers(encoder: minilm.OnnxMiniLM):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(minilm.model_dir()), device="cpu").encode(
        TEXTS, normalize_embeddings=True, convert_to_numpy=True
    )
    for threads in (1, 2):
        got = encoder.encode(TEXTS, threads)
        assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
        assert np.abs(got - reference).max() < minilm.TOLERANCE


def test_one_text_encodes_the_same_alone_and_in_a_padded_batch(encoder: minilm.OnnxMiniLM):
    alone = encoder.encode([TEXTS[0]])
    batched = encoder.encode([TEXTS[0], TEXTS[4]])
    assert np.abs(alone[0] - batched[0]).max() < 1e-5


@pytest.mark.slow
def test_a_damaged_cache_file_is_exported_again(tmp_path: Path):
    path = minilm.onnx_path(tmp_path)
    path.write_bytes(b"not an onnx model")
    encoder = minilm.load(tmp_path)
    assert encoder.encode(["hello"]).shape == (1, 384)
    assert path.stat().st_size > 10_000_000
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no scratch file left behind


def test_a_cached_model_loads_without_pytorch(encoder: minilm.OnnxMiniLM):
    script = (
        "import sys; from pathlib import Path; from frontdesk.knowledge import minilm; "
        f"minilm.load(Path({str(MODELS)!r})).encode(['hi']); "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
