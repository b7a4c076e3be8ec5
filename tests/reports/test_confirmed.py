"""`confirmed` means one thing wherever a figure carries that name: the people holding a seat,
checked-in ones included (shared.registrations.models.CONFIRMED_STATUSES). Statistics,
summary and attendance report agree on one event; a seat offered from the waitlist is counted
apart, in each of them."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pypdf import PdfReader

from shared import process_state
from tests.support.factories import create_event, new_user
from tests.support.reports import ask, auth, built_file, busy_event
from tests.support.rollups import deliver_all


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
    process_state.reset()
    return tmp_path


def test_statistics_and_reports_count_confirmed_alike(client):
    owner = auth(new_user("organizer"))
    # One confirmed, one checked in, one waiting, one who left.
    event = busy_event(client, owner)
    deliver_all(client)
    statistics = client.get(f"/api/v1/analytics/events/{event['id']}", headers=owner).json()
    assert (statistics["confirmed"], statistics["checked_in"]) == (2, 1)

    summary = ask(client, owner, kind="organizer_summary", format="csv")
    header, row = list(
        csv.reader(io.StringIO(built_file(client, summary["id"], owner).decode("utf-8-sig")))
    )
    assert dict(zip(header, row, strict=True))["Confirmed"] == "2"

    attendance = ask(client, owner, kind="event_attendance", event_id=event["id"], format="pdf")
    page = PdfReader(io.BytesIO(built_file(client, attendance["id"], owner))).pages[0]
    figures = re.search(r"Confirmed\s+(\d+)|(\d+)\s+Confirmed", page.extract_text())
    assert figures is not None
    assert "2" in figures.groups()


def test_an_offered_seat_is_counted_apart_in_statistics_and_reports(client):
    owner = auth(new_user("organizer"))
    waitlist = {"mode": "offer", "offer_hours": 6, "auto_before_start_hours": 24}
    event = create_event(client, owner, capacity=1, waitlist=waitlist)
    path = f"/api/v1/events/{event['id']}/registrations"
    seated, first, second = new_user(), new_user(), new_user()
    for person in (seated, first, second):
        assert client.post(path, headers=auth(person)).status_code == 201
    # The seat is freed: offered to the first waiting, held for them; the second still waits.
    assert client.delete(f"{path}/me", headers=auth(seated)).status_code == 204
    deliver_all(client)
    statistics = client.get(f"/api/v1/analytics/events/{event['id']}", headers=owner).json()
    split = ("confirmed", "waitlisted", "offered", "cancelled")
    assert [statistics[key] for key in split] == [0, 1, 1, 1]
    assert sum(statistics[key] for key in split) == statistics["registrations"] == 3

    summary = ask(client, owner, kind="organizer_summary", format="csv")
    header, row = list(
        csv.reader(io.StringIO(built_file(client, summary["id"], owner).decode("utf-8-sig")))
    )
    counted = dict(zip(header, row, strict=True))
    assert (counted["Waitlisted"], counted["Seat offered"], counted["Confirmed"]) == ("1", "1", "0")

    attendance = ask(client, owner, kind="event_attendance", event_id=event["id"], format="pdf")
    text = (
        PdfReader(io.BytesIO(built_file(client, attendance["id"], owner))).pages[0].extract_text()
    )
    figures = re.search(r"Seat offered\s+(\d+)|(\d+)\s+Seat offered", text)
    assert figures is not None
    assert "1" in figures.groups()
