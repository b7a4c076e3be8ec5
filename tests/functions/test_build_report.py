"""Reports through the gateway: asked for and answered at once, built by the real task, read
back by real readers (csv, openpyxl, pypdf) and checked against the database; who may ask for
what; failures told with a reason; the requester mailed."""

from __future__ import annotations

import csv
import io
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader
from sqlalchemy import String, func, insert, literal_column, select, update

from shared import process_state
from shared.db import unit_of_work
from shared.registrations.models import Registration
from shared.reports import repository
from shared.reports.models import Report
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.factories import create_event, many_users, new_user
from tests.support.mailbox import deliver_outbox_to_notify, mails, send_pending_mail
from tests.support.outbox import emitted
from tests.support.reports import (
    REPORTS,
    ask,
    attendance_in_database,
    auth,
    built_file,
    busy_event,
    refused,
    run_build,
    same_moment,
    state,
)
from tests.support.s3 import moto_server, s3_environment


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch, db_url):
    """Report files in a storage directory of this test's own."""
    monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
    process_state.reset()
    return tmp_path


@pytest.fixture
def organizer():
    return new_user("organizer")


@pytest.fixture
def owner(organizer):
    return auth(organizer)


def test_csv_attendance_is_answered_at_once_then_matches_the_database(client, owner):
    event = busy_event(client, owner)
    accepted = ask(client, owner, kind="event_attendance", event_id=event["id"], format="csv")
    # Nothing is built on the request's path: it is pending until the worker takes it.
    assert state(client, accepted["id"], owner) == {
        "id": accepted["id"],
        "status": "pending",
        "kind": "event_attendance",
        "format": "csv",
    }
    content = built_file(client, accepted["id"], owner)

    assert content.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheet apps look for
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header == [
        "Name",
        "Email",
        "Status",
        "Registered at",
        "Checked in at",
        "Cancelled at",
        "Waitlist position",
    ]
    expected = attendance_in_database(event["id"])
    assert [row[2] for row in rows] == ["checked_in", "cancelled", "confirmed", "waitlisted"]
    for row, truth in zip(rows, expected, strict=True):
        assert row[1] == truth["email"]
        assert row[2] == truth["status"]
        assert same_moment(row[3], truth["registered_at"])
        assert same_moment(row[4], truth["checked_in_at"])
        assert same_moment(row[5], truth["cancelled_at"])
        assert row[6] == str(truth["waitlist_position"] or "")
    assert rows[2][0] == "Анна Иванова"
    # A name that looks like a formula stays text in a spreadsheet.
    assert rows[3][0] == "'" + expected[3]["name"]
    # Times are the event's local times (Berlin), with their offset.
    assert rows[0][3].endswith(("+01:00", "+02:00"))
    [ready] = emitted("report.ready")
    assert ready["report_id"] == accepted["id"]
    assert ready["kind"] == "event_attendance"


def test_xlsx_has_typed_cells_a_frozen_header_and_widths(client, owner):
    event = busy_event(client, owner)
    accepted = ask(client, owner, kind="event_attendance", event_id=event["id"], format="xlsx")
    book = load_workbook(io.BytesIO(built_file(client, accepted["id"], owner)))
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    assert sheet.title == "Registrations"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 20
    header, *rows = list(sheet.iter_rows(values_only=True))
    # Times have no zone in a spreadsheet: each time column's header says which it is.
    assert header == (
        "Name",
        "Email",
        "Status",
        "Registered at (Europe/Berlin)",
        "Checked in at (Europe/Berlin)",
        "Cancelled at (Europe/Berlin)",
        "Waitlist position",
    )
    expected = attendance_in_database(event["id"])
    for row, truth in zip(rows, expected, strict=True):
        # Excel has no zones: the event's local time, to the millisecond Excel keeps.
        assert isinstance(row[3], datetime)
        local = truth["registered_at"].astimezone(ZoneInfo("Europe/Berlin"))
        assert abs(row[3] - local.replace(tzinfo=None)) < timedelta(milliseconds=1)
        assert row[6] == truth["waitlist_position"]
    assert isinstance(rows[3][6], int)
    # Stored as text, not as a formula that would run when opened.
    formula_cell = sheet.cell(row=5, column=1)
    assert formula_cell.data_type == "s"
    assert formula_cell.value == expected[3]["name"]


