"""Registration questions through the gateway: the form on the event (checked when written),
answers checked when joining (422 with nothing stored and no place taken), shown in the
participant list, the personal export and the attendance reports, and readable after the
questions change."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader
from sqlalchemy import func, select

from shared import process_state
from shared.db import unit_of_work
from shared.registrations.models import Registration
from tests.support.api import assert_problem
from tests.support.factories import auth, bearer, create_event, event_body, new_user
from tests.support.reports import ask, built_file

FORM: list[dict[str, Any]] = [
    {"id": "diet", "label": "Diet", "kind": "choice", "required": True,
     "options": ["none", "vegetarian", "vegan"]},
    {"id": "allergies", "label": "Which allergies?", "kind": "text",
     "show_if": {"question_id": "diet", "equals": "vegan"}},
    {"id": "workshops", "label": "Workshops", "kind": "multi", "options": ["rust", "python"]},
    {"id": "laptop", "label": "Bring your own laptop OS", "kind": "text", "required": True,
     "show_if": {"question_id": "workshops", "equals": "rust"}},
    {"id": "photos", "label": "Photos are fine", "kind": "checkbox"},
    {"id": "consent", "label": "I accept the code of conduct", "kind": "checkbox",
     "required": True},
]  # fmt: skip
GOOD = {"diet": "vegetarian", "workshops": ["python"], "photos": False, "consent": True}


def registrations(event_id: str) -> str:
    return f"/api/v1/events/{event_id}/registrations"


def join(client, event_id: str, headers: dict[str, str], answers: Any = None):
    body = None if answers is None else {"answers": answers}
    return client.post(registrations(event_id), json=body, headers=headers)


def rows_of(event_id: str) -> int:
    with unit_of_work() as session:
        return (
            session.scalar(select(func.count()).where(Registration.event_id == uuid.UUID(event_id)))
            or 0
        )


@pytest.fixture
def organizer():
    return new_user("organizer")


@pytest.fixture
def owner(organizer):
    return auth(organizer)


# --- the definition ---------------------------------------------------------------------


def test_the_form_is_kept_and_shown_to_everyone_who_can_see_the_event(client, owner):
    event = create_event(client, owner, questions=FORM)
    assert [q["id"] for q in event["questions"]] == [q["id"] for q in FORM]
    # Anyone reading the event needs the form to fill it in.
    page = client.get(f"/api/v1/events/{event['id']}").json()
    assert page["questions"] == event["questions"]
    assert page["questions"][1] == {
        "id": "allergies",
        "label": "Which allergies?",
        "kind": "text",
        "required": False,
        "options": None,
        "show_if": {"question_id": "diet", "equals": "vegan"},
    }
    # An event without questions has an empty form, and PATCH replaces the whole form.
    assert create_event(client, owner)["questions"] == []
    patched = client.patch(
        f"/api/v1/events/{event['id']}", json={"questions": FORM[:1]}, headers=owner
    )
    assert patched.status_code == 200, patched.text
    assert [q["id"] for q in patched.json()["questions"]] == ["diet"]
    assert (
        client.get(f"/api/v1/events/{event['id']}").json()["questions"]
        == patched.json()["questions"]
    )
    assert_problem(
        client.patch(f"/api/v1/events/{event['id']}", json={"questions": None}, headers=owner),
        422,
    )
    cleared = client.patch(f"/api/v1/events/{event['id']}", json={"questions": []}, headers=owner)
    assert cleared.json()["questions"] == []


def _text(question_id: str, **more: Any) -> dict[str, Any]:
    return {"id": question_id, "label": question_id.title(), "kind": "text", **more}


def _choice(question_id: str, *options: str) -> dict[str, Any]:
    return {"id": question_id, "label": "Pick", "kind": "choice", "options": list(options)}


BAD_FORMS = {
    "ids repeat": [_text("a"), _text("a")],
    "choice without options": [{"id": "a", "label": "A", "kind": "choice"}],
    "multi with no option": [{"id": "a", "label": "A", "kind": "multi", "options": []}],
    "text with options": [_text("a", options=["x"])],
    "checkbox with options": [{"id": "a", "label": "A", "kind": "checkbox", "options": ["x"]}],
    "options repeat": [_choice("a", "x", "x")],
    "unknown kind": [{"id": "a", "label": "A", "kind": "date"}],
    "show_if on itself": [_text("a", show_if={"question_id": "a", "equals": "x"})],
    "show_if on a later question": [
        _text("a", show_if={"question_id": "b", "equals": "x"}),
        _choice("b", "x"),
    ],
    "show_if on no question": [_text("a", show_if={"question_id": "zz", "equals": "x"})],
    "show_if on a value not an option": [
        _choice("a", "x"),
        _text("b", show_if={"question_id": "a", "equals": "y"}),
    ],
    "show_if with a flag on a choice": [
        _choice("a", "x"),
        _text("b", show_if={"question_id": "a", "equals": True}),
    ],
    "show_if with text on a checkbox": [
        {"id": "a", "label": "A", "kind": "checkbox"},
        _text("b", show_if={"question_id": "a", "equals": "true"}),
    ],
    "too many questions": [_text(f"q{n}") for n in range(21)],
    "label too long": [{"id": "a", "label": "x" * 201, "kind": "text"}],
    "label empty": [{"id": "a", "label": " ", "kind": "text"}],
    "label on two lines": [{"id": "a", "label": "a\nb", "kind": "text"}],
    "id not a slug": [_text("Has Spaces")],
    "required not a flag": [_text("a", required="yes")],
    "unknown field": [_text("a", placeholder="x")],
    "too many options": [_choice("a", *[f"o{n}" for n in range(21)])],
}


@pytest.mark.parametrize("questions", BAD_FORMS.values(), ids=BAD_FORMS.keys())
def test_a_wrong_form_is_refused_with_where(client, owner, questions):
    created = client.post("/api/v1/events", json=event_body(questions=questions), headers=owner)
    problem = assert_problem(created, 422)
    assert all(error["loc"][:2] == ["body", "questions"] for error in problem["errors"])
    event = create_event(client, owner)
    patched = client.patch(
        f"/api/v1/events/{event['id']}", json={"questions": questions}, headers=owner
    )
    assert_problem(patched, 422)
    assert client.get(f"/api/v1/events/{event['id']}").json()["questions"] == []


def test_only_who_may_change_the_event_sets_its_form_and_the_team_reads_answers(client, owner):
    event = create_event(client, owner)
    patched = client.patch(
        f"/api/v1/events/{event['id']}",
        json={"questions": FORM},
        headers=bearer(client, "organizer"),
    )
    assert_problem(patched, 403)
    steward = new_user()
    added = client.post(
        f"/api/v1/events/{event['id']}/team",
        json={"email": steward.email, "role": "steward"},
        headers=owner,
    )
    assert added.status_code == 201, added.text
    assert_problem(
        client.patch(
            f"/api/v1/events/{event['id']}", json={"questions": FORM}, headers=auth(steward)
        ),
        403,
    )
    co_organizer = new_user("organizer")
    client.post(
        f"/api/v1/events/{event['id']}/team",
        json={"email": co_organizer.email, "role": "co_organizer"},
        headers=owner,
    )
    patched = client.patch(
        f"/api/v1/events/{event['id']}", json={"questions": FORM}, headers=auth(co_organizer)
    )
    assert patched.status_code == 200, patched.text
    # Answers are for the team: a steward lists them; the person answering does not.
    person = new_user()
    assert join(client, event["id"], auth(person), GOOD).status_code == 201
    listed = client.get(registrations(event["id"]), headers=auth(steward))
    assert listed.json()["items"][0]["answers"][0]["value"] == "vegetarian"
    assert_problem(client.get(registrations(event["id"]), headers=auth(person)), 403)


# --- answering ----------------------------------------------------------------------------


def test_good_answers_are_kept_as_asked_and_listed_for_the_team(client, owner):
    event = create_event(client, owner, questions=FORM)
    person = new_user()
    joined = join(client, event["id"], auth(person), GOOD)
    assert joined.status_code == 201, joined.text
    listed = client.get(registrations(event["id"]), headers=owner).json()["items"]
    assert listed[0]["answers"] == [
        {"question_id": "diet", "label": "Diet", "kind": "choice", "value": "vegetarian"},
        {"question_id": "workshops", "label": "Workshops", "kind": "multi", "value": ["python"]},
        {"question_id": "photos", "label": "Photos are fine", "kind": "checkbox", "value": False},
        {
            "question_id": "consent",
            "label": "I accept the code of conduct",
            "kind": "checkbox",
            "value": True,
        },
    ]
    # The person's own data export holds them too.
    exported = client.get("/api/v1/users/me/export", headers=auth(person)).json()
    assert exported["registrations"][0]["answers"] == listed[0]["answers"]
    # Joining again returns the registration as it is; other answers change nothing.
    again = join(client, event["id"], auth(person), {**GOOD, "diet": "none"})
    assert again.status_code == 200
    assert (
        client.get(registrations(event["id"]), headers=owner).json()["items"][0]["answers"]
        == listed[0]["answers"]
    )


BAD_ANSWERS = {
    "required missing": ({k: v for k, v in GOOD.items() if k != "diet"}, "diet"),
    "choice not an option": ({**GOOD, "diet": "carnivore"}, "diet"),
    "choice not a string": ({**GOOD, "diet": 1}, "diet"),
    "multi not a list": ({**GOOD, "workshops": "python"}, "workshops"),
    "multi repeats": ({**GOOD, "workshops": ["python", "python"]}, "workshops"),
    "multi not an option": ({**GOOD, "workshops": ["cobol"]}, "workshops"),
    "checkbox not a flag": ({**GOOD, "photos": "yes"}, "photos"),
    "checkbox as a number": ({**GOOD, "photos": 1}, "photos"),
    "required checkbox unchecked": ({**GOOD, "consent": False}, "consent"),
    "required checkbox missing": ({k: v for k, v in GOOD.items() if k != "consent"}, "consent"),
    "text too long": ({**GOOD, "diet": "vegan", "allergies": "x" * 2001}, "allergies"),
    "text not a string": ({**GOOD, "diet": "vegan", "allergies": ["nuts"]}, "allergies"),
    "shown and required": ({**GOOD, "workshops": ["rust"]}, "laptop"),
    "shown, required, blank": ({**GOOD, "workshops": ["rust"], "laptop": "  "}, "laptop"),
    "unknown question": ({**GOOD, "shoe_size": "42"}, "shoe_size"),
}


@pytest.mark.parametrize(("answers", "wrong"), BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_a_wrong_answer_is_refused_saying_which(client, owner, answers, wrong):
    event = create_event(client, owner, questions=FORM, capacity=5)
    problem = assert_problem(join(client, event["id"], bearer(client), answers), 422)
    assert problem["type"].endswith("invalid-answers")
    assert [error["loc"] for error in problem["errors"]] == [["body", "answers", wrong]]
    assert wrong in problem["detail"]
    assert rows_of(event["id"]) == 0


def test_every_problem_is_told_at_once(client, owner):
    event = create_event(client, owner, questions=FORM)
    problem = assert_problem(join(client, event["id"], bearer(client), {"nope": 1}), 422)
    wrong = {error["loc"][2] for error in problem["errors"]}
    assert wrong == {"nope", "diet", "consent"}
    # No body at all is no answers at all.
    assert_problem(join(client, event["id"], bearer(client)), 422)


def test_show_if_hides_drops_and_chains(client, owner):
    form = [
        *FORM,
        # Shown only when `allergies` is shown (diet = vegan) and answered "nuts".
        _text("nut_plan", required=True, show_if={"question_id": "allergies", "equals": "nuts"}),
        # Shown while `photos` is unchecked (an unanswered checkbox counts as unchecked).
        _text("why_not", show_if={"question_id": "photos", "equals": False}),
    ]
    event = create_event(client, owner, questions=form)
    # Hidden questions are not required, and what was sent for them is dropped, not refused.
    hidden = {**GOOD, "allergies": "nuts", "nut_plan": "epipen", "laptop": 42}
    first = join(client, event["id"], bearer(client), hidden)
    assert first.status_code == 201, first.text
    # Shown: the chain asks for the plan.
    problem = assert_problem(
        join(client, event["id"], bearer(client), {**GOOD, "diet": "vegan", "allergies": "nuts"}),
        422,
    )
    assert [e["loc"][2] for e in problem["errors"]] == ["nut_plan"]
    shown = {
        **GOOD,
        "diet": "vegan",
        "allergies": "nuts",
        "nut_plan": "epipen",
        "workshops": ["rust", "python"],
        "laptop": "Linux",
        "why_not": "shy",
    }
    shown.pop("photos")
    second = join(client, event["id"], bearer(client), shown)
    assert second.status_code == 201, second.text
    items = client.get(registrations(event["id"]), headers=owner).json()["items"]
    # The first person's answers to hidden questions were dropped.
    assert [a["question_id"] for a in items[0]["answers"]] == [
        "diet",
        "workshops",
        "photos",
        "consent",
    ]
    kept = {a["question_id"]: a["value"] for a in items[1]["answers"]}
    # Multi answers are kept in the form's order.
    assert kept == {
        "diet": "vegan",
        "allergies": "nuts",
        "workshops": ["rust", "python"],
        "laptop": "Linux",
        "why_not": "shy",
        "consent": True,
        "nut_plan": "epipen",
    }
    assert [a["question_id"] for a in items[1]["answers"]] == [
        "diet",
        "allergies",
        "workshops",
        "laptop",
        "consent",
        "nut_plan",
        "why_not",
    ]


def test_a_wrong_answer_takes_no_seat_and_no_waitlist_place(client, owner):
    event = create_event(client, owner, questions=FORM, capacity=1)
    bad = {**GOOD, "consent": False}
    assert_problem(join(client, event["id"], bearer(client), bad), 422)
    page = client.get(f"/api/v1/events/{event['id']}").json()
    assert (page["seats_taken"], page["waitlist_count"]) == (0, 0)
    assert join(client, event["id"], bearer(client), GOOD).json()["status"] == "confirmed"
    # Full: a wrong answer takes no waitlist place either.
    latecomer = bearer(client)
    assert_problem(join(client, event["id"], latecomer, bad), 422)
    page = client.get(f"/api/v1/events/{event['id']}").json()
    assert (page["seats_taken"], page["waitlist_count"]) == (1, 0)
    assert rows_of(event["id"]) == 1
    waiting = join(client, event["id"], latecomer, GOOD).json()
    assert (waiting["status"], waiting["waitlist_position"]) == ("waitlisted", 1)


def test_answers_to_an_event_without_questions_are_refused(client, owner):
    event = create_event(client, owner)
    problem = assert_problem(join(client, event["id"], bearer(client), {"diet": "vegan"}), 422)
    assert problem["errors"][0]["loc"] == ["body", "answers", "diet"]
    assert join(client, event["id"], bearer(client), {}).status_code == 201
    assert join(client, event["id"], bearer(client)).status_code == 201


def test_a_hidden_form_tells_strangers_nothing(client, owner):
    draft = create_event(client, owner, questions=FORM, status="draft")
    assert_problem(join(client, draft["id"], bearer(client), {"x": 1}), 404)
    assert_problem(join(client, str(uuid.uuid4()), bearer(client), {"x": 1}), 404)


# --- after the questions change, and in the reports ----------------------------------------


@pytest.fixture
def reports_dir(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
    process_state.reset()
    return tmp_path


def _changed_event(client, owner) -> dict[str, Any]:
    """Two people answered the first form; then `photos` was removed, `diet` renamed and
    `tshirt` added; a third person answered the new form."""
    event = create_event(client, owner, questions=FORM, timezone="Europe/Berlin")
    first = {**GOOD, "photos": True}
    assert join(client, event["id"], bearer(client), first).status_code == 201
    formula = {**GOOD, "diet": "vegan", "allergies": "=1+2"}
    assert join(client, event["id"], bearer(client), formula).status_code == 201
    renamed = [dict(q) for q in FORM if q["id"] != "photos"]
    renamed[0]["label"] = "Food"
    renamed.append({"id": "tshirt", "label": "T-shirt", "kind": "choice", "options": ["S", "M"]})
    patched = client.patch(
        f"/api/v1/events/{event['id']}", json={"questions": renamed}, headers=owner
    )
    assert patched.status_code == 200, patched.text
    later = {k: v for k, v in GOOD.items() if k != "photos"} | {"tshirt": "M"}
    assert join(client, event["id"], bearer(client), later).status_code == 201
    # The old form's answers are refused now.
    assert_problem(join(client, event["id"], bearer(client), GOOD), 422)
    return event


ANSWER_HEADERS = [
    "Food",
    "Which allergies?",
    "Workshops",
    "Bring your own laptop OS",
    "I accept the code of conduct",
    "T-shirt",
    "Photos are fine",
]


def test_old_answers_stay_readable_after_the_questions_change(client, owner):
    event = _changed_event(client, owner)
    items = client.get(registrations(event["id"]), headers=owner).json()["items"]
    # Each answer keeps the wording it was given for, removed questions included.
    assert items[0]["answers"][0] == {
        "question_id": "diet",
        "label": "Diet",
        "kind": "choice",
        "value": "vegetarian",
    }
    assert {"question_id": "photos", "label": "Photos are fine", "kind": "checkbox",
            "value": True} in items[0]["answers"]  # fmt: skip
    assert items[2]["answers"][0]["label"] == "Food"
    assert items[2]["answers"][-1] == {
        "question_id": "tshirt",
        "label": "T-shirt",
        "kind": "choice",
        "value": "M",
    }


def test_csv_has_a_column_per_question_removed_ones_by_their_label(client, owner, reports_dir):
    event = _changed_event(client, owner)
    accepted = ask(client, owner, kind="event_attendance", event_id=event["id"], format="csv")
    content = built_file(client, accepted["id"], owner)
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header[:7] == ["Name", "Email", "Status", "Registered at", "Checked in at",
                          "Cancelled at", "Waitlist position"]  # fmt: skip
    assert header[7:] == ANSWER_HEADERS
    answers = [row[7:] for row in rows]
    assert answers == [
        ["vegetarian", "", "python", "", "yes", "", "yes"],
        # A text answer a spreadsheet would run is written as text.
        ["vegan", "'=1+2", "python", "", "yes", "", "no"],
        ["vegetarian", "", "python", "", "yes", "M", ""],
    ]


def test_xlsx_and_pdf_show_the_answers_too(client, owner, reports_dir):
    event = _changed_event(client, owner)
    accepted = ask(client, owner, kind="event_attendance", event_id=event["id"], format="xlsx")
    sheet = load_workbook(io.BytesIO(built_file(client, accepted["id"], owner))).active
    assert isinstance(sheet, Worksheet)
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert list(header[7:]) == ANSWER_HEADERS
    assert list(rows[0][7:]) == ["vegetarian", None, "python", None, "yes", None, "yes"]
    accepted = ask(client, owner, kind="event_attendance", event_id=event["id"], format="pdf")
    text = PdfReader(io.BytesIO(built_file(client, accepted["id"], owner))).pages[0].extract_text()
    for shown in ("Food", "T-shirt", "Photos are", "vegetarian"):
        assert shown in text


def test_a_report_of_an_event_without_questions_is_unchanged(client, owner, reports_dir):
    event = create_event(client, owner)
    assert join(client, event["id"], bearer(client)).status_code == 201
    accepted = ask(client, owner, kind="event_attendance", event_id=event["id"], format="csv")
    content = built_file(client, accepted["id"], owner)
    header, row = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(header) == len(row) == 7
