"""The playground page in a real headless Chromium, against a real uvicorn on 127.0.0.1.

Every wait is on a DOM condition (`body[data-state]` is `busy` during a run, `idle` after) or a
server-side event, never a sleep. Helpers (the browser, axe-core) are in tests/browser.py.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Literal

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Route, expect
from pydantic import SecretStr

from agents_core import AgentDefinition, register_agent, register_tool
from agents_core._defaults import PROJECT_NAME
from api import ApiSettings, create_app
from tests.api_server import serve
from tests.browser import axe_core_script, axe_violations, browser_page, launched_chromium, send

# Chromium drives the playground: one for the module, on the module's event loop (Playwright's
# objects belong to the loop that made them); each test opens its own browser context.
pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

# What a model or a tool might send back: markup that must stay text.
HOSTILE = "<img src=x onerror=__xss=1> <script>__xss=2</script> **bold** and `code`"
RUN_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def server_url() -> Iterator[str]:
    with serve(create_app(ApiSettings())) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chromium() -> AsyncIterator[Browser]:
    async with launched_chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def axe_source() -> str:
    return axe_core_script()


@pytest.fixture
def janitor() -> list[str]:
    """An agent whose one tool needs approval; returns the paths it deleted."""
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
    return deleted


@pytest.fixture
def echo_agent() -> None:
    """An agent whose tool returns what it is given: the answer repeats it too."""

    @register_tool
    def show_html(text: str) -> str:
        """Show a page's HTML."""
        return text

    register_agent(
        AgentDefinition(
            name="echo",
            description="Shows HTML",
            instructions="You show HTML.",
            tools=["show_html"],
        )
    )


async def test_a_conversation_streams_a_tool_card_and_the_answer(
    chromium: Browser, server_url: str
) -> None:
    async with browser_page(server_url, browser=chromium) as page:
        await expect(page.locator("h1")).to_have_text(PROJECT_NAME)
        await expect(page).to_have_title(PROJECT_NAME)
        await page.select_option("#agent", "assistant")
        await expect(page.locator("#agent-description")).to_contain_text(
            "answers questions and does arithmetic"
        )
        await send(page, "assistant", "What is 2 + 2?")

        await expect(page.locator(".msg.user")).to_have_text("What is 2 + 2?")
        card = page.locator(".tool")
        await expect(card).to_have_count(1)
        await expect(card.locator("summary code")).to_have_text("calculator")
        await expect(card).to_have_attribute("data-state", "done")
        await expect(card.locator(".arguments")).to_be_hidden()  # collapsed until opened
        await card.locator("summary").click()
        await expect(card.locator(".arguments")).to_have_text('{\n  "expression": "2 + 2"\n}')
        await expect(card.locator(".result")).to_contain_text('"value": 4')
        answer = page.locator(".answer")
        await expect(answer).to_have_text("2 + 2 = 4.")
        assert int(await answer.get_attribute("data-tokens") or 0) > 1  # streamed in pieces
        await expect(page.locator(".msg.assistant .who")).to_have_text("assistant")
        await expect(page.locator(".banner")).to_have_count(0)
        conversation = page.locator("#conversations li")
        await expect(conversation).to_have_count(1)
        await expect(conversation.locator(".title")).to_have_text("What is 2 + 2?")
        await expect(conversation).to_have_attribute("aria-current", "true")

        # Shift+Enter adds a line and sends nothing; Enter sends both lines, in the same session.
        await page.fill("#input", "And 3 * 5?")
        await page.press("#input", "Shift+Enter")
        await page.keyboard.type("Thanks")
        await expect(page.locator(".msg.user")).to_have_count(1)
        assert await page.input_value("#input") == "And 3 * 5?\nThanks"
        await page.press("#input", "Enter")
        await expect(page.locator("body")).to_have_attribute("data-state", "idle")
        await expect(page.locator(".msg.user").nth(1)).to_have_text("And 3 * 5?\nThanks")
        await expect(page.locator(".answer").nth(1)).to_contain_text("15")
        await expect(conversation).to_have_count(1)  # still one conversation