def test_pdf_is_one_page_with_figures_a_chart_and_the_table(client, owner, db_url):
    event = busy_event(client, owner)
    # 40 more people: the table shows the first rows and says how many it left out.
    with unit_of_work() as session:
        session.execute(
            insert(Registration),
            [
                {
                    "id": uuid.uuid4(),
                    "event_id": uuid.UUID(event["id"]),
                    "user_id": person,
                    "status": "waitlisted",
                }
                for person in many_users(40)
            ],
        )
    accepted = ask(client, owner, kind="event_attendance", event_id=event["id"], format="pdf")
    reader = PdfReader(io.BytesIO(built_file(client, accepted["id"], owner)))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    # The chart is one image on the page.
    assert len(page.images) == 1
    chart = page.images[0].image
    assert chart is not None
    assert chart.size[0] > 1000
    text = page.extract_text()
    assert "Attendance: Python meetup" in text
    with unit_of_work() as session:
        total = session.scalar(
            select(func.count()).where(Registration.event_id == uuid.UUID(event["id"]))
        )
    assert total == 44
    for figure in ("44", "Registrations", "Waitlisted", "Checked in"):
        assert figure in text
    assert "Анна Иванова" in text
    assert "and 14 more" in text  # 44 rows, 30 shown
    # Every status whole, the longest included (it was cut to "checked_…").
    for status in ("checked_in", "waitlisted", "cancelled", "confirmed"):
        assert status in text
    assert "checked_…" not in text


def test_organizer_summary_counts_each_event_in_the_period(client, owner):
    inside = busy_event(client, owner)
    empty = create_event(
        client,
        owner,
        title="Quiet evening",
        starts_at="2031-06-01T18:00:00+00:00",
        ends_at="2031-06-01T20:00:00+00:00",
    )
    create_event(
        client,
        owner,
        title="Next year",
        starts_at="2032-06-01T18:00:00+00:00",
        ends_at="2032-06-01T20:00:00+00:00",
    )
    create_event(client, auth(new_user("organizer")), title="Someone else's")
    accepted = ask(
        client,
        owner,
        kind="organizer_summary",
        format="csv",
        **{"from": "2031-01-01T00:00:00Z", "to": "2032-01-01T00:00:00Z"},
    )
    header, *rows = list(
        csv.reader(io.StringIO(built_file(client, accepted["id"], owner).decode("utf-8-sig")))
    )
    assert header == [
        "Event",
        "Starts",
        "Status",
        "Capacity",
        "Confirmed",
        "Waitlisted",
        "Cancelled",
        "Checked in",
        "Seat offered",
    ]
    assert [row[0] for row in rows] == [inside["title"], empty["title"]]
    # The raw aggregate over the registrations of each event.
    with unit_of_work() as session:
        counts: dict[str, int] = dict(
            session.execute(
                select(Registration.status.cast(String), func.count())
                .where(Registration.event_id == uuid.UUID(inside["id"]))
                .group_by(Registration.status)
            ).all()
        )
    confirmed = counts.get("confirmed", 0) + counts.get("checked_in", 0)
    assert rows[0][3:] == [
        "2",
        str(confirmed),
        str(counts.get("waitlisted", 0)),
        str(counts.get("cancelled", 0)),
        str(counts.get("checked_in", 0)),
        str(counts.get("offered", 0)),
    ]
    assert rows[0][3:] == ["2", "2", "1", "1", "1", "0"]
    assert rows[1][3:] == ["", "0", "0", "0", "0", "0"]


