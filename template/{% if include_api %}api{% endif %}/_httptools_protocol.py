"""uvicorn's httptools protocol with the read deadlines (`api.serving`).

Its own module: importing it needs httptools, which uvicorn installs with `uvicorn[standard]`
only; `api.serving.http_protocol` names it when httptools is there.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.serving import ReadDeadlines


class BoundedHttpToolsProtocol(ReadDeadlines, HttpToolsProtocol):
    """uvicorn's httptools protocol with the read deadlines."""
