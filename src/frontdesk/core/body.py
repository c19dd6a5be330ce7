"""Strict JSON request bodies: invalid UTF-8 is 400, malformed JSON or bad fields are 422."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError

from frontdesk.core.errors import BadRequest, UnsupportedMediaType, ValidationFailed

M = TypeVar("M", bound=BaseModel)


def documented_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its body with :func:`read_json`."""
    schema = {"schema": model.model_json_schema()}
    return {"requestBody": {"required": True, "content": {"application/json": schema}}}


async def read_text(request: Request, media_type: str) -> str:
    """Read a text body of ``media_type`` (``text/csv``, …) as UTF-8."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != media_type:
        raise UnsupportedMediaType(f"Send the body as {media_type}")
    try:
        return (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BadRequest("The body is not valid UTF-8") from e


async def read_json(request: Request, model: type[M]) -> M:
    """Read and validate the body as ``model``."""
    content_type = request.headers.get("content-type", "application/json")
    if not content_type.split(";")[0].strip().lower().endswith("json"):
        raise UnsupportedMediaType("Send the body as application/json")
    raw = await request.body()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRequest("The body is not valid UTF-8") from e
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise ValidationFailed(f"Malformed JSON: {e}") from e
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors = [
            {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]}
            for err in e.errors(include_url=False, include_context=False)
        ]
        raise ValidationFailed("The request is invalid", errors=errors) from e
