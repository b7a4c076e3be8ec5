"""The README's "Build a client" example runs against the real API, signed in and with an API
key: if it failed, the first thing a mobile or script developer copies would not work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.factories import PASSWORD, auth, create_event, new_user

README = Path(__file__).resolve().parents[1] / "README.md"


def example() -> str:
    section = README.read_text().split("### Build a client", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "the README's client example is gone"
    return found.group(1)


@pytest.mark.parametrize("with_key", [False, True])
def test_the_readme_client_signs_in_lists_registers_and_gets_its_ticket(
    live_url, tmp_path, with_key
):
    with httpx.Client(base_url=live_url) as api:
        create_event(api, auth(new_user("organizer")), title="Readme meetup", capacity=5)
        person = new_user()
        env = {"PATH": os.environ["PATH"], "EVENTMGR_URL": live_url}
        if with_key:
            made = api.post(
                "/api/v1/me/api-keys",
                json={
                    "name": "readme",
                    "scopes": ["events:read", "registrations:write", "registrations:read"],
                },
                headers=auth(person),
            )
            env["EVENTMGR_API_KEY"] = made.json()["key"]
        else:
            env |= {"EVENTMGR_EMAIL": person.email, "EVENTMGR_PASSWORD": PASSWORD}
        script = tmp_path / "client.py"
        script.write_text(example())
        ran = subprocess.run(
            [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
        )
        assert ran.returncode == 0, ran.stderr
        assert "1 events; registering for 'Readme meetup'" in ran.stdout
        assert "registration confirmed" in ran.stdout
        assert re.search(r"^ticket \S{16,}$", ran.stdout, re.M), ran.stdout
        mine = api.get("/api/v1/me/registrations", headers=auth(person)).json()["items"]
        assert [r["status"] for r in mine] == ["confirmed"]