@pytest.mark.usefixtures("echo_agent")
async def test_markup_from_an_answer_or_a_tool_is_shown_as_text(
    chromium: Browser, server_url: str
) -> None:
    # Without the page's CSP: the page itself must never turn text into markup.
    async with browser_page(server_url, browser=chromium, bypass_csp=True) as page:
        await send(page, "echo", "show html " + HOSTILE)

        await expect(page.locator(".msg.user")).to_have_text("show html " + HOSTILE)
        card = page.locator(".tool")
        await card.locator("summary").click()
        await expect(card.locator(".result")).to_contain_text("<script>__xss=2</script>")
        answer = page.locator(".answer")
        await expect(answer).to_contain_text("<img src=x onerror=__xss=1>")
        await expect(answer).to_contain_text("<script>__xss=2</script>")
        # Markdown is rendered, as nodes: bold and code, nothing else.
        await expect(answer.locator("strong")).to_have_text("bold")
        await expect(answer.locator("code")).to_have_text("code")
        # The sidebar's title (the first message) is text too.
        await expect(page.locator("#conversations .title")).to_contain_text(
            "<img src=x onerror=__xss=1>"
        )
        assert await page.locator("img").count() == 0
        assert await page.locator("script").count() == 1  # the page's own
        assert await page.evaluate("() => window.__xss") is None


async def test_markdown_renders_as_nodes_and_links_only_to_the_web(
    chromium: Browser, server_url: str
) -> None:
    source = (
        "# Title\nSome *emphasis*, a [link](https://example.com/a) and "
        "[another](javascript:__xss=3).\n\n- one\n- two\n\n1. first\n2. second\n\n"
        "| Region | Revenue |\n| --- | ---: |\n| North | 373,041.00 |\n\n"
        "```\n<b>not bold</b>\n```\n> quoted"
    )
    async with browser_page(server_url, browser=chromium) as page:
        await page.evaluate("(source) => renderMarkdown(append(el('div')), source)", source)
        rendered = page.locator("#log > div").last
        await expect(rendered.locator("h3")).to_have_text("Title")
        await expect(rendered.locator("em")).to_have_text("emphasis")
        links = rendered.locator("a")
        await expect(links).to_have_count(1)  # javascript: stays text
        await expect(links).to_have_attribute("href", "https://example.com/a")
        await expect(links).to_have_attribute("rel", "noopener noreferrer nofollow")
        await expect(rendered).to_contain_text("another (javascript:__xss=3)")
        await expect(rendered.locator("ul li")).to_have_text(["one", "two"])
        await expect(rendered.locator("ol li")).to_have_text(["first", "second"])
        await expect(rendered.locator("th")).to_have_text(["Region", "Revenue"])
        await expect(rendered.locator("td")).to_have_text(["North", "373,041.00"])
        await expect(rendered.locator("pre code")).to_have_text("<b>not bold</b>")
        await expect(rendered.locator("blockquote")).to_have_text("quoted")
        assert await rendered.locator("b").count() == 0


