"""A small assessment definition shared by the assessment tests."""

from __future__ import annotations

import copy
from typing import Any

QUIZ: dict[str, Any] = {
    "key": "health-check",
    "title": "Health check",
    "intro": "Five quick questions about your habits.",
    "questions": [
        {
            "id": "exercise",
            "text": "How often do you exercise?",
            "type": "choice",
            "options": [
                {"label": "Never", "points": 0},
                {"label": "Sometimes", "points": 2},
                {"label": "Often", "points": 4},
            ],
        },
        {
            "id": "smoke",
            "text": "Do you smoke?",
            "type": "yes_no",
            "options": [
                {"value": "yes", "label": "Yes", "points": 0},
                {"value": "no", "label": "No", "points": 3},
            ],
        },
        {
            "id": "cigarettes",
            "text": "How many cigarettes a day?",
            "type": "number",
            "validation": {"min": 0, "max": 100},
            "skip_if": {
                "logical": "AND",
                "conditions": [{"field": "answers.smoke", "operator": "equals", "value": "no"}],
            },
        },
        {
            "id": "sleep",
            "text": "How well do you sleep?",
            "type": "scale",
            "validation": {"min": 1, "max": 5},
            "weight": 2,
        },
        {"id": "email", "text": "Your e-mail for the report?", "type": "email"},
    ],
    "bands": [
        {"min": 0, "max": 6, "title": "Needs attention", "text": "Let's talk about it."},
        {"min": 7, "max": 13, "title": "Fair", "text": "A good base to build on."},
        {"min": 14, "max": 100, "title": "Great", "text": "Keep it up."},
    ],
    "completion_text": "Thanks for taking the health check.",
}


def quiz(**changes: Any) -> dict[str, Any]:
    """A deep copy of :data:`QUIZ` with top-level ``changes``."""
    return {**copy.deepcopy(QUIZ), **changes}
