"""`.github/workflows/ci.yml`: lint, test, one image per function, deploy from main.

The image matrix is rendered from the declarations, so a new function gets its image (and
`render --check` in lint fails until this file lists it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.deploy.common import CLI_IMAGE, cli_extras, dump_yaml, extras_of, image
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
CHECKOUT = {"uses": "actions/checkout@v4"}
PYTHON = {
    "uses": "actions/setup-python@v5",
    "with": {"python-version": "3.11", "cache": "pip", "cache-dependency-path": "pyproject.toml"},
}


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
            "openfaas": True,
        }
        for name, item in sorted(deployed.items())
    ]
    entries.append(
        {
            "function": "",
            "extras": cli_extras(deployed),
            "image": image(CLI_IMAGE).rpartition(":")[0],
            "openfaas": False,
        }
    )
    return entries


def build_step(name: str, target: str, suffix: str, condition: str | None = None) -> Any:
    step: dict[str, Any] = {"if": condition} if condition else {}
    step |= {
        "name": name,
        "uses": "docker/build-push-action@v6",
        "with": {
            "context": ".",
            "target": target,
            "build-args": "FUNCTION=${{ matrix.function }}\nEXTRAS=${{ matrix.extras }}\n",
            "push": f"${{{{ {ON_MAIN} }}}}",
            "tags": f"${{{{ matrix.image }}}}:latest{suffix}\n"
            f"${{{{ matrix.image }}}}:${{{{ github.sha }}}}{suffix}\n",
            "cache-from": "type=gha,scope=${{ matrix.extras }}",
            "cache-to": "type=gha,mode=max,scope=${{ matrix.extras }}",
        },
    }
    return step


def images(deployed: dict[str, Deployed]) -> dict[str, Any]:
    return {
        "runs-on": RUNNER,
        "permissions": {"contents": "read", "packages": "write"},
        "strategy": {"fail-fast": False, "matrix": {"include": matrix(deployed)}},
        "steps": [
            CHECKOUT,
            {"uses": "docker/setup-buildx-action@v3"},
            {
                "if": ON_MAIN,
                "uses": "docker/login-action@v3",
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


def deploy_openfaas() -> dict[str, Any]:
    faas_cli = "https://github.com/openfaas/faas-cli/releases/download/0.17.8/faas-cli"
    return {
        "if": ON_MAIN,
        "needs": ["lint", "test", "images"],
        "runs-on": RUNNER,
        "environment": "openfaas",
        "env": {
            "OPENFAAS_URL": "${{ vars.OPENFAAS_URL }}",
            # stack.yml takes the image tag from here: this commit's images.
            "IMAGE_TAG": "${{ github.sha }}",
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
            {
                "name": "Log in to the OpenFaaS gateway",
                "env": {"OPENFAAS_PASSWORD": "${{ secrets.OPENFAAS_PASSWORD }}"},
                "run": 'printf %s "$OPENFAAS_PASSWORD" | faas-cli login --gateway "$OPENFAAS_URL"'
                " --username admin --password-stdin",
            },
            {"run": 'faas-cli deploy -f stack.yml --gateway "$OPENFAAS_URL"'},
        ],
    }


def deploy_knative() -> dict[str, Any]:
    return {
        "if": ON_MAIN,
        "needs": ["lint", "test", "images"],
        "runs-on": RUNNER,
        "environment": "knative",
        "steps": [
            CHECKOUT,
            {"uses": "azure/setup-kubectl@v4"},
            {
                "name": "Cluster credentials",
                "env": {"KUBECONFIG_DATA": "${{ secrets.KUBECONFIG }}"},
                "run": 'mkdir -p ~/.kube && printf %s "$KUBECONFIG_DATA" > ~/.kube/config\n'
                "chmod 600 ~/.kube/config\n",
            },
            {"run": "kubectl apply -k knative/"},
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
            "deploy-openfaas": deploy_openfaas(),
            "deploy-knative": deploy_knative(),
        },
    }


def render(deployed: dict[str, Deployed]) -> list[Rendered]:
    from local.render import Rendered

    text = dump_yaml(workflow(deployed))
    return [Rendered(WORKFLOW, HEADER + text)]
