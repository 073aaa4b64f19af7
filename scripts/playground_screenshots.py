"""Screenshots of the playground for the docs: 1280 and 375 px wide, light and dark.

    uv run python scripts/playground_screenshots.py [OUT_DIR]    # default: docs/img

Renders a default project (git HEAD, uncommitted changes included), syncs its environment, and
runs this file again inside it (`--drive`): a real uvicorn on 127.0.0.1 with the offline model,
a headless Chromium (CHROMIUM_PATH, as the project's browser tests), a short conversation with a
tool call and an approval waiting, then one PNG per width and color scheme. Not part of the test
run: run it when the page changes, look at the images, and commit them.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SIZES = ((1280, 800), (375, 760))
SCHEMES = ("light", "dark")


def render(project: Path) -> None:
    import copier  # the template repo's dev environment has it

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Dirty template changes included")
        copier.run_copy(
            str(REPO_ROOT), str(project), defaults=True, vcs_ref="HEAD", unsafe=False, quiet=True
        )


async def drive(out: Path) -> None:
    """Inside the rendered project: serve it, chat, and take the screenshots into `out`."""
    sys.path.insert(0, os.getcwd())
    from agents_core import AgentDefinition, register_agent, register_tool
    from api import ApiSettings, create_app
    from playwright.async_api import expect
    from tests.api_server import serve
    from tests.browser import browser_page, send

    @register_tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file."""
        return f"deleted {path}"

    register_agent(
        AgentDefinition(
            name="file_manager",
            description="Manages the server's files; deleting one needs your approval",
            instructions="You manage files.",
            tools=["delete_file"],
        )
    )
    out.mkdir(parents=True, exist_ok=True)
    with serve(create_app(ApiSettings())) as url:
        async with browser_page(url) as page:
            await send(page, "assistant", "What is 2 to the power of 10?")
            await page.click("#new-chat")
            await send(page, "data_analyst", "Which region had the highest revenue?")
            await page.click("#new-chat")
            await send(page, "assistant", "What is 12 * (3 + 4)?")
            await page.locator(".tool summary").first.click()
            await send(page, "file_manager", "delete file /tmp/report.csv")
            await expect(page.locator(".approval")).to_have_count(1)
            await page.fill("#input", "And the lowest region?")
            for width, height in SIZES:
                for scheme in SCHEMES:
                    await page.set_viewport_size({"width": width, "height": height})
                    await page.emulate_media(color_scheme=scheme)
                    await page.evaluate("() => scrollDown()")
                    path = out / f"playground-{width}-{scheme}.png"
                    await page.screenshot(path=path)
                    print(f"wrote {path}")


def main() -> None:
    if sys.argv[1:2] == ["--drive"]:
        asyncio.run(drive(Path(sys.argv[2])))
        return
    out = Path(sys.argv[1] if len(sys.argv) > 1 else REPO_ROOT / "docs" / "img").resolve()
    with tempfile.TemporaryDirectory(prefix="playground-shots-") as temp:
        project = Path(temp) / "my-agents"
        render(project)
        env = {**os.environ, "DATA_DIR": str(Path(temp) / "data"), "OPENAI_API_KEY": ""}
        env.pop("VIRTUAL_ENV", None)
        subprocess.run(["uv", "sync", "-q"], cwd=project, env=env, check=True)
        command = ["uv", "run", "python", str(Path(__file__).resolve()), "--drive", str(out)]
        subprocess.run(command, cwd=project, env=env, check=True)


if __name__ == "__main__":
    main()
