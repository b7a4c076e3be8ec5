"""docs/openapi.json is the API contract the gateway serves, the same bytes on every machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from local.render import API_CONTRACT

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_contract_is_what_the_gateway_serves(client):
    served = client.get("/openapi.json")
    assert served.status_code == 200
    committed = json.loads((ROOT / API_CONTRACT).read_text())
    assert committed == served.json(), "run `eventmgr render` and commit docs/openapi.json"
    assert committed["paths"], committed


def test_the_contract_renders_the_same_whatever_the_host_and_settings():
    """Another hash seed, time zone, locale, data dir and public URL change nothing."""
    environment = {
        **os.environ,
        "PYTHONHASHSEED": "1234",
        "TZ": "Pacific/Chatham",
        "LC_ALL": "C",
        "EVENTMGR_DATA_DIR": "/nonexistent/elsewhere",
        "PUBLIC_URL": "https://events.example.org",
        "TRUSTED_PROXIES": "10.0.0.0/8",
    }
    rendered = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from local.registry import load_functions\n"
            "from local.render import api_contract\n"
            "sys.stdout.write(api_contract(load_functions()).content)\n",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert rendered == (ROOT / API_CONTRACT).read_text()
