"""The HTTP service: run, stream and manage agents over FastAPI.

`create_app()` builds the application; `uvicorn api:create_app --factory` serves it.
"""

from api.app import create_app
from api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
