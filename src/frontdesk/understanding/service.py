"""Understanding services: training data, training jobs, model versions, and the analysis pass."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.core.errors import Conflict, NotFound, ValidationFailed
from frontdesk.knowledge.embeddings import Embedder, get_embedder
from frontdesk.queue.base import ClaimedJob, NewJob, PermanentJobError
from frontdesk.queue.sql import SqlQueue
from frontdesk.understanding import entities, fallback, sentiment
from frontdesk.understanding.intent import (
    IntentClassifier,
    Prediction,
    TrainingError,
    TrainingSettings,
    _split,
)
from frontdesk.understanding.language import Detected, LanguageDetector
from frontdesk.understanding.models import IntentExample, IntentModel
from frontdesk.understanding.names import person_names

if TYPE_CHECKING:
    from frontdesk.runtime import Runtime
    from frontdesk.tenants.settings import TenantPreferences

TRAIN_INTENTS = "intent.train"
MAX_IMPORT_ROWS = 50_000
MAX_EXAMPLE_CHARS = 1000
EVALUATION_SHARE = 0.2


# -- training data ----------------------------------------------------------------------------


async def add_examples(
    session: AsyncSession, tenant_id: str, pairs: Sequence[tuple[str, str]]
) -> int:
    """Add ``(intent, text)`` examples, skipping ones already there, and commit.

    Returns how many were new.
    """
    clean = {(intent.strip(), " ".join(text.split())) for intent, text in pairs}
    clean = {(i, t) for i, t in clean if i and t}
    if not clean:
        return 0
    existing = set(
        (
            await session.execute(
                select(IntentExample.intent, IntentExample.text).where(
                    IntentExample.tenant_id == tenant_id,
                    IntentExample.intent.in_({i for i, _ in clean}),
                )
            )
        ).all()
    )
    new = sorted(clean - {(row[0], row[1]) for row in existing})
    session.add_all(IntentExample(tenant_id=tenant_id, intent=i, text=t) for i, t in new)
    await session.commit()
    return len(new)


def parse_csv(content: str) -> list[tuple[str, str]]:
    """``text,intent`` rows (header required; ``category`` is accepted for ``intent``)."""
    reader = csv.DictReader(io.StringIO(content))
    fields = {name.strip().lower() for name in reader.fieldnames or []}
    label = "intent" if "intent" in fields else "category" if "category" in fields else None
    if "text" not in fields or label is None:
        raise ValidationFailed("The CSV needs a header with the columns text and intent")
    pairs = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_IMPORT_ROWS + 1:
            raise ValidationFailed(f"At most {MAX_IMPORT_ROWS:,} rows per import")
        row = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
        text, intent = row["text"].strip(), row[label].strip()
        if not text or not intent:
            raise ValidationFailed(f"Row {number}: text and intent are both required")
        if len(text) > MAX_EXAMPLE_CHARS or len(intent) > 100:
            raise ValidationFailed(f"Row {number}: text or intent too long")
        pairs.append((intent, text))
    return pairs


async def intent_counts(session: AsyncSession, tenant_id: str) -> dict[str, int]:
    """Examples per intent."""
    rows = await session.execute(
        select(IntentExample.intent, func.count())
        .where(IntentExample.tenant_id == tenant_id)
        .group_by(IntentExample.intent)
        .order_by(IntentExample.intent)
    )
    return {intent: n for intent, n in rows.all()}


# -- training ---------------------------------------------------------------------------------


async def start_training(session: AsyncSession, queue: SqlQueue, tenant_id: str) -> IntentModel:
    """Create the next model version, queue its training, and commit."""
    counts = await intent_counts(session, tenant_id)
    if len(counts) < 2:
        raise ValidationFailed("Add examples for at least two intents first")
    latest = await session.scalar(
        select(func.max(IntentModel.version)).where(IntentModel.tenant_id == tenant_id)
    )
    model = IntentModel(
        tenant_id=tenant_id,
        version=(latest or 0) + 1,
        status="training",
        examples=sum(counts.values()),
        intents=len(counts),
        report={},
    )
    session.add(model)
    await session.flush()
    await queue.enqueue(
        session,
        NewJob(TRAIN_INTENTS, {"model_id": model.id}, tenant_id=tenant_id, max_attempts=2),
    )
    await session.commit()
    return model


def evaluate(
    texts: list[str], labels: list[str], vectors: np.ndarray, settings: TrainingSettings
) -> dict[str, Any]:
    """Accuracy, per-intent precision / recall and the confusions, on a held-out split."""
    fit, held = _split(labels, EVALUATION_SHARE, settings.seed)
    if not held:
        return {"held_out": 0}
    model = IntentClassifier.train(
        [texts[i] for i in fit], [labels[i] for i in fit], vectors[fit], settings
    )
    predictions = model.predict([texts[i] for i in held], vectors[held])
    truth = [labels[i] for i in held]
    guessed = [p.ranking[0][0] for p in predictions]
    pairs = Counter(zip(truth, guessed, strict=True))
    per_intent = {}
    for intent in sorted(set(labels)):
        tp = pairs[(intent, intent)]
        predicted = sum(n for (_, g), n in pairs.items() if g == intent)
        actual = sum(n for (t, _), n in pairs.items() if t == intent)
        per_intent[intent] = {
            "precision": round(tp / predicted, 4) if predicted else None,
            "recall": round(tp / actual, 4) if actual else None,
            "support": actual,
        }
    confusions = [
        {"intent": t, "predicted": g, "count": n} for (t, g), n in pairs.most_common() if t != g
    ]
    correct = sum(n for (t, g), n in pairs.items() if t == g)
    return {
        "held_out": len(held),
        "accuracy": round(correct / len(held), 4),
        "rejected_as_out_of_scope": round(sum(p.out_of_scope for p in predictions) / len(held), 4),
        "per_intent": per_intent,
        "confusions": confusions[:50],
    }


def _train_and_evaluate(
    texts: list[str], labels: list[str], vectors: np.ndarray
) -> tuple[bytes, dict[str, Any]]:
    settings = TrainingSettings()
    report = evaluate(texts, labels, vectors, settings)
    model = IntentClassifier.train(texts, labels, vectors, settings)
    gate = (
        "gate",
        "threshold",
        "similarity_floor",
        "familiarity_floor",
        "gate_weights",
        "unfamiliarity_ceiling",
    )
    report["out_of_scope_gate"] = {key: model.meta[key] for key in gate if key in model.meta}
    return model.to_bytes(), report


async def run_training(
    db: Database, embedder: Embedder, session: AsyncSession, job: ClaimedJob
) -> None:
    """The ``intent.train`` job: embed, train and evaluate off the loop, then store the version."""
    model = await session.get(IntentModel, job.payload.get("model_id"))
    if model is None or model.tenant_id != job.tenant_id:
        raise PermanentJobError("intent model version not found")
    rows = (
        await session.execute(
            select(IntentExample.text, IntentExample.intent)
            .where(IntentExample.tenant_id == model.tenant_id)
            .order_by(IntentExample.id)
        )
    ).all()
    texts, labels = [r[0] for r in rows], [r[1] for r in rows]
    try:
        vectors = await embedder.embed(texts)
        weights, report = await asyncio.to_thread(_train_and_evaluate, texts, labels, vectors)
    except TrainingError as exc:
        await db.begin_write(session)
        model.status, model.error = "failed", str(exc)
        return
    await db.begin_write(session)
    model.status, model.weights, model.report = "ready", weights, report
    model.examples, model.intents = len(texts), len(set(labels))
    model.trained_at = utcnow()


async def activate(session: AsyncSession, tenant_id: str, model_id: str) -> IntentModel:
    """Make a ready version the one that classifies the tenant's messages, and commit."""
    model = await get_model(session, tenant_id, model_id)
    if model.status != "ready":
        raise Conflict(f"Version {model.version} is {model.status}, not ready")
    await session.execute(
        update(IntentModel)
        .where(IntentModel.tenant_id == tenant_id, IntentModel.id != model.id)
        .values(active=False)
    )
    model.active = True
    await session.commit()
    return model


