"""`.github/workflows/ci.yml`: lint, test, one image per function, deploy from main.

The image matrix is rendered from the declarations, so a new function gets its image (and
`render --check` in lint fails until this file lists it). Images are built once lint and tests
passed, pushed from main only, tagged by commit; the deploy jobs run that commit's migration
(a Job per release) before rolling the functions, and wait for them to be ready. Every action
is pinned to a commit (its release tag in a comment) and no checkout keeps the token.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.deploy.common import (
    CLI_IMAGE,
    cli_extras,
    dump_yaml,
    extras_of,
    image,
    service_name,
)
from local.deploy.knative import MIGRATE_DIR, NAMESPACE, RELEASE_PLACEHOLDER
from local.deploy.knative import ROOT as KNATIVE
from local.deploy.openfaas_manifests import MIGRATE_DIR as OPENFAAS_MIGRATE_DIR
from local.deploy.openfaas_manifests import NAMESPACE as OPENFAAS_NAMESPACE
from local.deploy.openfaas_manifests import ROOT as OPENFAAS
from local.registry import Deployed

if TYPE_CHECKING:
    from local.render import Rendered

WORKFLOW = Path(".github/workflows/ci.yml")
ON_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'"
RUNNER = "ubuntu-24.04"
HEADER = """\
# Rendered by `eventmgr render` (local/deploy/ci.py) from the function declarations;
# do not edit.
"""
# The commit each release tag pointed to in the action's own repository (`git rev-parse
# <tag>^{commit}`): a tag can be moved, a commit cannot.
ACTIONS = {
    "actions/checkout": ("11d5960a326750d5838078e36cf38b85af677262", "v4.4.0"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "docker/setup-buildx-action": ("8d2750c68a42422c14e847fe6c8ac0403b4cbd6f", "v3.12.0"),
    "docker/login-action": ("c94ce9fb468520275223c153574b00df6fe4bcc9", "v3.7.0"),
    "docker/build-push-action": ("10e90e3645eae34f1e60eeb005ba3a3d33f178e8", "v6.19.2"),
}


def uses(action: str) -> str:
    return f"{action}@{ACTIONS[action][0]}"


# Later steps need no git credentials; kept, any step (or action) could read the token.
CHECKOUT = {"uses": uses("actions/checkout"), "with": {"persist-credentials": False}}
PYTHON = {
    "uses": uses("actions/setup-python"),
    "with": {
        "python-version": "3.11",
        "cache": "pip",
        # `make` installs with the lock: a new lock is a new cache.
        "cache-dependency-path": "pyproject.toml\nrequirements/constraints.txt\n",
    },
}
RELEASE = "${{ github.sha }}"
# kubectl comes with GitHub's ubuntu-24.04 image; the cluster's credentials from a secret.
CLUSTER_CREDENTIALS = {
    "name": "Cluster credentials",
    "env": {"KUBECONFIG_DATA": "${{ secrets.KUBECONFIG }}"},
    "run": 'mkdir -p ~/.kube && printf %s "$KUBECONFIG_DATA" > ~/.kube/config\n'
    "chmod 600 ~/.kube/config\n",
}
MIGRATION_TIMEOUT = "16m"  # the Job's own deadline is 15 minutes
READY_TIMEOUT = "10m"


def service(
    image_name: str,
    port: int,
    health: str,
    env: dict[str, str] | None = None,
    extra_ports: tuple[int, ...] = (),
) -> Any:
    found: dict[str, Any] = {
        "image": image_name,
        "ports": [f"{p}:{p}" for p in (port, *extra_ports)],
    }
    if env:
        found["env"] = env
    found["options"] = (
        f'--health-cmd "{health}" --health-interval 5s --health-timeout 5s --health-retries 20'
    )
    return found


def lint() -> dict[str, Any]:
    return {"runs-on": RUNNER, "steps": [CHECKOUT, PYTHON, {"run": "make lint"}]}


def test() -> dict[str, Any]:
    return {
        "runs-on": RUNNER,
        "services": {
            "postgres": service(
                "postgres:16-alpine",
                5432,
                "pg_isready -U postgres",
                {"POSTGRES_HOST_AUTH_METHOD": "trust"},
            ),
            "redis": service("redis:7-alpine", 6379, "redis-cli ping"),
            # The management API makes each test run's own vhost (tests/conftest.py).
            "rabbitmq": service(
                "rabbitmq:3.13-management-alpine",
                5672,
                "rabbitmq-diagnostics -q ping",
                extra_ports=(15672,),
            ),
        },
        "env": {
            "TEST_POSTGRES_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
            "TEST_REDIS_URL": "redis://127.0.0.1:6379/1",
        },
        "steps": [
            CHECKOUT,
            PYTHON,
            {
                # promtool, prometheus and amtool for the observability tests; no daemon.
                "name": "Prometheus and Alertmanager tools",
                "run": "printf '#!/bin/sh\\nexit 101\\n' | sudo tee /usr/sbin/policy-rc.d\n"
                "sudo chmod +x /usr/sbin/policy-rc.d\n"
                "sudo apt-get update -q\n"
                "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q"
                " prometheus prometheus-alertmanager\n"
                "sudo rm /usr/sbin/policy-rc.d\n",
            },
            {"run": "make test"},
        ],
    }


def matrix(deployed: dict[str, Deployed]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {
            "function": name,
            "extras": extras_of(item),
            "image": image(name).rpartition(":")[0],
            # One word per image: buildx refuses a comma list as a cache scope.
            "scope": service_name(name),
            "openfaas": True,
        }
        for name, item in sorted(deployed.items())
    ]
    entries.append(
        {
            "function": "",
            "extras": cli_extras(deployed),
            "image": image(CLI_IMAGE).rpartition(":")[0],
            "scope": CLI_IMAGE,
            "openfaas": False,
        }
    )
    return entries


def build_step(name: str, target: str, suffix: str, condition: str | None = None) -> Any:
    step: dict[str, Any] = {"if": condition} if condition else {}
    step |= {
        "name": name,
        "uses": uses("docker/build-push-action"),
        "with": {
            "context": ".",
            "target": target,
            "build-args": "FUNCTION=${{ matrix.function }}\nEXTRAS=${{ matrix.extras }}\n",
            "push": f"${{{{ {ON_MAIN} }}}}",
            # By commit only: a deployment names the release it runs.
            "tags": f"${{{{ matrix.image }}}}:{RELEASE}{suffix}",
            "cache-from": f"type=gha,scope=${{{{ matrix.scope }}}}{suffix}",
            "cache-to": f"type=gha,mode=max,scope=${{{{ matrix.scope }}}}{suffix}",
        },
    }
    return step


def images(deployed: dict[str, Deployed]) -> dict[str, Any]:
    return {
        # Built (and on main pushed) only once lint and tests passed.
        "needs": ["lint", "test"],
        "runs-on": RUNNER,
        "permissions": {"contents": "read", "packages": "write"},
        "strategy": {"fail-fast": False, "matrix": {"include": matrix(deployed)}},
        "steps": [
            CHECKOUT,
            {"uses": uses("docker/setup-buildx-action")},
            {
                "if": ON_MAIN,
                "uses": uses("docker/login-action"),
                "with": {
                    "registry": "ghcr.io",
                    "username": "${{ github.actor }}",
                    "password": "${{ secrets.GITHUB_TOKEN }}",
                },
            },
            build_step("Image", "runtime", ""),
            build_step("OpenFaaS image", "openfaas", "-openfaas", "matrix.openfaas"),
        ],
    }


def deploy_openfaas(deployed: dict[str, Deployed]) -> dict[str, Any]:
    faas_cli = "https://github.com/openfaas/faas-cli/releases/download/0.17.8/faas-cli"
    functions = " ".join(service_name(name) for name in sorted(deployed))
    migrate = f"{OPENFAAS}/{OPENFAAS_MIGRATE_DIR}/"
    return {
        "if": ON_MAIN,
        "needs": ["lint", "test", "images"],
        "runs-on": RUNNER,
        "environment": "openfaas",
        "env": {
            "RELEASE": RELEASE,
            "OPENFAAS_URL": "${{ vars.OPENFAAS_URL }}",
            # stack.yml takes the image tag from here: this commit's images.
            "IMAGE_TAG": RELEASE,
            "PUBLIC_URL": "${{ vars.PUBLIC_URL }}",
            "CORS_ORIGINS": "${{ vars.CORS_ORIGINS }}",
            "TRUSTED_PROXIES": "${{ vars.TRUSTED_PROXIES }}",
        },
        "steps": [
            CHECKOUT,
            {
                "name": "faas-cli",
                "run": f"sudo curl -fsSL -o /usr/local/bin/faas-cli {faas_cli}\n"
                "sudo chmod +x /usr/local/bin/faas-cli\n",
            },
            CLUSTER_CREDENTIALS,
            release_step(OPENFAAS, OPENFAAS_MIGRATE_DIR),
            {
                "name": "Migrate (a Job per release, before the functions roll)",
                "run": f"kubectl apply -k {migrate}\n"
                f"kubectl -n {OPENFAAS_NAMESPACE} wait --for=condition=complete"
                f' "job/migrate-$RELEASE" --timeout={MIGRATION_TIMEOUT}\n',
            },
            {
                "name": "Log in to the OpenFaaS gateway",
                "env": {"OPENFAAS_PASSWORD": "${{ secrets.OPENFAAS_PASSWORD }}"},
                "run": 'printf %s "$OPENFAAS_PASSWORD" | faas-cli login --gateway "$OPENFAAS_URL"'
                " --username admin --password-stdin",
            },
            {
                "name": "Roll the functions",
                "run": 'faas-cli deploy -f stack.yml --gateway "$OPENFAAS_URL"',
            },
            {
                "name": "Roll the dispatcher, scheduler, worker and public gateway",
                "run": f"kubectl apply -k {OPENFAAS}/",
            },
            {
                "name": "Wait for readiness",
                "run": f"for deployment in {functions} dispatcher scheduler worker gateway; do\n"
                f"  kubectl -n {OPENFAAS_NAMESPACE} rollout status deployment/$deployment"
                f" --timeout={READY_TIMEOUT}\n"
                "done\n",
            },
        ],
    }


def release_step(root: Path, migrate_dir: str) -> dict[str, Any]:
    """Sets the release in a target's two kustomizations: every image's tag and the migration
    Job's name (`kustomize edit set image` does the same for the tags)."""
    files = f"{root}/kustomization.yaml {root}/{migrate_dir}/kustomization.yaml"
    placeholder = RELEASE_PLACEHOLDER
    return {
        "name": "Release tag",
        "run": f'sed -i "s/^  newTag: {placeholder}$/  newTag: $RELEASE/;'
        f' s/^nameSuffix: -{placeholder}$/nameSuffix: -$RELEASE/" {files}\n'
        f"if grep -n {placeholder} {files}; then exit 1; fi\n",
    }


