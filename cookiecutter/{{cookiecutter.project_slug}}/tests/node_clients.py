"""Clients nobody here wrote, from npm: installed once into a cache directory, run with Node.

`npm_packages("openai@5", "@a2a-js/sdk@0")` installs the packages (once per set of specs, into
`~/.cache/agents-core-tests/npm/<specs>`) and returns that directory; `run_node(script, ...)`
runs an ES module there (so its `import`s resolve) and returns its stdout parsed as JSON. Without
Node or npm the tests skip with an install hint, and fail under CI=true.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import pytest


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(what: str, how: str) -> NoReturn:
    """Skip (fail under CI=true) because `what` is not on this machine; `how` installs it."""
    if _in_ci():
        pytest.fail(f"CI=true but this test cannot run: {what} ({how}).", pytrace=False)
    pytest.skip(f"this test needs {what} ({how})")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing(name, "install Node.js with npm (Debian: `sudo apt-get install nodejs npm`)")
    return found


def npm_packages(*specs: str) -> Path:
    """A directory whose `node_modules` holds `specs` (npm install specs, e.g. `openai@5`)."""
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256("\n".join(sorted(specs)).encode()).hexdigest()[:16]
    target = cache_home / "agents-core-tests" / "npm" / key
    marker = target / "installed.json"
    if marker.is_file():
        return target
    npm = _tool("npm")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Installed beside the target, then renamed: parallel test runs never see half of it.
    staging = Path(tempfile.mkdtemp(prefix="npm-", dir=target.parent))
    try:
        (staging / "package.json").write_text('{"private": true, "type": "module"}\n')
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(staging), *specs],
            check=True,
            capture_output=True,
            timeout=600,
        )
        (staging / "installed.json").write_text(json.dumps(sorted(specs)))
        staging.rename(target)
    except OSError:
        if not marker.is_file():  # not another run's install that won the race
            raise
    except subprocess.CalledProcessError as error:
        raise AssertionError(f"npm install {' '.join(specs)} failed: {error.stderr!r}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def run_node(
    script: str,
    *,
    packages: tuple[str, ...],
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Any:
    """Run `script` (an ES module) with `packages` importable; its stdout parsed as JSON.

    The script prints one JSON document; a non-zero exit fails the test with its stderr.
    """
    node = _tool("node")
    directory = npm_packages(*packages)
    with tempfile.NamedTemporaryFile(
        "w", suffix=".mjs", dir=directory, delete=False, encoding="utf-8"
    ) as file:
        file.write(script)
    try:
        done = subprocess.run(
            [node, file.name],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            cwd=directory,
        )
    finally:
        os.unlink(file.name)
    if done.returncode != 0:
        raise AssertionError(f"node exited {done.returncode}: {done.stderr[-4000:]}")
    return json.loads(done.stdout)
