"""The playground: one static page at `/` to chat with the agents (no build step, no CDN)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["playground"])


@cache
def _page() -> str:
    return files("api").joinpath("playground.html").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def playground() -> HTMLResponse:
    """The page asks for the API key itself, so it is served without one."""
    return HTMLResponse(_page())
