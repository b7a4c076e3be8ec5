"""`python -m rehearsal` (`make rehearse`): the whole rehearsal, then its report; exit 1 on any
failed check. Everything it started is removed, whatever happens."""

from __future__ import annotations

import json
import sys
import time
import traceback
from typing import Any

import yaml

from rehearsal import checks, coldstart, images, scenario, stack
from rehearsal.podman import PROJECT, ROOT

REPORT = ROOT / "build" / "rehearsal.json"


def main() -> int:
    report: dict[str, Any] = {"failures": []}
    failures: list[str] = report["failures"]
    file = stack.compose_file()
    try:
        rehearse(file, report)
    except Exception as error:
        failures.append(f"{type(error).__name__}: {error}")
        traceback.print_exc()
    finally:
        started = time.monotonic()
        stack.down()
        stack.remove_secrets()
        report.setdefault("seconds", {})["clean up"] = time.monotonic() - started
        left = stack.left_behind()
        if left:
            failures.append(f"left behind: {left}")
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2))
    print(summary(report))
    return 1 if failures else 0


def rehearse(file: dict[str, Any], report: dict[str, Any]) -> None:
    seconds: dict[str, float] = {}
    report["seconds"] = seconds
    failures: list[str] = report["failures"]
    seconds["stand-in images"] = images.build_standins()
    todo = images.unique(images.declared_builds())
    started = time.monotonic()
    for item in todo:
        print(f"building {item.image} ({item.target})", flush=True)
        report.setdefault("build seconds", {})[item.image] = images.build(item)
    seconds[f"build {len(todo)} images"] = time.monotonic() - started
    report["image MB"] = {item.image: round(images.size_mb(item.image), 1) for item in todo}
    report["image MB"][coldstart.BARE] = round(images.size_mb(coldstart.BARE), 1)
    for item in todo:
        found = images.extras_found(item.image)
        if found != item.modules():
            failures.append(
                f"{item.image}: extras' modules {sorted(found)}, wanted {sorted(item.modules())}"
            )

    stack.down()  # a previous run's leftovers, if it was killed
    stack.write_secrets()
    seconds.update(stack.up(file))
    outcome = scenario.run()
    report["scenario seconds"] = outcome.steps

    network = f"{PROJECT}_default"
    cold: dict[str, float] = {}
    report["cold start seconds"] = cold

    def measure(label: str, image: str, options: list[str]) -> None:
        # One image that does not come up is a failure, not the end of the other checks.
        try:
            cold[label] = round(coldstart.measure(image, network, options), 2)
        except RuntimeError as error:
            failures.append(str(error))

    measure("bare FastAPI", coldstart.BARE, [])
    for name, service in file["services"].items():
        function = ((service.get("build") or {}).get("args") or {}).get("FUNCTION")
        if function:
            image = service["image"].replace("${IMAGE_TAG:-latest}", "rehearsal")
            measure(name, image, coldstart.function_options(service, file))
    account = file["services"]["account"]
    measure(
        "account (openfaas target, watchdog stand-in)",
        account["image"].replace("${IMAGE_TAG:-latest}", "rehearsal") + "-openfaas",
        coldstart.function_options(account, file),
    )

    scenario.wait_for_reminder(outcome)
    app_services = [
        name for name in stack.rehearsed_services(file)
        if "build" in file["services"][name] or name in checks.APP_SERVICES_WITHOUT_FUNCTIONS
    ]  # fmt: skip
    unhealthy = stack.unhealthy_now(file)
    if unhealthy:
        failures.append(f"not healthy at the end: {unhealthy}")
    problems = checks.log_problems(app_services)
    if problems:
        failures.append(f"log lines that are not JSON: {problems}")
    report["gateway error-log lines (plain text by design)"] = checks.gateway_error_lines()[:10]
    hops = ["gateway", "register", "worker"]
    traced = checks.services_with_trace(outcome.trace_id, hops)
    report["trace"] = {"trace.id": outcome.trace_id, "found in": traced}
    if traced != hops:
        failures.append(f"trace {outcome.trace_id} found only in {traced} of {hops}")
    dead = checks.dead_letters()
    report["dead letters"] = {k: v for k, v in dead.items() if v}
    if any(dead.values()):
        failures.append(f"dead letters: {report['dead letters']}")


def summary(report: dict[str, Any]) -> str:
    return yaml.safe_dump(report, sort_keys=False, allow_unicode=True, width=120)


if __name__ == "__main__":
    sys.exit(main())
