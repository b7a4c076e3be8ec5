"""Fixtures for function tests that read mail."""

from __future__ import annotations

import pytest

from tests.conftest import reset_process_state


@pytest.fixture
def outbox_dir(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PUBLIC_URL", "https://events.example.org")
    reset_process_state()
    return tmp_path / "outbox"