def test_who_may_ask_for_and_read_what(client, organizer, owner):
    event = create_event(client, owner)
    draft = create_event(client, owner, status="draft")
    other = auth(new_user("organizer"))
    participant = auth(new_user())
    admin = auth(new_user("admin"))
    attendance = {"kind": "event_attendance", "event_id": event["id"], "format": "csv"}
    # Someone else's event: 403 when they can see it, 404 when they cannot (a draft).
    refused(client, other, 403, **attendance)
    refused(client, other, 404, **{**attendance, "event_id": draft["id"]})
    refused(client, other, 404, **{**attendance, "event_id": str(uuid.uuid4())})
    refused(client, participant, 403, **attendance)
    refused(client, None, 401, **attendance)
    # Summaries of another organizer are for admins only.
    summary = {"kind": "organizer_summary", "format": "csv"}
    refused(client, other, 403, organizer_id=str(organizer.id), **summary)
    refused(client, admin, 404, organizer_id=str(uuid.uuid4()), **summary)

    mine = ask(client, owner, **attendance)
    for outsider in (other, participant):
        assert_problem(client.get(f"{REPORTS}/{mine['id']}", headers=outsider), 404)
    assert_problem(client.get(f"{REPORTS}/{mine['id']}"), 401)
    assert_problem(client.get(f"{REPORTS}/{uuid.uuid4()}", headers=owner), 404)
    # Admins may report on any event and read any report.
    assert state(client, mine["id"], admin)["status"] == "pending"
    # A report of someone's event is theirs to read too, whoever asked (the event's list
    # shows it them); a summary of them is the admin's alone.
    theirs = ask(client, admin, **attendance)
    assert state(client, theirs["id"], owner)["status"] == "pending"
    by_admin = ask(client, admin, organizer_id=str(organizer.id), **summary)
    assert_problem(client.get(f"{REPORTS}/{by_admin['id']}", headers=owner), 404)
    with unit_of_work() as session:
        row = session.get(Report, uuid.UUID(by_admin["id"]))
        assert row is not None
        assert row.organizer_id == organizer.id


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "event_attendance", "format": "csv"},
        {"kind": "event_attendance", "event_id": "not-a-uuid", "format": "csv"},
        {"kind": "organizer_summary", "format": "docx"},
        {"kind": "everything", "format": "csv"},
        {"kind": "organizer_summary", "format": "csv", "event_id": str(uuid.uuid4())},
        {
            "kind": "organizer_summary",
            "format": "csv",
            "from": "2031-01-01T00:00:00Z",
            "to": "2030-01-01T00:00:00Z",
        },
        {"kind": "organizer_summary", "format": "csv", "from": "2031-01-01"},
        {"kind": "organizer_summary", "format": "csv", "colour": "blue"},
        {
            "kind": "event_attendance",
            "event_id": str(uuid.uuid4()),
            "format": "csv",
            "from": "2031-01-01T00:00:00Z",
        },
    ],
)
def test_bad_requests_are_422_problems(client, owner, body):
    problem = refused(client, owner, 422, **body)
    assert problem["errors"]


def test_requests_are_throttled_per_person(client, owner, monkeypatch):
    monkeypatch.setenv("REPORT_REQUESTS_PER_USER_PER_HOUR", "2")
    process_state.reset()
    summary = {"kind": "organizer_summary", "format": "csv"}
    ask(client, owner, **summary)
    ask(client, owner, **summary)
    answer = client.post(REPORTS, json=summary, headers=owner)
    assert_problem(answer, 429)
    assert int(answer.headers["Retry-After"]) > 0
    # Someone else is not held back by it.
    ask(client, auth(new_user("organizer")), **summary)


