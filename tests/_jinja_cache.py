"""Jinja compiles each distinct template source once per test process, not once per render.

copier renders every part of every path of the template through `Environment.from_string` (and
the answers file's path once per file), so one render compiles ~2,600 small templates: measured,
about 80 % of a render's CPU. The render matrix renders the same sources 150-odd times a session.

`compiles_cached()` keeps the code object Jinja's compiler returns, keyed by the source, its name
and file name, and every setting of the environment that the lexer, parser and code generator
read. That is Jinja's own model (its bytecode cache reuses a compiled template in any environment
loading the same source); what copier renders is unchanged, as `test_render.py`'s comparison
of the matrix's renders with a render from git HEAD and cookiecutter's checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import jinja2

_COMPILED: dict[tuple[object, ...], Any] = {}
_ORIGINAL: Callable[..., Any] = jinja2.Environment.compile


def _settings(env: jinja2.Environment) -> tuple[object, ...]:
    """What the lexer, parser and code generator read from `env`."""
    return (
        type(env),
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        tuple(env.extensions),
        env.optimized,
        env.autoescape,
        env.finalize,
        env.is_async,
        tuple(env.filters),  # an unknown filter or test fails at compile time
        tuple(env.tests),
    )


def _compile(
    self: jinja2.Environment,
    source: Any,
    name: str | None = None,
    filename: str | None = None,
    raw: bool = False,
    defer_init: bool = False,
) -> Any:
    if not isinstance(source, str):  # an already parsed template (nodes.Template)
        return _ORIGINAL(self, source, name, filename, raw, defer_init)
    key = (source, name, filename, raw, defer_init, _settings(self))
    compiled = _COMPILED.get(key)
    if compiled is None:  # a template that does not compile raises each time
        compiled = _COMPILED[key] = _ORIGINAL(self, source, name, filename, raw, defer_init)
    return compiled


@contextmanager
def compiles_cached() -> Iterator[None]:
    """Within the block, Jinja reuses the code of a source it compiled before (any render)."""
    if jinja2.Environment.compile is _compile:  # nested
        yield
        return
    jinja2.Environment.compile = _compile  # type: ignore[method-assign]
    try:
        yield
    finally:
        jinja2.Environment.compile = _ORIGINAL  # type: ignore[method-assign]
