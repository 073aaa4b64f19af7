"""A headless Chromium for the playground's tests, driven by Playwright, and axe-core to audit it.

The browser is Debian's `chromium` (or any Chromium-based binary in CHROMIUM_PATH); Playwright
never downloads one. axe-core (the npm package) is installed by npm into a cache directory the
first time it is needed. Without them the tests skip with an install hint, and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal, NoReturn

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

# Flags for a headless browser in a container (no sandbox, GPU or background updates).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TIMEOUT_MS = 15_000
AXE_CORE = "axe-core@4"
"""The npm package the accessibility audit injects into the page."""


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing(what: str, how: str) -> NoReturn:
    if _in_ci():
        pytest.fail(f"CI=true but the browser tests cannot run: {what} ({how}).", pytrace=False)
    pytest.skip(f"browser tests need {what} ({how})")


def chromium_path() -> str:
    """CHROMIUM_PATH, else `chromium` / `chromium-browser` on PATH; fails under CI=true if none."""
    configured = os.environ.get("CHROMIUM_PATH", "")
    found = configured or shutil.which("chromium") or shutil.which("chromium-browser")
    if found and (shutil.which(found) or os.path.isfile(found)):
        return found
    how = (
        "install Debian's package (`sudo apt-get install chromium`) or point CHROMIUM_PATH at a "
        "Chromium binary; see docs/api.md"
    )
    _missing(f"CHROMIUM_PATH={configured!r} is not a file" if configured else "Chromium", how)


def axe_core_script() -> str:
    """axe-core's `axe.min.js`: AXE_CORE_JS if set, else `npm install`ed once into a cache dir."""
    configured = os.environ.get("AXE_CORE_JS")
    if configured:
        return Path(configured).read_text(encoding="utf-8")
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = cache_home / "agents-core-tests" / AXE_CORE
    script = target / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            _missing("npm (for the axe-core package)", "install Node.js with npm, or AXE_CORE_JS")
        target.parent.mkdir(parents=True, exist_ok=True)
        # Installed beside the target, then renamed: parallel test runs never see half of it.
        staging = Path(tempfile.mkdtemp(prefix="axe-core-", dir=target.parent))
        try:
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--prefix", str(staging), AXE_CORE],
                check=True,
                capture_output=True,
                timeout=300,
            )
            staging.rename(target)
        except OSError:
            if not script.is_file():  # not another run's install that won the race
                raise
        except subprocess.CalledProcessError as error:
            raise AssertionError(f"npm install {AXE_CORE} failed: {error.stderr!r}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return script.read_text(encoding="utf-8")


async def axe_violations(page: Page, source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A/AA)."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(content=source)
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
              .filter((v) => v.impact === "serious" || v.impact === "critical")
              .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" "))}));
        }"""
    )
    return found


@asynccontextmanager
async def launched_chromium() -> AsyncIterator[Browser]:
    """A headless Chromium (and Playwright's driver), closed when the block ends.

    A test module shares one (a launch costs ~0.5 s of two processes starting): each test opens
    its pages in a context of its own (`browser_page`), as isolated as a fresh browser profile.
    """
    executable = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def browser_page(
    url: str,
    *,
    browser: Browser | None = None,
    width: int = 1280,
    height: int = 800,
    color_scheme: Literal["light", "dark"] = "light",
    bypass_csp: bool = False,
) -> AsyncIterator[Page]:
    """A fresh page on `url` (the playground) in a new browser context, closed afterwards.

    The context (its own cookies, storage and cache) is opened in `browser`, or in a Chromium
    launched for this page alone. `bypass_csp` turns the page's Content-Security-Policy off: to
    inject axe-core, and to test that the page itself never turns text into markup (not only
    that the policy would stop it).
    """
    if browser is None:
        async with (
            launched_chromium() as own,
            browser_page(
                url,
                browser=own,
                width=width,
                height=height,
                color_scheme=color_scheme,
                bypass_csp=bypass_csp,
            ) as page,
        ):
            yield page
        return
    context = await browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme=color_scheme,
        bypass_csp=bypass_csp,
    )
    try:
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(url + "/")
        yield page
        assert not errors, f"the page raised JavaScript errors: {errors}"
    finally:
        await context.close()


async def send(page: Page, agent: str, text: str) -> None:
    """Pick `agent`, type `text`, press Enter, and wait until the run has finished."""
    await page.locator(f'#agent option[value="{agent}"]').wait_for(state="attached")
    if await page.input_value("#agent") != agent:
        await page.select_option("#agent", agent)
    await page.fill("#input", text)
    await page.press("#input", "Enter")
    await expect(page.locator("body")).to_have_attribute("data-state", "idle")
