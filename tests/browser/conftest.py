"""Debian's Chromium driven by Playwright against a real `eventmgr up`, one browser for the
whole session; axe-core (from the npm registry, `make test` installs it) checks every page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.runner import Runner, start_runner

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# What a participant reads the pages with: a phone's width (the contract says 360 px).
PHONE = {"width": 360, "height": 780}


@dataclass
class Accessibility:
    """Runs axe-core on each page a test visits and keeps what it found."""

    script: str
    pages: list[str] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)

    def check(self, page: Any) -> None:
        page.add_script_tag(content=self.script)
        found = page.evaluate("async () => (await axe.run(document)).violations")
        self.pages.append(page.url)
        for violation in found:
            if violation["impact"] in ("serious", "critical"):
                self.violations.append(
                    {
                        "page": page.url,
                        "id": violation["id"],
                        "impact": violation["impact"],
                        "nodes": [node["html"] for node in violation["nodes"]][:3],
                    }
                )

    def assert_clean(self) -> None:
        assert not self.violations, json.dumps(self.violations, indent=2, ensure_ascii=False)


@dataclass
class PushAuthority:
    """The CA of the test's own push service (test_push.py): the stack trusts it, and lets
    subscriptions point at `localhost`, as it would at a real push service's host."""

    authority: Any
    ca_file: Path

    def environment(self) -> dict[str, str]:
        return {"PUSH_ALLOWED_HOSTS": "localhost", "REQUESTS_CA_BUNDLE": str(self.ca_file)}


@pytest.fixture(scope="package")
def push_authority(tmp_path_factory: pytest.TempPathFactory) -> PushAuthority:
    import trustme

    authority = trustme.CA()
    ca_file = tmp_path_factory.mktemp("push-ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return PushAuthority(authority, ca_file)


@pytest.fixture(scope="package")
def stack(
    tmp_path_factory: pytest.TempPathFactory, push_authority: PushAuthority
) -> Iterator[Runner]:
    base = tmp_path_factory.mktemp("browser-stack")
    running = start_runner(base / "data", base / "runner.log", env=push_authority.environment())
    yield running
    if running.process.poll() is None:
        running.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make test` installs it (npm ci in tests/browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: the tests may run as root (CI does), where Chromium's sandbox refuses.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@contextmanager
def phone_page(browser: Any, stack: Runner) -> Iterator[Any]:
    """A page in a browser context of its own: its own cookies, so its own person."""
    # bypass_csp: axe-core is injected as a script, which the pages' policy rightly forbids.
    context = browser.new_context(
        base_url=stack.url, viewport=PHONE, locale="en-US", bypass_csp=True
    )
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Any, stack: Runner) -> Iterator[Any]:
    with phone_page(browser, stack) as opened:
        yield opened


@pytest.fixture
def second_page(browser: Any, stack: Runner) -> Iterator[Any]:
    """Another person's phone at the same time (a discussion has two sides)."""
    with phone_page(browser, stack) as opened:
        yield opened


@pytest.fixture
def accessibility() -> Accessibility:
    return Accessibility(AXE.read_text())
