"""Answers to an event's registration questions: checked against the form before the seat is
taken, kept with the registration as they were asked.

Rules (also in the README, "Registration questions"):
- `text`: a string of at most MAX_TEXT_ANSWER characters; blank counts as not answered.
- `choice`: one of the options; `multi`: a list of distinct options (empty: not answered);
  `checkbox`: `true` or `false`, and a required checkbox must be `true` (an agreement).
- A question is shown when it has no `show_if`, or when the question it names is shown and
  its answer equals the value (for `multi`: holds that option; an unanswered checkbox counts
  as `false`). A hidden question is never required, and an answer to it is dropped, not
  refused: a form that hid a question may keep what was typed into it before.
- An id that is not a question of the event is refused.

Every problem is reported at once (one entry per question in the problem's `errors`).
Stored: `[{question_id, label, kind, value}]` in the form's order, shown questions answered
only, so a later change of the questions leaves each answer with the label it was given for.
"""

from __future__ import annotations

from typing import Any

from shared.errors import DomainError
from shared.events.questions import MAX_TEXT_ANSWER, Question

Answers = dict[str, Any]


class InvalidAnswers(DomainError):
    """`errors`: `[{loc: ["body", "answers", question_id], msg, type}]`, one per question."""

    status = 422
    title = "Invalid answers"
    slug = "invalid-answers"


def checked(questions: list[Question], answers: Answers) -> list[dict[str, Any]]:
    """The answers to keep, or InvalidAnswers saying which questions are wrong and why."""
    problems: dict[str, str] = {}
    known = {question.id for question in questions}
    for question_id in answers:
        if question_id not in known:
            problems[question_id] = "not a question of this event"
    given: dict[str, Any] = {}
    shown: set[str] = set()
    kept: list[dict[str, Any]] = []
    for question in questions:
        if not _is_shown(question, given, shown):
            continue  # hidden: not required, and whatever was sent for it is dropped
        shown.add(question.id)
        raw = answers.get(question.id)
        value, problem = _value(question, raw)
        if problem is not None:
            problems[question.id] = problem
            continue
        if value is None:
            if question.required:
                problems[question.id] = "required"
            continue
        given[question.id] = value
        kept.append(
            {
                "question_id": question.id,
                "label": question.label,
                "kind": question.kind,
                "value": value,
            }
        )
    if problems:
        errors = [
            {"loc": ["body", "answers", question_id], "msg": msg, "type": "value_error"}
            for question_id, msg in problems.items()
        ]
        detail = "; ".join(f"{question_id}: {msg}" for question_id, msg in problems.items())
        raise InvalidAnswers(f"Some answers are missing or not valid ({detail}).", errors=errors)
    return kept


def _is_shown(question: Question, given: dict[str, Any], shown: set[str]) -> bool:
    condition = question.show_if
    if condition is None:
        return True
    if condition.question_id not in shown:
        return False  # a question shown only under a hidden one is hidden too
    answer = given.get(condition.question_id)
    if isinstance(condition.equals, bool):
        return bool(answer) is condition.equals  # an unanswered checkbox is unchecked
    if isinstance(answer, list):
        return condition.equals in answer
    return answer == condition.equals


def _value(question: Question, raw: Any) -> tuple[Any, str | None]:
    """(the value to keep or None for no answer, the problem or None)."""
    if raw is None:
        return None, None
    options = question.options or []
    if question.kind == "text":
        if not isinstance(raw, str):
            return None, "must be a string"
        if len(raw) > MAX_TEXT_ANSWER:
            return None, f"at most {MAX_TEXT_ANSWER} characters"
        return (raw.strip() or None), None
    if question.kind == "choice":
        if not isinstance(raw, str) or raw not in options:
            return None, "must be one of the options"
        return raw, None
    if question.kind == "multi":
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            return None, "must be a list of options"
        if len(set(raw)) != len(raw):
            return None, "options must not repeat"
        if not set(raw) <= set(options):
            return None, "must list only the options"
        # In the form's order, whatever order they were sent in.
        return ([option for option in options if option in raw] or None), None
    if not isinstance(raw, bool):
        return None, "must be true or false"
    if question.required and raw is not True:
        return None, "must be checked"
    return raw, None


def value_text(value: Any, yes: str, no: str) -> str:
    """An answer as one cell of a table or a report."""
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return str(value)
