"""The HTTP service: run, stream and manage agents over FastAPI.

`create_app()` builds the application; `uvicorn api:create_app --factory` serves it.
"""

from api import _a2a_sdk_tracing  # noqa: F401  (first: before any a2a-sdk import)
from api.app import create_app
from api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
