"""The assessment definition refuses what cannot be run, and says where."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from frontdesk.assessments.schemas import AssessmentDefinition
from tests.assessments.samples import quiz


def errors_of(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        AssessmentDefinition.model_validate(data)
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


def question(**fields: Any) -> dict[str, Any]:
    return {"id": "q", "text": "Question?", "type": "text", **fields}


def test_the_sample_is_valid_and_finds_its_bands():
    definition = AssessmentDefinition.model_validate(quiz())
    assert len(definition.questions) == 5
    assert definition.band_for(13).title == "Fair"
    assert definition.band_for(6.5) is None
    assert definition.band_for(14).title == "Great"


class TestBands:
    def test_overlapping_bands_are_refused(self):
        bands = [{"min": 0, "max": 10, "title": "Low"}, {"min": 10, "max": 20, "title": "High"}]
        [(loc, msg)] = errors_of(quiz(bands=bands))
        assert loc == ("bands",)
        assert "'Low' and 'High' overlap" in msg

    def test_overlap_is_found_whatever_the_order(self):
        bands = [{"min": 5, "max": 20, "title": "High"}, {"min": 0, "max": 6, "title": "Low"}]
        [(loc, msg)] = errors_of(quiz(bands=bands))
        assert loc == ("bands",) and "overlap" in msg

    def test_a_band_with_min_above_max_is_refused(self):
        [(loc, msg)] = errors_of(quiz(bands=[{"min": 5, "max": 1, "title": "Odd"}]))
        assert loc == ("bands", 0) and "min is greater than max" in msg

    def test_duplicate_band_titles_are_refused(self):
        bands = [{"min": 0, "max": 1, "title": "Same"}, {"min": 2, "max": 3, "title": "same"}]
        [(loc, msg)] = errors_of(quiz(bands=bands))
        assert loc == ("bands",) and "same title" in msg


class TestQuestions:
    def test_duplicate_question_ids_are_refused(self):
        data = quiz()
        data["questions"][3]["id"] = "exercise"
        [(loc, msg)] = errors_of(data)
        assert loc == ("questions",)
        assert "questions[3]: duplicate question id 'exercise'" in msg

    def test_more_than_50_questions_are_refused(self):
        questions = [question(id=f"q{n}") for n in range(51)]
        [(loc, msg)] = errors_of(quiz(questions=questions))
        assert loc == ("questions",) and "at most 50" in msg

    def test_50_questions_are_fine(self):
        questions = [question(id=f"q{n}") for n in range(50)]
        assert len(AssessmentDefinition.model_validate(quiz(questions=questions)).questions) == 50

    def test_no_questions_is_refused(self):
        [(loc, _)] = errors_of(quiz(questions=[]))
        assert loc == ("questions",)

    @pytest.mark.parametrize(
        ("fields", "where", "message"),
        [
            ({"id": "Bad Id"}, ("id",), "pattern"),
            ({"text": ""}, ("text",), "at least 1"),
            ({"text": "x" * 1001}, ("text",), "at most 1000"),
            ({"type": "essay"}, ("type",), "Input should be"),
            ({"type": "choice", "options": [{"label": "Only"}]}, (), "at least 2 options"),
            (
                {"type": "choice", "options": [{"label": "A"}, {"label": "a"}]},
                (),
                "same value or label",
            ),
            ({"options": [{"label": "A"}, {"label": "B"}]}, (), "a text question has no options"),
            (
                {"type": "yes_no", "options": [{"value": "y", "label": "Y"}, {"label": "N"}]},
                (),
                '"yes" and "no"',
            ),
            ({"type": "scale"}, (), "needs min and max"),
            ({"type": "scale", "validation": {"min": 1, "max": 20}}, (), "2 to 11 steps"),
            ({"type": "scale", "validation": {"min": 1, "max": 2.5}}, (), "whole numbers"),
            (
                {
                    "type": "scale",
                    "validation": {"min": 1, "max": 3},
                    "options": [{"value": "7", "label": "Seven"}],
                },
                (),
                "one of the scale's numbers",
            ),
            ({"validation": {"min": 1}}, (), "min and max apply to number and scale"),
            ({"type": "number", "validation": {"min": 5, "max": 1}}, ("validation",), "min is"),
            ({"type": "number", "validation": {"pattern": "x"}}, (), "pattern applies to text"),
            ({"type": "date", "validation": {"max_length": 3}}, (), "apply to text and email"),
            ({"weight": -1}, ("weight",), "greater than or equal to 0"),
            ({"colour": "red"}, ("colour",), "Extra inputs"),
        ],
    )
    def test_bad_question_names_its_field(self, fields, where, message):
        [(loc, msg)] = errors_of(quiz(questions=[question(**fields)]))
        assert loc == ("questions", 0, *where)
        assert message in msg


class TestPatterns:
    def test_an_re2_pattern_is_accepted(self):
        data = quiz(questions=[question(validation={"pattern": r"ORD-\d{6}"})])
        assert AssessmentDefinition.model_validate(data).questions[0].validation.pattern

    @pytest.mark.parametrize("pattern", [r"(a)\1", r"(?P<x>a)(?P=x)", r"(?P<x>a)\k<x>"])
    def test_back_references_are_refused(self, pattern):
        [(loc, msg)] = errors_of(quiz(questions=[question(validation={"pattern": pattern})]))
        assert loc == ("questions", 0, "validation", "pattern")
        assert "back-references are not supported" in msg

    @pytest.mark.parametrize("pattern", [r"(?=a)b", r"(unclosed", "a{2,1}"])
    def test_patterns_re2_cannot_run_are_refused(self, pattern):
        [(loc, msg)] = errors_of(quiz(questions=[question(validation={"pattern": pattern})]))
        assert loc == ("questions", 0, "validation", "pattern")
        assert "unsupported pattern" in msg

    def test_an_overlong_pattern_is_refused(self):
        [(loc, _)] = errors_of(quiz(questions=[question(validation={"pattern": "a" * 301})]))
        assert loc == ("questions", 0, "validation", "pattern")


class TestSkipConditions:
    def skip(self, field: str, operator: str = "equals") -> dict[str, Any]:
        return {"conditions": [{"field": field, "operator": operator, "value": "no"}]}

    def test_a_skip_condition_must_name_an_earlier_question(self):
        data = quiz()
        data["questions"][2]["skip_if"] = self.skip("answers.sleep")  # asked later
        [(loc, msg)] = errors_of(data)
        assert loc == ("questions",)
        assert "questions[2].skip_if" in msg and "answers.sleep" in msg

    def test_the_first_question_cannot_be_skipped(self):
        data = quiz()
        data["questions"][0]["skip_if"] = self.skip("answers.exercise")
        [(_, msg)] = errors_of(data)
        assert "questions[0].skip_if" in msg

    def test_a_skip_condition_reads_answers_only(self):
        data = quiz()
        data["questions"][2]["skip_if"] = self.skip("contact.vip")
        [(_, msg)] = errors_of(data)
        assert "names no earlier question" in msg

    def test_an_unknown_operator_is_refused(self):
        data = quiz()
        data["questions"][2]["skip_if"] = self.skip("answers.smoke", "resembles")
        [(_, msg)] = errors_of(data)
        assert "unknown operator 'resembles'" in msg


def test_limits_on_lengths():
    for field, value in (("key", "Not A Slug"), ("title", ""), ("intro", "x" * 2001)):
        [(loc, _)] = errors_of(quiz(**{field: value}))
        assert loc == (field,)