def deploy_knative() -> dict[str, Any]:
    migrate = f"{KNATIVE}/{MIGRATE_DIR}/"
    return {
        "if": ON_MAIN,
        "needs": ["lint", "test", "images"],
        "runs-on": RUNNER,
        "environment": "knative",
        "env": {"RELEASE": RELEASE},
        "steps": [
            CHECKOUT,
            CLUSTER_CREDENTIALS,
            release_step(KNATIVE, MIGRATE_DIR),
            {
                "name": "Migrate (a Job per release, before the Services roll)",
                "run": f"kubectl apply -f {KNATIVE}/namespace.yaml\n"
                f"kubectl apply -k {migrate}\n"
                f'kubectl -n {NAMESPACE} wait --for=condition=complete "job/migrate-$RELEASE"'
                f" --timeout={MIGRATION_TIMEOUT}\n",
            },
            {"name": "Roll the Services", "run": f"kubectl apply -k {KNATIVE}/"},
            {
                "name": "Wait for readiness",
                "run": f"kubectl -n {NAMESPACE} wait --for=condition=Ready ksvc --all"
                f" --timeout={READY_TIMEOUT}\n"
                f"kubectl -n {NAMESPACE} rollout status deployment/gateway"
                f" --timeout={READY_TIMEOUT}\n",
            },
        ],
    }


def workflow(deployed: dict[str, Deployed]) -> dict[str, Any]:
    return {
        "name": "CI",
        "on": {"push": {"branches": ["main"]}, "pull_request": {}},
        "permissions": {"contents": "read"},
        "concurrency": {
            "group": "ci-${{ github.ref }}",
            # Never cancel a run on main half-way through a deploy.
            "cancel-in-progress": "${{ github.ref != 'refs/heads/main' }}",
        },
        "jobs": {
            "lint": lint(),
            "test": test(),
            "images": images(deployed),
            "deploy-openfaas": deploy_openfaas(deployed),
            "deploy-knative": deploy_knative(),
        },
    }


def render(deployed: dict[str, Deployed]) -> list[Rendered]:
    from local.render import Rendered

    text = dump_yaml(workflow(deployed))
    for action, (commit, tag) in ACTIONS.items():
        text = text.replace(f"uses: {action}@{commit}\n", f"uses: {action}@{commit} # {tag}\n")
    return [Rendered(WORKFLOW, HEADER + text)]
