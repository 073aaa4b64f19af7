"""The playground in Chromium on a real model server (llmock): what a model sends stays text,
and a model fault shows as a banner with its code and run id."""

from __future__ import annotations

import re

import pytest
from llmock.scenarios import Fail, Reply, ToolCall
from playwright.async_api import expect

from agents_core import AgentDefinition, register_agent, register_tool
from api import ApiSettings, create_app
from tests.api_server import serve
from tests.browser import browser_page, send
from tests.models.conftest import ModelServer

# slow: Chromium drives the playground
pytestmark = [pytest.mark.slow, pytest.mark.allow_model_calls]

HOSTILE = "<img src=x onerror=__xss=1><script>__xss=2</script>"


async def test_html_from_the_model_and_a_tool_is_text_and_markdown_renders(
    model_server: ModelServer,
) -> None:
    @register_tool
    def fetch_page(url: str) -> str:
        """Fetch a web page."""
        return f"<html>{HOSTILE}</html>"

    register_agent(
        AgentDefinition(
            name="browser",
            description="Reads pages",
            instructions="You read pages.",
            tools=["fetch_page"],
        )
    )
    model_server.script(
        Reply(tool_calls=(ToolCall("fetch_page", {"url": "https://example.com"}),)),
        Reply(text=f"The page:\n\n| tag | text |\n| --- | --- |\n| img | {HOSTILE} |\n\n**Done**"),
    )
    # Without the page's CSP: the page itself must never turn text into markup.
    with serve(create_app(ApiSettings()), lifespan="on") as url:
        async with browser_page(url, bypass_csp=True) as page:
            await send(page, "browser", "What does example.com hold?")
            card = page.locator(".tool")
            await card.locator("summary").click()
            await expect(card.locator(".result")).to_have_text(f"<html>{HOSTILE}</html>")
            answer = page.locator(".answer")
            await expect(answer.locator("td").nth(1)).to_have_text(HOSTILE)
            await expect(answer.locator("strong")).to_have_text("Done")
            assert await page.locator("#log img, #log script").count() == 0
            assert await page.evaluate("() => window.__xss") is None


async def test_a_model_fault_shows_as_a_banner(model_server: ModelServer) -> None:
    model_server.configure(MODEL_MAX_RETRIES="0")
    model_server.script(Fail(500, times=None))
    with serve(create_app(ApiSettings()), lifespan="on") as url:
        async with browser_page(url) as page:
            await send(page, "assistant", "What is 6 * 7?")
            banner = page.locator(".banner")
            await expect(banner).to_have_attribute("data-code", "model_upstream_error")
            assert re.fullmatch(r"[0-9a-f]{32}", await banner.locator(".run-id").inner_text())
            await expect(page.locator(".answer")).to_have_count(0)
