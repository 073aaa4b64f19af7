"""What the model server said about each model call, for its span: the requested model, the
model that answered, the response id, and the fault that failed it.

The SDK's span data holds the response's model and id only on some paths (the Responses API,
with sensitive data on) and never the fault's name. `agents_core.llm`'s model classes note them
here by the SDK span's id; `OpenTelemetryProcessor` takes them when the span ends, so both
`OPENAI_API` modes make the same spans.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

_KEPT = 1024  # spans whose processor never asks (no OpenTelemetry) must not pile up


@dataclass
class ModelCallNote:
    request_model: str | None = None
    response_model: str | None = None
    response_id: str | None = None
    fault: str | None = None
    """The fault's code (`model_interrupted`...) when the call failed."""


_notes: OrderedDict[str, ModelCallNote] = OrderedDict()
_lock = threading.Lock()


def note_model_call(span_id: str | None, **values: str | None) -> None:
    """Add what is known of the call of SDK span `span_id` (None: no span, nothing to do)."""
    if not span_id:
        return
    with _lock:
        note = _notes.get(span_id)
        if note is None:
            note = _notes[span_id] = ModelCallNote()
            while len(_notes) > _KEPT:
                _notes.popitem(last=False)
        for key, value in values.items():
            if value:
                setattr(note, key, value)


def take_model_call(span_id: str) -> ModelCallNote | None:
    """The note of a span that ended (removed)."""
    with _lock:
        return _notes.pop(span_id, None)
