"""The console's typed client is generated from console/openapi.json: it must match the app.

Routes added elsewhere don't matter; a route the console knows that disappeared or changed
method, or a schema it knows that changed shape, fails here (regenerate: ``make console-api``).
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

COPY = Path(__file__).resolve().parents[2] / "console" / "openapi.json"


def test_console_schema_copy_matches_the_app(app: FastAPI):
    live = app.openapi()
    copy = json.loads(COPY.read_text())
    for path, operations in copy["paths"].items():
        assert path in live["paths"], f"{path} is gone: run `make console-api`"
        assert set(operations) <= set(live["paths"][path]), path
    live_schemas = live["components"]["schemas"]
    for name, schema in copy["components"]["schemas"].items():
        assert json.loads(json.dumps(live_schemas.get(name), sort_keys=True)) == schema, (
            f"schema {name} changed: run `make console-api`"
        )