async def get_model(session: AsyncSession, tenant_id: str, model_id: str) -> IntentModel:
    """One version, or :class:`NotFound`."""
    model = await session.get(IntentModel, model_id)
    if model is None or model.tenant_id != tenant_id:
        raise NotFound("No such intent model")
    return model


# -- analysis ---------------------------------------------------------------------------------


@dataclass
class IntentModels:
    """The active classifier of each tenant, loaded once and refreshed after a short TTL."""

    ttl: float
    _loaded: dict[str, tuple[float, str | None, IntentClassifier | None]] = field(
        default_factory=dict
    )

    async def active(self, session: AsyncSession, tenant_id: str) -> IntentClassifier | None:
        """The tenant's active classifier, or ``None`` when it has none."""
        now = asyncio.get_running_loop().time()
        cached = self._loaded.get(tenant_id)
        if cached and now - cached[0] < self.ttl:
            return cached[2]
        active_id = await session.scalar(
            select(IntentModel.id).where(
                IntentModel.tenant_id == tenant_id, IntentModel.active.is_(True)
            )
        )
        if cached and cached[1] == active_id:
            self._loaded[tenant_id] = (now, active_id, cached[2])
            return cached[2]
        classifier = None
        if active_id is not None:
            weights = await session.scalar(
                select(IntentModel.weights).where(IntentModel.id == active_id)
            )
            if weights:
                classifier = await asyncio.to_thread(IntentClassifier.from_bytes, weights)
        self._loaded[tenant_id] = (now, active_id, classifier)
        return classifier

    def forget(self, tenant_id: str) -> None:
        """Drop the cached classifier (after an activation)."""
        self._loaded.pop(tenant_id, None)


