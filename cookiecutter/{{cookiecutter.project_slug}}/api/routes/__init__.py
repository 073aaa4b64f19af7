"""One router per resource, included by `api.app.create_app`."""
