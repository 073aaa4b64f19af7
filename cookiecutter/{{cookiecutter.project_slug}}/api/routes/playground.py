"""The playground: one static page at `/` to chat with the agents (no build step, no CDN).

The page's one inline script and one inline style are allowed by their hashes in a strict
Content-Security-Policy: nothing else runs, whatever text a model or a tool sends.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from agents_core._defaults import PROJECT_NAME

router = APIRouter(tags=["playground"])

_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@cache
def _page() -> tuple[str, dict[str, str]]:
    """The page with the project's name, and its security headers."""
    page = files("api").joinpath("playground.html").read_text(encoding="utf-8")
    page = page.replace("__PROJECT_NAME__", html.escape(PROJECT_NAME))
    sources: dict[str, list[str]] = {"script": [], "style": []}
    for tag, source in _INLINE.findall(page):
        sources[tag].append(_hash(source))
    policy = "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(sources["script"]),
            "style-src " + " ".join(sources["style"]),
            "connect-src 'self'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return page, headers


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def playground() -> HTMLResponse:
    """The page asks for the API key itself, so it is served without one."""
    page, headers = _page()
    return HTMLResponse(page, headers=headers)