@dataclass(frozen=True)
class Analysis:
    """What one message says: language, intent, entities and sentiment."""

    language: str
    language_assumed: bool
    intent: Prediction | None
    entities: list[entities.Entity]
    sentiment: sentiment.Sentiment
    intent_source: str = "model"
    """``model`` (the tenant's classifier) or ``llm`` (the fallback named the intent)."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (stored beside the message)."""
        intent = None
        if self.intent is not None:
            intent = {
                "name": self.intent.intent,
                "confidence": self.intent.confidence,
                "out_of_scope": self.intent.out_of_scope,
                "source": self.intent_source,
                "ranking": [{"name": n, "confidence": c} for n, c in self.intent.ranking],
            }
        return {
            "language": self.language,
            "language_assumed": self.language_assumed,
            "intent": intent,
            "entities": [e.as_dict() for e in self.entities],
            "sentiment": {"score": self.sentiment.score, "label": self.sentiment.label},
        }


async def understand(
    runtime: Runtime,
    session: AsyncSession,
    tenant_id: str,
    prefs: TenantPreferences,
    text: str,
    *,
    detect_language: bool,
) -> Analysis:
    """:func:`analyze` with the tenant's active model, embedder, settings and patterns.

    The language is detected with ``detect_language`` (see :func:`detects_language`);
    otherwise the tenant's language is assumed.
    People's names are read by the LLM when one is configured and the text may hold one.
    The tenant's ``intent_threshold`` rejects predictions below it; an unsure prediction
    goes to the LLM (constrained to the tenant's intents) when ``intent_llm_fallback`` is on
    and a provider is configured.
    """
    classifier = await runtime.intents.active(session, tenant_id)
    result = await analyze(
        text,
        classifier=classifier,
        embedder=get_embedder(runtime.settings),
        detector=runtime.languages if detect_language else None,
        default_language=prefs.language,
        timezone=prefs.timezone,
        region=prefs.region,
        patterns=prefs.patterns(),
    )
    names = await person_names(runtime, tenant_id, text)
    if names:
        result = replace(result, entities=[*result.entities, *names])
    prediction = result.intent
    if classifier is None or prediction is None:
        return result
    prediction = thresholded(prediction, prefs.intent_threshold)
    if prediction.out_of_scope and prefs.intent_llm_fallback:
        name = await fallback.ask(runtime, tenant_id, text, classifier.labels)
        if name is not None:
            prediction = replace(prediction, intent=name, out_of_scope=False)
            return replace(result, intent=prediction, intent_source="llm")
    return replace(result, intent=prediction)


async def detects_language(runtime: Runtime, tenant_id: str, prefs: TenantPreferences) -> bool:
    """Whether the tenant's messages have their language detected.

    When it lists other languages its customers write in, or when it has a model configured:
    a message in another language is then translated, and so is the answer to it.

    Ask before a session of yours holds a connection: a miss of the process's cache loads the
    tenant's LLM configuration through a connection of its own (under load, sessions that
    wait for it while holding theirs would starve the pool), and the LLM calls that follow
    find it cached.
    """
    configured = bool((await runtime.llm.tenant_config(tenant_id)).providers)
    return configured or bool(prefs.languages)


def thresholded(prediction: Prediction, threshold: float) -> Prediction:
    """``prediction``, out of scope when it is less confident than the tenant's ``threshold``."""
    if prediction.out_of_scope or prediction.confidence >= threshold:
        return prediction
    return replace(prediction, intent=None, out_of_scope=True)


async def analyze(
    text: str,
    *,
    classifier: IntentClassifier | None,
    embedder: Embedder,
    detector: LanguageDetector | None,
    default_language: str,
    timezone: str,
    region: str | None,
    patterns: list[entities.TenantPattern],
) -> Analysis:
    """The full understanding pass over one message (no LLM).

    Without a ``detector`` the message is taken to be in ``default_language`` (a tenant that
    serves one language need not load the language models).
    """

    def read() -> tuple[Detected, list[entities.Entity], sentiment.Sentiment]:
        language = (
            detector.detect(text, default_language)
            if detector is not None
            else Detected(default_language, 0.0, True)
        )
        found = entities.extract(
            text, timezone=timezone, region=region, language=language.code, patterns=patterns
        )
        return language, found, sentiment.score(text)

    language, found, feeling = await asyncio.to_thread(read)  # model loads stay off the loop
    prediction = None
    if classifier is not None and text.strip():
        [prediction] = classifier.predict([text], await embedder.embed([text]))
    return Analysis(language.code, language.assumed, prediction, found, feeling)
