"""The playground page in a real headless Chromium, against a real uvicorn on 127.0.0.1.

The browser is Debian's `chromium` (or any Chromium-based binary in CHROMIUM_PATH), driven by
Playwright's Python package; Playwright never downloads a browser here. Without a browser these
tests skip with an install hint, and fail under CI=true. Every wait is on a DOM condition.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Page, Route, async_playwright, expect
from pydantic import SecretStr

from agents_core import AgentDefinition, register_agent, register_tool
from api import ApiSettings, create_app
from tests.api_server import serve

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
    what = f"CHROMIUM_PATH={configured!r} is not a file" if configured else "no chromium on PATH"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true but the browser tests cannot run: {what} ({how}).", pytrace=False)
    pytest.skip(f"browser tests need Chromium: {what} ({how})")


@pytest.fixture
def server_url() -> Iterator[str]:
    with serve(create_app(ApiSettings())) as url:
        yield url


@asynccontextmanager
async def browser_page(url: str) -> AsyncIterator[Page]:
    """A fresh page on `url` (the playground), in a headless Chromium closed afterwards."""
    executable = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(url + "/")
            yield page
            assert not errors, f"the page raised JavaScript errors: {errors}"
        finally:
            await browser.close()


async def send(page: Page, agent: str, text: str) -> None:
    """Pick `agent`, type `text`, press Send, and wait until the run has finished."""
    await page.locator(f'#agent option[value="{agent}"]').wait_for(state="attached")
    if await page.input_value("#agent") != agent:  # choosing an agent starts a new session
        await page.select_option("#agent", agent)
    await page.fill("#input", text)
    await page.click("#send")
    await expect(page.locator("body")).to_have_attribute("data-state", "idle")


async def test_a_chat_streams_tokens_tool_calls_and_the_answer(server_url: str) -> None:
    async with browser_page(server_url) as page:
        await send(page, "assistant", "What is 2 + 2?")

        await expect(page.locator(".you")).to_have_text("you › What is 2 + 2?")
        await expect(page.locator(".step", has_text="⚙ calculator(")).to_have_count(1)
        await expect(page.locator(".step", has_text="↳")).to_have_count(1)
        answer = page.locator(".answer")
        await expect(answer).to_have_count(1)
        await expect(answer).to_contain_text("4")
        # The answer arrived as token deltas, not in one piece.
        tokens = int(await answer.get_attribute("data-tokens") or 0)
        assert tokens > 1
        await expect(page.locator("#session")).to_contain_text("session ")
        assert await page.locator(".error").count() == 0

        # A second message continues the same session on the same WebSocket.
        session = await page.locator("#session").text_content()
        await send(page, "assistant", "And 3 * 5?")
        await expect(page.locator(".answer")).to_have_count(2)
        await expect(page.locator(".answer").nth(1)).to_contain_text("15")
        assert await page.locator("#session").text_content() == session


async def test_a_refused_message_shows_the_guardrail_error(server_url: str) -> None:
    async with browser_page(server_url) as page:
        await send(page, "assistant", "my key is sk-abcdefghijklmnopqrstuvwx")

        error = page.locator(".error")
        await expect(error).to_have_count(1)
        await expect(error).to_contain_text("no_secrets")
        await expect(page.locator(".answer")).to_have_count(0)
        await expect(page.locator("#send")).to_be_enabled()


async def test_a_tool_call_waits_for_approve_or_reject_in_the_page(server_url: str) -> None:
    deleted: list[str] = []

    @register_tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file."""
        deleted.append(path)
        return f"deleted {path}"

    register_agent(
        AgentDefinition(
            name="janitor",
            description="Deletes files",
            instructions="You delete files.",
            tools=["delete_file"],
        )
    )
    async with browser_page(server_url) as page:
        await send(page, "janitor", "delete file /srv/a")
        pending = page.locator(".approval")
        await expect(pending).to_have_count(1)
        await expect(pending).to_contain_text('delete_file({"path": "delete file /srv/a"})')
        await expect(page.locator(".answer")).to_have_count(0)
        assert deleted == []

        await pending.locator("button.approve").click()
        await expect(page.locator("body")).to_have_attribute("data-state", "idle")
        await expect(page.locator(".answer")).to_have_text(
            "The delete file tool returned: deleted delete file /srv/a."
        )
        await expect(pending.locator("button.approve")).to_be_disabled()
        assert deleted == ["delete file /srv/a"]

        # The conversation goes on in the same session; this time the call is rejected.
        await send(page, "janitor", "delete file /srv/b")
        second = page.locator(".approval").nth(1)
        await second.locator("input.reason").fill("keep b")
        await second.locator("button.reject").click()
        await expect(page.locator("body")).to_have_attribute("data-state", "idle")
        await expect(page.locator(".answer").nth(1)).to_have_text(
            "I did not run the delete file tool: the call was not approved (reason: keep b)."
        )
        assert deleted == ["delete file /srv/a"]
        # A second click cannot replay the decision: the buttons are disabled.
        await expect(second.locator("button.reject")).to_be_disabled()


async def test_the_page_asks_for_the_api_key_when_one_is_set() -> None:
    with serve(create_app(ApiSettings(api_key=SecretStr("s3cret")))) as url:
        async with browser_page(url) as page:
            await expect(page.locator(".error")).to_contain_text("HTTP 401")
            await page.fill("#key", "s3cret")
            await page.press("#key", "Enter")  # `change` reloads the agents with the key
            await send(page, "assistant", "What is 2 + 2?")
            await expect(page.locator(".answer")).to_contain_text("4")


async def test_docs_and_redoc_render_offline(server_url: str) -> None:
    # Every request to another host fails, as it would on a machine without internet.
    outside: list[tuple[str, str]] = []

    async def offline(route: Route) -> None:
        if route.request.url.startswith(server_url):
            await route.continue_()
        else:
            outside.append((route.request.resource_type, route.request.url))
            await route.abort()

    async with browser_page(server_url) as page:
        await page.route("**/*", offline)
        await page.goto(server_url + "/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text("API")
        await expect(page.locator(".opblock-summary-path").first).to_be_visible()
        await page.goto(server_url + "/redoc")
        await expect(page.locator(".api-content h1").first).to_contain_text("API")
    # ReDoc's sidebar links Redocly's logo from its CDN: an image, nothing the pages need.
    assert [url for kind, url in outside if kind != "image"] == []
