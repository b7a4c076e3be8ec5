"""No rendered deployment gives Celery a name of the CloudEvents exchange: on a shared broker
RabbitMQ refuses the second declaration and the worker dies, so no mail is ever sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from shared.config import Settings

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("CELERY_QUEUE", "RABBITMQ_EXCHANGE")


def environments(node: Any) -> Iterator[dict[str, str]]:
    """Every container's or service's environment in a document (compose, OpenFaaS, k8s)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "environment" and isinstance(value, dict):
                yield {str(k): str(v) for k, v in value.items()}
            elif key == "env" and isinstance(value, list):
                yield {str(i["name"]): str(i.get("value", "")) for i in value if "name" in i}
            else:
                yield from environments(value)
    elif isinstance(node, list):
        for item in node:
            yield from environments(item)


def rendered() -> Iterator[tuple[str, Any]]:
    paths = [
        ROOT / "docker-compose.yml",
        ROOT / "stack.yml",
        *sorted(ROOT.glob("knative/**/*.yaml")),
    ]
    for path in paths:
        for document in yaml.safe_load_all(path.read_text()):
            yield str(path.relative_to(ROOT)), document


def test_every_target_keeps_celery_apart_from_the_cloudevents_exchange():
    checked = 0
    for name, document in rendered():
        for environment in environments(document):
            checked += 1
            given = {key.lower(): environment[key] for key in NAMES if key in environment}
            settings = Settings.model_validate(given)  # refuses a collision, as processes do
            assert settings.celery_queue != settings.rabbitmq_exchange, name
    env_example = (ROOT / ".env.example").read_text()
    assert not any(line.startswith(NAMES) for line in env_example.splitlines())
    assert checked > 30  # every function, the worker, the dispatcher, the scheduler


def test_keda_scales_the_worker_on_the_queue_it_consumes():
    [scaled] = [
        document
        for _, document in rendered()
        if isinstance(document, dict) and document.get("kind") == "ScaledObject"
    ]
    [trigger] = scaled["spec"]["triggers"]
    assert trigger["metadata"]["queueName"] == Settings().celery_queue
