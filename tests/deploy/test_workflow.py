"""The CI workflow as rendered: images per image word, pushed by commit after lint and tests,
deploys that migrate per release and wait, actions pinned to commits, no kept credentials.
(Its schema is checked in test_containers.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from local.deploy import ci

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github/workflows/ci.yml"
PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")


@pytest.fixture(scope="module")
def text() -> str:
    return WORKFLOW.read_text()


@pytest.fixture(scope="module")
def jobs(text) -> dict[str, Any]:
    return yaml.safe_load(text)["jobs"]


def steps(jobs: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in jobs.values() for step in job["steps"]]


def test_every_action_is_pinned_to_a_commit_with_its_tag_beside_it(text, jobs):
    lines = [line for line in text.splitlines() if "uses:" in line]
    assert len(lines) == sum(1 for step in steps(jobs) if "uses" in step)
    for line in lines:
        match = PINNED.match(line)
        assert match, f"not pinned to a commit: {line.strip()}"
        action, commit, tag = match.groups()
        assert ci.ACTIONS[action] == (commit, tag)


def test_no_checkout_keeps_the_token(jobs):
    checkouts = [
        step for step in steps(jobs) if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert len(checkouts) == len(jobs)
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


def test_each_image_caches_under_one_word(jobs):
    images = jobs["images"]
    entries = images["strategy"]["matrix"]["include"]
    scopes = [entry["scope"] for entry in entries]
    assert len(set(scopes)) == len(entries)
    assert all(re.fullmatch(r"[a-z0-9-]+", scope) for scope in scopes), scopes
    builds = [s for s in images["steps"] if s.get("uses", "").startswith("docker/build-push")]
    assert len(builds) == 2
    for build in builds:
        for key in ("cache-from", "cache-to"):
            assert "scope=${{ matrix.scope }}" in build["with"][key]
            assert "matrix.extras" not in build["with"][key]


def test_images_are_pushed_after_lint_and_tests_from_main_tagged_by_commit(jobs):
    images = jobs["images"]
    assert set(images["needs"]) == {"lint", "test"}
    for build in [s for s in images["steps"] if s.get("uses", "").startswith("docker/build")]:
        assert build["with"]["push"] == f"${{{{ {ci.ON_MAIN} }}}}"
        tags = build["with"]["tags"].splitlines()
        assert tags
        assert all(":${{ github.sha }}" in tag for tag in tags), tags
        assert not any("latest" in tag for tag in tags)


def run_lines(job: dict[str, Any]) -> list[str]:
    return [line for step in job["steps"] for line in step.get("run", "").splitlines()]


def position(lines: list[str], pattern: str) -> int:
    found = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    assert found, f"no step runs {pattern}"
    return found[0]


@pytest.mark.parametrize(
    ("job_name", "migrate", "wait", "roll", "ready"),
    [
        (
            "deploy-knative",
            r"kubectl apply -k knative/migrate/",
            r'wait --for=condition=complete "job/migrate-\$RELEASE"',
            r"kubectl apply -k knative/$",
            r"wait --for=condition=Ready ksvc --all",
        ),
        (
            "deploy-openfaas",
            r"kubectl apply -k openfaas/migrate/",
            r'wait --for=condition=complete "job/migrate-\$RELEASE"',
            r"faas-cli deploy",
            r"rollout status deployment/\$deployment",
        ),
    ],
)
def test_deploys_migrate_first_then_roll_then_wait(jobs, job_name, migrate, wait, roll, ready):
    job = jobs[job_name]
    assert set(job["needs"]) == {"lint", "test", "images"}
    assert job["if"] == ci.ON_MAIN
    lines = run_lines(job)
    order = [position(lines, pattern) for pattern in (migrate, wait, roll, ready)]
    assert order == sorted(order), dict(
        zip(("migrate", "wait", "roll", "ready"), order, strict=True)
    )


def test_the_openfaas_deploy_applies_the_rendered_manifests_of_its_release(jobs):
    """The migration Job and the processes are the rendered `openfaas/` files, with this
    commit's release set by the same step as Knative's, before anything is applied."""
    job = jobs["deploy-openfaas"]
    assert job["env"]["RELEASE"] == "${{ github.sha }}"
    lines = run_lines(job)
    release = position(lines, r"sed -i .* openfaas/kustomization.yaml openfaas/migrate/")
    migrate = position(lines, r"kubectl apply -k openfaas/migrate/")
    processes = position(lines, r"kubectl apply -k openfaas/$")
    functions = position(lines, r"faas-cli deploy")
    assert release < migrate < functions < processes
    waited = position(lines, r"for deployment in .*dispatcher scheduler worker gateway; do")
    assert waited > processes
