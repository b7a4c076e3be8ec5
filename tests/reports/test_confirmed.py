"""`confirmed` means one thing wherever a figure carries that name: the people holding a seat,
checked-in ones included (shared.registrations.models.CONFIRMED_STATUSES). Statistics,
summary and attendance report agree on one event."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pypdf import PdfReader

from shared import process_state
from tests.support.factories import new_user
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