async def test_the_page_is_served_with_a_strict_content_security_policy(
    chromium: Browser, server_url: str
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(server_url + "/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)", policy)
    assert "unsafe" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    async with browser_page(server_url, browser=chromium) as page:
        # A script that slipped into the page would not run: only the page's own hash may.
        await page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.__injected = 1";
                document.body.append(script);
            }"""
        )
        await expect(page.locator("body")).to_have_attribute("data-state", "idle")
        assert await page.evaluate("() => window.__injected") is None


async def test_approve_one_call_and_reject_another_with_a_reason(
    chromium: Browser, server_url: str, janitor: list[str]
) -> None:
    async with browser_page(server_url, browser=chromium) as page:
        await send(page, "janitor", "delete file /srv/a")
        pending = page.locator(".approval")
        await expect(pending).to_have_count(1)
        await expect(pending).to_contain_text("janitor wants to run delete_file")
        await expect(pending.locator(".arguments")).to_have_text(
            '{\n  "path": "delete file /srv/a"\n}'
        )
        await expect(page.locator(".answer")).to_have_count(0)
        await expect(page.locator(".tool .status")).to_have_text("waiting for approval")
        assert janitor == []

        await pending.locator("button.approve").click()
        await expect(page.locator("body")).to_have_attribute("data-state", "idle")
        await expect(page.locator(".answer")).to_have_text(
            "The delete file tool returned: deleted delete file /srv/a."
        )
        await expect(pending.locator(".decision")).to_have_text("Approved")
        await expect(page.locator(".tool .status")).to_have_text("approved")
        await expect(pending.locator("button.approve")).to_be_disabled()
        assert janitor == ["delete file /srv/a"]

        # The conversation goes on in the same session; this time the call is rejected.
        await send(page, "janitor", "delete file /srv/b")
        second = page.locator(".approval").nth(1)
        await second.locator("input.reason").fill("keep b")
        await second.locator("button.reject").click()
        await expect(page.locator("body")).to_have_attribute("data-state", "idle")
        await expect(page.locator(".answer").nth(1)).to_have_text(
            "I did not run the delete file tool: the call was not approved (reason: keep b)."
        )
        await expect(second.locator(".decision")).to_have_text("Rejected")
        assert janitor == ["delete file /srv/a"]
        # A second click cannot replay the decision: the buttons are disabled.
        await expect(second.locator("button.reject")).to_be_disabled()
        await expect(page.locator("#conversations li")).to_have_count(1)


async def test_errors_show_as_banners_with_their_code_and_run_id(chromium: Browser) -> None:
    with serve(create_app(ApiSettings(max_input_chars=200))) as url:
        async with browser_page(url, browser=chromium) as page:
            await send(page, "assistant", "my key is sk-abcdefghijklmnopqrstuvwx")
            banner = page.locator(".banner")
            await expect(banner).to_have_count(1)
            await expect(banner).to_contain_text("no_secrets")
            await expect(banner).to_have_attribute("data-code", "GuardrailTripped")
            assert RUN_ID.match(await banner.locator(".run-id").inner_text())
            await expect(page.locator(".answer")).to_have_count(0)
            await expect(page.locator("#send")).to_be_visible()

            # Refused before the run starts (HTTP 413): the banner says why and the limit.
            await send(page, "assistant", "x" * 201)
            await expect(banner).to_have_count(1)  # the previous one is cleared
            await expect(banner).to_have_attribute("data-code", "input_too_large")
            await expect(banner).to_contain_text("the limit is 200")
            await banner.locator("button").click()
            await expect(banner).to_have_count(0)


async def test_a_conversation_resumes_from_the_sidebar_and_can_be_deleted(
    chromium: Browser, server_url: str
) -> None:
    async with browser_page(server_url, browser=chromium) as page:
        await send(page, "assistant", "What is 2 + 2?")
        await page.click("#new-chat")
        await expect(page.locator(".msg")).to_have_count(0)
        await send(page, "assistant", "What is 6 * 7?")
        await expect(page.locator("#conversations li")).to_have_count(2)

        await page.reload()  # a new visit: nothing but the server's sessions
        first = page.locator("#conversations li", has_text="What is 2 + 2?")
        await first.locator(".open").click()
        await expect(page.locator(".msg.user")).to_have_text(["What is 2 + 2?"])
        await expect(page.locator(".tool summary code")).to_have_text("calculator")
        await expect(page.locator(".tool .result")).to_contain_text("4")
        await expect(page.locator(".answer")).to_have_text("2 + 2 = 4.")
        await expect(first).to_have_attribute("aria-current", "true")

        await send(page, "assistant", "And 10 - 3?")  # continues that conversation
        await expect(page.locator(".answer").nth(1)).to_contain_text("7")
        await expect(page.locator("#conversations li")).to_have_count(2)
        await expect(page.locator("#conversations li").first).to_contain_text("What is 2 + 2?")

        # Deleting takes two clicks (the first asks); the open conversation then closes.
        delete = first.locator(".delete")
        await delete.click()
        await expect(delete).to_have_text("Delete?")
        await delete.click()
        await expect(page.locator("#conversations li")).to_have_count(1)
        await expect(page.locator("#conversations li")).to_contain_text("What is 6 * 7?")
        await expect(page.locator(".msg")).to_have_count(0)


async def test_stop_cancels_the_run_on_the_server(chromium: Browser, server_url: str) -> None:
    started, cancelled = threading.Event(), threading.Event()

    @register_tool
    async def wait_forever(reason: str) -> str:
        """Wait for ever."""
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return reason

    register_agent(
        AgentDefinition(
            name="waiter",
            description="Waits",
            instructions="You wait.",
            tools=["wait_forever"],
        )
    )
    async with browser_page(server_url, browser=chromium) as page:
        await page.select_option("#agent", "waiter")
        await page.fill("#input", "wait forever please")
        await page.press("#input", "Enter")
        await expect(page.locator(".tool")).to_have_attribute("data-state", "running")
        assert await asyncio.to_thread(started.wait, 10)
        await page.click("#stop")
        await expect(page.locator("body")).to_have_attribute("data-state", "idle")
        await expect(page.locator(".note")).to_have_text("Stopped.")
        assert await asyncio.to_thread(cancelled.wait, 10)  # the server cancelled the run


async def test_sign_in_with_a_key_kept_for_the_tab(chromium: Browser) -> None:
    with serve(create_app(ApiSettings(api_key=SecretStr("s3cret")))) as url:
        async with browser_page(url, browser=chromium) as page:
            dialog = page.locator("#sign-in")
            await expect(dialog).to_be_visible()  # the server answered 401
            await page.fill("#credential", "wrong")
            await page.press("#credential", "Enter")
            await expect(page.locator("#sign-in-error")).to_contain_text("401")
            await page.fill("#credential", "s3cret")
            await page.press("#credential", "Enter")
            await expect(dialog).to_be_hidden()
            await expect(page.locator("#account")).to_have_text("Sign out")
            await expect(page.locator("#who")).to_contain_text("You: ")
            await expect(page.locator("#who")).not_to_contain_text("not signed in")
            await send(page, "assistant", "What is 2 + 2?")
            await expect(page.locator(".answer")).to_contain_text("4")

            await page.reload()  # sessionStorage: still signed in in this tab
            await expect(page.locator("#conversations li")).to_have_count(1)
            await expect(dialog).to_be_hidden()
            await page.click("#account")  # sign out
            await expect(dialog).to_be_visible()
            assert await page.evaluate("() => sessionStorage.length") == 0


async def test_who_you_are_without_authentication(chromium: Browser, server_url: str) -> None:
    async with browser_page(server_url, browser=chromium) as page:
        await expect(page.locator("#who")).to_have_text("You: local")
        await expect(page.locator("#account")).to_have_text("Sign in")


async def test_the_page_works_375_pixels_wide(chromium: Browser, server_url: str) -> None:
    async with browser_page(server_url, browser=chromium, width=375, height=740) as page:
        await expect(page.locator("#sidebar")).to_be_hidden()
        await send(page, "assistant", "What is 2 + 2?")
        await expect(page.locator(".answer")).to_have_text("2 + 2 = 4.")
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways: {width} px"
        await page.click("#menu")
        await expect(page.locator("#sidebar")).to_be_visible()
        await expect(page.locator("#menu")).to_have_attribute("aria-expanded", "true")
        await expect(page.locator("#conversations li")).to_have_count(1)
        await page.keyboard.press("Escape")
        await expect(page.locator("#sidebar")).to_be_hidden()


async def test_axe_finds_no_serious_accessibility_violations(
    chromium: Browser, server_url: str, axe_source: str, janitor: list[str]
) -> None:
    async with browser_page(server_url, browser=chromium, bypass_csp=True) as page:
        await expect(page.locator('#agent option[value="janitor"]')).to_be_attached()
        assert await axe_violations(page, axe_source) == []  # the empty page
        # A tool card (open), an approval waiting, and an error banner.
        await send(page, "assistant", "What is 12 * (3 + 4)?")
        await page.locator(".tool summary").first.click()
        await send(page, "janitor", "delete file /tmp/report.csv")
        await send(page, "assistant", "my key is sk-abcdefghijklmnopqrstuvwx")
        await expect(page.locator(".approval")).to_have_count(1)
        await expect(page.locator(".banner")).to_have_count(1)
        schemes: list[tuple[int, Literal["light", "dark"]]] = [
            (1280, "light"),
            (1280, "dark"),
            (375, "light"),
            (375, "dark"),
        ]
        for width, scheme in schemes:
            await page.set_viewport_size({"width": width, "height": 800})
            await page.emulate_media(color_scheme=scheme)
            assert await axe_violations(page, axe_source) == [], (width, scheme)
        await page.click("#menu")  # the sidebar over the page, 375 px wide
        await expect(page.locator("#sidebar")).to_be_visible()
        assert await axe_violations(page, axe_source) == []
        await page.evaluate("() => askToSignIn()")
        await expect(page.locator("#sign-in")).to_be_visible()
        assert await axe_violations(page, axe_source) == []


async def test_docs_and_redoc_render_offline(chromium: Browser, server_url: str) -> None:
    # Every request to another host fails, as it would on a machine without internet.
    outside: list[tuple[str, str]] = []

    async def offline(route: Route) -> None:
        if route.request.url.startswith(server_url):
            await route.continue_()
        else:
            outside.append((route.request.resource_type, route.request.url))
            await route.abort()

    async with browser_page(server_url, browser=chromium) as page:
        await page.route("**/*", offline)
        await page.goto(server_url + "/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text("API")
        await expect(page.locator(".opblock-summary-path").first).to_be_visible()
        await page.goto(server_url + "/redoc")
        await expect(page.locator(".api-content h1").first).to_contain_text("API")
    # ReDoc's sidebar links Redocly's logo from its CDN: an image, nothing the pages need.
    assert [url for kind, url in outside if kind != "image"] == []
