"""An event's registration questions: the form a person fills in when joining.

A definition is checked whole when written (POST/PATCH /events): ids unique, options where
a choice needs them and nowhere else, `show_if` pointing to an earlier question and to a
value that question can take. Pointing only backwards keeps the form a sequence a client
shows top to bottom, and rules out cycles. The answers are checked against it by
`shared.registrations.answers`.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from shared.validation import Flag, RequestModel, SingleLine

MAX_QUESTIONS = 20
MAX_OPTIONS = 20
MAX_TEXT_ANSWER = 2000

QuestionId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$"),
    Field(description="lower-case letters, digits, `_` and `-`; at most 40", examples=["diet"]),
]
Label = Annotated[SingleLine, StringConstraints(min_length=1, max_length=200)]
Option = Annotated[SingleLine, StringConstraints(min_length=1, max_length=100)]
Kind = Literal["text", "choice", "multi", "checkbox"]


class ShowIf(RequestModel):
    """Shown only when the answer to `question_id` equals `equals` (for a `multi` question:
    when that option is among those chosen; for a checkbox: `true` or `false`)."""

    question_id: QuestionId
    equals: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_ANSWER)] | Flag


class Question(RequestModel):
    id: QuestionId
    label: Label
    kind: Kind
    # Required when shown: a question hidden by `show_if` is never required.
    required: Flag = False
    options: list[Option] | None = Field(default=None, min_length=1, max_length=MAX_OPTIONS)
    show_if: ShowIf | None = None

    @model_validator(mode="after")
    def _options_fit_kind(self) -> Self:
        has_options = self.kind in ("choice", "multi")
        if has_options and not self.options:
            raise ValueError(f"question {self.id!r}: a {self.kind} question needs options")
        if not has_options and self.options is not None:
            raise ValueError(f"question {self.id!r}: a {self.kind} question has no options")
        if self.options is not None and len(set(self.options)) != len(self.options):
            raise ValueError(f"question {self.id!r}: options must be distinct")
        return self

    def can_take(self, value: str | bool) -> bool:
        """Whether an answer to this question can equal `value` (what a `show_if` tests)."""
        if self.kind == "checkbox":
            return isinstance(value, bool)
        if isinstance(value, bool):
            return False
        if self.kind == "text":
            return True
        return value in (self.options or [])


def _consistent(questions: list[Question]) -> list[Question]:
    earlier: dict[str, Question] = {}
    for question in questions:
        if question.id in earlier:
            raise ValueError(f"question ids must be unique: {question.id!r} appears twice")
        condition = question.show_if
        if condition is not None:
            shown_by = earlier.get(condition.question_id)
            if shown_by is None:
                raise ValueError(
                    f"question {question.id!r}: show_if must refer to an earlier question, "
                    f"not {condition.question_id!r}"
                )
            if not shown_by.can_take(condition.equals):
                raise ValueError(
                    f"question {question.id!r}: show_if tests {condition.question_id!r} for "
                    f"{condition.equals!r}, which that {shown_by.kind} question cannot answer"
                )
        earlier[question.id] = question
    return questions


Questions = Annotated[
    list[Question],
    Field(max_length=MAX_QUESTIONS),
    AfterValidator(_consistent),
]


def stored(questions: list[Question]) -> list[dict[str, object]]:
    """As kept in `events.questions` (JSONB): what the API shows, absent fields left out."""
    return [question.model_dump(exclude_none=True) for question in questions]


def read(rows: list[dict[str, object]]) -> list[Question]:
    """Stored definitions, checked when written, read back without checking again (a rule
    made stricter later must not make an event unreadable)."""
    return [
        Question.model_construct(
            **{
                **row,
                "show_if": ShowIf.model_construct(**row["show_if"])  # type: ignore[arg-type]
                if row.get("show_if")
                else None,
            }
        )
        for row in rows
    ]
