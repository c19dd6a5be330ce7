"""Reading a customer's answer to each type of question."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.assessments.answers import InvalidAnswer, is_stop, prompt, read
from frontdesk.assessments.schemas import AssessmentQuestion


def q(type: str, **fields: Any) -> AssessmentQuestion:
    return AssessmentQuestion.model_validate({"id": "q", "text": "Well?", "type": type, **fields})


CHOICE = q(
    "choice",
    options=[
        {"label": "Never", "points": 0},
        {"value": "some", "label": "Sometimes", "points": 2},
        {"label": "Very often", "points": 4},
    ],
    weight=1.5,
)


class TestChoice:
    @pytest.mark.parametrize(
        ("text", "value", "points"),
        [
            ("1", "Never", 0),
            ("2.", "some", 3),
            (" 3 ", "Very often", 6),
            ("sometimes", "some", 3),
            ("SOME", "some", 3),
            ("I'd say very often!", "Very often", 6),
        ],
    )
    def test_by_number_label_or_value(self, text, value, points):
        answer = read(CHOICE, text)
        assert (answer.value, answer.points) == (value, points)

    @pytest.mark.parametrize("text", ["4", "0", "maybe", "never or sometimes"])
    def test_anything_else_is_invalid(self, text):
        with pytest.raises(InvalidAnswer, match="number or the name"):
            read(CHOICE, text)

    def test_the_prompt_numbers_the_options(self):
        assert prompt(CHOICE, 2, 7) == (
            "Question 2 of 7: Well?\n1. Never\n2. Sometimes\n3. Very often"
        )


class TestYesNo:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("yes", "yes"), ("Yes!", "yes"), ("y", "yes"), ("ja", "yes"), ("oui", "yes"),
            ("sí", "yes"), ("si", "yes"), ("1", "yes"), ("no", "no"), ("Nein", "no"),
            ("non", "no"), ("nope", "no"), ("2", "no"),
        ],
    )  # fmt: skip
    def test_in_several_languages(self, text, value):
        assert read(q("yes_no"), text).value == value

    def test_option_points_and_labels(self):
        question = q(
            "yes_no",
            options=[
                {"value": "no", "label": "Not at all", "points": 5},
                {"value": "yes", "label": "Yes, daily", "points": 1},
            ],
        )
        assert read(question, "not at all").points == 5
        assert read(question, "1").value == "no"  # numbered as listed
        assert read(question, "ja").points == 1

    def test_other_words_are_invalid(self):
        with pytest.raises(InvalidAnswer, match="yes or no"):
            read(q("yes_no"), "perhaps")


class TestNumbers:
    @pytest.mark.parametrize(
        ("text", "value"),
        [("42", 42), ("about 3,5 hours", 3.5), ("1,000", 1000), ("-2", -2), ("2.25", 2.25)],
    )
    def test_numbers(self, text, value):
        assert read(q("number"), text).value == value

    @pytest.mark.parametrize("text", ["many", "3 or 4", ""])
    def test_not_one_number_is_invalid(self, text):
        with pytest.raises(InvalidAnswer):
            read(q("number"), text)

    def test_bounds(self):
        question = q("number", validation={"min": 0, "max": 10})
        with pytest.raises(InvalidAnswer, match="at least 0"):
            read(question, "-1")
        with pytest.raises(InvalidAnswer, match="at most 10"):
            read(question, "10.5")
        assert read(question, "10").value == 10


class TestScale:
    SCALE = q(
        "scale",
        validation={"min": 1, "max": 5},
        options=[{"value": "1", "label": "Badly", "points": -1}],
        weight=2,
    )

    def test_the_number_is_the_points_unless_an_option_says_otherwise(self):
        assert (read(self.SCALE, "4").value, read(self.SCALE, "4").points) == (4, 8)
        assert read(self.SCALE, "badly").points == -2

    @pytest.mark.parametrize("text", ["6", "0", "2.5", "good"])
    def test_out_of_range_is_invalid(self, text):
        with pytest.raises(InvalidAnswer, match="from 1 to 5"):
            read(self.SCALE, text)

    def test_the_prompt_shows_the_range(self):
        assert "(a number from 1 to 5)\n1 = Badly" in prompt(self.SCALE, 1, 1)


class TestText:
    def test_length_and_pattern(self):
        question = q("text", validation={"min_length": 10, "max_length": 10, "pattern": r"ORD-\d+"})
        assert read(question, "  ORD-123456 ").value == "ORD-123456"
        with pytest.raises(InvalidAnswer, match="at least 10"):
            read(question, "ORD-1")
        with pytest.raises(InvalidAnswer, match="expected format"):
            read(question, "ABC-123456")
        with pytest.raises(InvalidAnswer, match="at most 10"):
            read(question, "ORD-1234567")


def test_email_is_normalised_and_checked():
    assert read(q("email"), "Ann@Example.COM").value == "Ann@example.com"
    with pytest.raises(InvalidAnswer, match="e-mail"):
        read(q("email"), "ann at example")


def test_dates():
    assert read(q("date"), "14 March 2026").value == "2026-03-14"
    assert read(q("date"), "2026-12-01").value == "2026-12-01"
    with pytest.raises(InvalidAnswer, match="date"):
        read(q("date"), "whenever you like")


def test_skip_only_when_not_required():
    optional = q("number", validation={"required": False})
    assert read(optional, "skip").value is None
    assert "skip" in prompt(optional, 1, 1)
    with pytest.raises(InvalidAnswer, match="cannot be skipped"):
        read(q("number"), "skip")


@pytest.mark.parametrize("text", ["stop", "Cancel.", "abbrechen", "annuler", "cancelar"])
def test_stop_words(text):
    assert is_stop(text)


def test_an_answer_is_not_a_stop_word():
    assert not is_stop("stop smoking")
