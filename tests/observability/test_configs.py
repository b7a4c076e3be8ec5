"""The observability files are valid for the tools that read them, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from local.dashboards import expressions
from local.deploy.common import service_name
from local.registry import load_functions

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"


def run(*command: str, cwd: Path = DASHBOARDS) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_alert_rules_are_valid_and_their_unit_tests_pass():
    assert "SUCCESS: 7 rules found" in run(
        "promtool", "check", "rules", "alerts.yml", cwd=DASHBOARDS / "prometheus"
    )
    assert "SUCCESS" in run(
        "promtool", "test", "rules", "alerts_test.yml", cwd=DASHBOARDS / "prometheus"
    )


def test_prometheus_and_alertmanager_configs():
    run("promtool", "check", "config", "--syntax-only", "prometheus/prometheus.yml")
    run("amtool", "check-config", "alertmanager/alertmanager.yml")


def test_every_function_has_a_dashboard_row_and_a_scrape_target():
    names = set(load_functions())
    overview = json.loads((DASHBOARDS / "grafana/dashboards/overview.json").read_text())
    rows = {p["title"].split(":")[0] for p in overview["panels"] if p["type"] == "row"}
    assert names <= rows
    scrape = yaml.safe_load((DASHBOARDS / "prometheus/prometheus.yml").read_text())
    targets = {
        target
        for job in scrape["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert {f"{service_name(name)}:8080" for name in names} <= targets


@pytest.mark.parametrize("board", ["overview", "business", "eventing"])
def test_dashboards_are_grafana_models_on_the_provisioned_datasource(board):
    text = (DASHBOARDS / f"grafana/dashboards/{board}.json").read_text()
    model = json.loads(text)
    assert model["uid"].startswith("eventmanager-")
    ids = [panel["id"] for panel in model["panels"]]
    assert len(ids) == len(set(ids))
    for panel in model["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "prometheus"
            assert panel["targets"]
    assert expressions(text)
    provisioned = yaml.safe_load(
        (DASHBOARDS / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    assert provisioned["datasources"][0]["uid"] == "prometheus"


def test_elasticsearch_and_kibana_objects_fit_together():
    template = json.loads((DASHBOARDS / "elasticsearch/index-template.json").read_text())
    policy = json.loads((DASHBOARDS / "elasticsearch/ilm-policy.json").read_text())
    assert template["template"]["settings"]["index.lifecycle.name"] == "eventmanager-logs"
    assert "delete" in policy["policy"]["phases"]
    objects = [
        json.loads(line)
        for line in (DASHBOARDS / "kibana/saved-objects.ndjson").read_text().splitlines()
    ]
    known = {(o["type"], o["id"]) for o in objects}
    for saved in objects:
        for reference in saved["references"]:
            assert (reference["type"], reference["id"]) in known
    data_view = next(o for o in objects if o["type"] == "index-pattern")
    pattern = data_view["attributes"]["title"]
    assert pattern in template["index_patterns"]
    shipper = yaml.safe_load((DASHBOARDS / "fluent-bit/fluent-bit.yaml").read_text())
    index = shipper["pipeline"]["outputs"][0]["index"]
    assert index.startswith(pattern.rstrip("*"))
    daemonset = list(yaml.safe_load_all((DASHBOARDS / "fluent-bit/kubernetes.yaml").read_text()))
    assert {d["kind"] for d in daemonset} >= {"DaemonSet", "ConfigMap", "ServiceAccount"}


def test_the_log_shipper_daemonset_is_valid_kubernetes():
    validator = str(Path(sys.executable).with_name("kubernetes-validate"))
    output = run(validator, "--strict", "fluent-bit/kubernetes.yaml")
    assert "daemonset/fluent-bit" in output