def test_statuses_move_once_and_a_duplicate_task_does_nothing(client, owner):
    accepted = ask(client, owner, kind="organizer_summary", format="xlsx")
    report_id = uuid.UUID(accepted["id"])
    with unit_of_work() as session:
        taken = repository.claim(session, report_id, timedelta(minutes=5))
    assert taken is not None
    assert state(client, accepted["id"], owner)["status"] == "running"
    # Held by a live worker: another task finds nothing to do.
    assert run_build(accepted["id"]) == "nothing"
    # That worker died: once its lease ran out, the next task builds it.
    with unit_of_work() as session:
        session.execute(
            update(Report)
            .where(Report.id == report_id)
            .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert run_build(accepted["id"]) == "ready"
    assert run_build(accepted["id"]) == "nothing"
    assert state(client, accepted["id"], owner)["status"] == "ready"
    assert len(emitted("report.ready")) == 1
    with unit_of_work() as session:
        row = session.get(Report, report_id)
        assert row is not None
        assert (row.attempts, row.claimed_until, row.row_count) == (2, None, 0)
        assert row.finished_at is not None


def test_a_report_that_cannot_be_built_fails_with_a_reason(client, owner, data_dir):
    event = create_event(client, owner)
    accepted = ask(client, owner, kind="event_attendance", event_id=event["id"], format="pdf")
    assert client.delete(f"/api/v1/events/{event['id']}", headers=owner).status_code == 204
    assert run_build(accepted["id"]) == "failed"
    failed = state(client, accepted["id"], owner)
    assert failed["status"] == "failed"
    assert "deleted" in failed["error"]
    assert "download_url" not in failed
    [told] = emitted("report.failed")
    assert told["report_id"] == accepted["id"]
    assert told["error"] == failed["error"]
    assert run_build(accepted["id"]) == "nothing"
    assert not list((data_dir / "media").rglob("reports/*"))


def test_through_s3_the_link_downloads_the_same_report(client, owner, monkeypatch):
    event = busy_event(client, owner)
    local = ask(client, owner, kind="event_attendance", event_id=event["id"], format="csv")
    on_disk = built_file(client, local["id"], owner)
    with moto_server() as endpoint:
        for key, value in s3_environment(endpoint, f"r-{uuid.uuid4().hex[:12]}").items():
            monkeypatch.setenv(key, value)
        process_state.reset()
        on_s3 = ask(client, owner, kind="event_attendance", event_id=event["id"], format="csv")
        assert run_build(on_s3["id"]) == "ready"
        url = state(client, on_s3["id"], owner)["download_url"]
        assert url.startswith(f"http://{endpoint}/")
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback
            downloaded = answer.read()
            assert "attachment" in answer.headers["content-disposition"]
    # Same rows, same bytes (built from the same data, in the same minute's date).
    assert downloaded == on_disk


def test_the_requester_is_mailed_and_sees_it_in_the_app(client, owner, organizer, outbox_dir):
    event = busy_event(client, owner)
    ready = ask(client, owner, kind="event_attendance", event_id=event["id"], format="pdf")
    assert run_build(ready["id"]) == "ready"
    deliver_outbox_to_notify(client, ("org.eventmanager.report.",))
    send_pending_mail()
    [mail] = mails(outbox_dir)
    assert mail["To"] == organizer.email
    assert mail["Subject"] == "Your report is ready"
    plain = mail.get_body(("plain",))
    assert plain is not None
    body = plain.get_content()
    assert f"https://events.example.org/reports/{ready['id']}" in body
    assert "Python meetup" in body
    # The mail never carries the download link itself (a bearer capability).
    assert "signature=" not in body
    assert "/api/v1/files/" not in body
    inbox = client.get("/api/v1/me/notifications", headers=owner).json()["items"]
    assert [item["kind"] for item in inbox] == ["report_ready"]


def test_a_failure_is_mailed_with_its_reason(client, owner, organizer, outbox_dir):
    event = create_event(client, owner)
    failing = ask(client, owner, kind="event_attendance", event_id=event["id"], format="csv")
    client.delete(f"/api/v1/events/{event['id']}", headers=owner)
    assert run_build(failing["id"]) == "failed"
    deliver_outbox_to_notify(client, ("org.eventmanager.report.",))
    send_pending_mail()
    [mail] = mails(outbox_dir)
    assert mail["Subject"] == "Your report could not be built"
    plain = mail.get_body(("plain",))
    assert plain is not None
    assert "the attendance list of a deleted event (CSV)" in plain.get_content()
    assert "The event was deleted" in plain.get_content()


def test_a_summary_with_nothing_in_it_is_still_a_page(client, owner):
    accepted = ask(client, owner, kind="organizer_summary", format="pdf")
    reader = PdfReader(io.BytesIO(built_file(client, accepted["id"], owner)))
    [page] = reader.pages
    assert "No registrations yet." in page.extract_text()
    assert len(page.images) == 1


def test_a_russian_speaker_gets_the_report_and_the_mail_in_russian(
    client, owner, organizer, outbox_dir
):
    with unit_of_work() as session:
        session.execute(update(User).where(User.id == organizer.id).values(locale="ru"))
    event = busy_event(client, owner)
    accepted = ask(client, owner, kind="event_attendance", event_id=event["id"], format="csv")
    header = built_file(client, accepted["id"], owner).decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Имя,Почта,Статус")
    deliver_outbox_to_notify(client, ("org.eventmanager.report.",))
    send_pending_mail()
    [mail] = mails(outbox_dir)
    assert mail["Subject"] == "Ваш отчёт готов"
    plain = mail.get_body(("plain",))
    assert plain is not None
    assert "список участников «Python meetup» (CSV)" in plain.get_content()


@pytest.mark.parametrize("report_format", ["pdf", "xlsx", "csv"])
def test_no_participant_name_can_break_a_report(client, owner, report_format):
    """Names are people's text: mathtext dollars and control characters included."""
    from tests.support.reports import rename

    event = create_event(client, owner, capacity=5)
    for name in ("$x^$ Dollar", "Bell\x07 Name"):
        person = new_user()
        rename(person, name)
        joined = client.post(f"/api/v1/events/{event['id']}/registrations", headers=auth(person))
        assert joined.status_code == 201
    accepted = ask(
        client, owner, kind="event_attendance", event_id=event["id"], format=report_format
    )
    assert built_file(client, accepted["id"], owner)


@pytest.mark.parametrize(
    "period",
    [{"to": "9999-12-31T23:59:59-14:00"}, {"from": "0001-01-01T00:00:00+14:00"}],
)
def test_a_period_past_the_years_python_reads_is_422(client, owner, period):
    problem = refused(client, owner, 422, kind="organizer_summary", format="csv", **period)
    assert "years 1 to 9999" in str(problem["errors"])
    with unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_a_report_whose_build_cannot_start_fails_instead_of_waiting_forever(client, owner):
    """A row written before periods were checked: its period is in the year 10000 in UTC,
    which PostgreSQL holds and Python cannot read. Its GET answers, its build fails once with
    a reason, and the sweep leaves it alone."""
    accepted = ask(client, owner, kind="organizer_summary", format="csv")
    with unit_of_work() as session:
        session.execute(
            update(Report)
            .where(Report.id == uuid.UUID(accepted["id"]))
            .values(period_to=literal_column("'10000-01-01 13:59:59+00'::timestamptz"))
        )
    assert state(client, accepted["id"], owner)["status"] == "pending"
    assert run_build(accepted["id"]) == "failed"
    failed = state(client, accepted["id"], owner)
    assert failed["status"] == "failed"
    assert "could not be started" in failed["error"]
    [told] = emitted("report.failed")
    assert (told["report_id"], told["error"]) == (accepted["id"], failed["error"])
    assert run_build(accepted["id"]) == "nothing"
    with unit_of_work() as session:
        assert repository.stale(session, datetime.now(UTC) + timedelta(hours=1), 10) == []


def test_an_events_reports_are_listed_newest_first_for_those_who_run_it(client, owner):
    event = create_event(client, owner)
    other_event = create_event(client, owner)
    helper, steward = new_user("organizer"), new_user()
    for person, role in ((helper, "co_organizer"), (steward, "steward")):
        added = client.post(
            f"/api/v1/events/{event['id']}/team",
            headers=owner,
            json={"email": person.email, "role": role},
        )
        assert added.status_code == 201, added.text
    attendance = {"kind": "event_attendance", "event_id": event["id"]}
    first = ask(client, owner, format="csv", **attendance)
    second = ask(client, auth(helper), format="pdf", **attendance)
    ask(client, owner, kind="event_attendance", event_id=other_event["id"], format="csv")
    ask(client, owner, kind="organizer_summary", format="csv")
    assert run_build(first["id"]) == "ready"
    path = f"/api/v1/events/{event['id']}/reports"

    listed = client.get(path, headers=owner)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [i["id"] for i in items] == [second["id"], first["id"]]  # this event's, newest first
    assert items[0]["status"] == "pending"
    assert items[0]["download_url"] is None
    assert items[0]["requester_id"] == str(helper.id)
    assert items[1]["status"] == "ready"
    assert items[1]["format"] == "csv"
    download = client.get(items[1]["download_url"])
    assert download.status_code == 200
    assert download.content.startswith(b"\xef\xbb\xbf")
    # The co-organizer sees the owner's report too, and may read it one by one.
    assert [i["id"] for i in client.get(path, headers=auth(helper)).json()["items"]] == [
        second["id"],
        first["id"],
    ]
    assert state(client, first["id"], auth(helper))["status"] == "ready"
    # Pages of one, with a cursor that carries on.
    page = client.get(path, headers=owner, params={"limit": 1}).json()
    assert [i["id"] for i in page["items"]] == [second["id"]]
    rest = client.get(path, headers=owner, params={"limit": 1, "cursor": page["next_cursor"]})
    assert [i["id"] for i in rest.json()["items"]] == [first["id"]]
    assert rest.json()["next_cursor"] is None
    # Who else: the steward and strangers are refused, an unknown event is 404.
    assert_problem(client.get(path, headers=auth(steward)), 403)
    assert_problem(client.get(path, headers=auth(new_user("organizer"))), 403)
    assert_problem(client.get(path), 401)
    assert_problem(client.get(f"/api/v1/events/{uuid.uuid4()}/reports", headers=owner), 404)
    assert_problem(client.get(path, headers=owner, params={"cursor": "x"}), 422)
    assert_problem(client.get(path, headers=owner, params={"limit": 0}), 422)
    assert_problem(client.get("/api/v1/events/not-an-id/reports", headers=owner), 422)
