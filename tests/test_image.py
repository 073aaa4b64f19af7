"""What the image would run, run here: no Docker engine exists on these machines.

For the default answers and for Redis sessions: render, `uv lock` (as the README tells a user),
copy the build context as `.dockerignore` leaves it, run the builder stage's `uv` commands read from
the Dockerfile (`uv sync --frozen --no-dev ...`, with the stage's ENV), then start the final
stage's exact CMD with its ENV plus compose.yaml's environment of the `api` service, against the
real Redis on 127.0.0.1. Checks /health, one POST /runs, the session it wrote, the HEALTHCHECK
command itself, and that SIGTERM stops the server cleanly.

Only what cannot exist here is mapped, and nothing else: the image's paths (WORKDIR, DATA_DIR,
HOME) to temp dirs, compose's service host names to the test servers, and PORT to a free port.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests._dockerfile import Stage, dockerignore_patterns, ignored, parse
from tests._render import Renderer
from tests._tools import isolated_env, run, uv_executable

COMBOS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "redis": {"session_backend": "redis"},
}
SERVER_URL_VARS = {"redis": "AGENTS_TEST_REDIS_URL", "postgres": "AGENTS_TEST_POSTGRES_URL"}
SERVICE_SCHEMES = {"redis": "redis", "postgres": "postgresql"}


def _server_url(backend: str) -> str:
    """The test server for `backend`: under CI=true a missing one fails, never skips."""
    var = SERVER_URL_VARS[backend]
    url = os.environ.get(var, "")
    if url:
        return url
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true but {var} is not set (.ci/services.sh starts it)", pytrace=False)
    pytest.skip(f"needs a {backend} server: set {var}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `$$` (with no `.env`: defaults apply)."""

    def replace(match: re.Match[str]) -> str:
        if match.group() == "$$":
            return "$"
        return variables.get(match.group(1)) or (match.group(2) or "")

    return _INTERPOLATION.sub(replace, value)


def compose_environment(compose: Path, service: str) -> dict[str, str]:
    data = yaml.safe_load(compose.read_text("utf-8"))  # resolves the `<<:` merges
    environment = data["services"][service].get("environment") or {}
    assert isinstance(environment, dict), "write compose environments as mappings"
    return {str(k): interpolate(str(v), {}) for k, v in environment.items()}


def _map_path(value: str, paths: Mapping[str, Path]) -> str:
    for image_path, here in paths.items():
        value = re.sub(rf"(?<![\w/]){re.escape(image_path)}(?=/|:|$)", str(here), value)
    return value


def _get(url: str, timeout: float = 5, key: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=_auth(key))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _auth(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _post(
    url: str, body: dict[str, Any], timeout: float = 60, key: str | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **_auth(key)},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _wait_for(check: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} after {timeout:.0f} s; server log:\n{log.read_text()[-4000:]}")


def _answers(port: int) -> bool:
    try:
        return _get(f"http://127.0.0.1:{port}/health", timeout=2)[0] == 200
    except OSError:
        return False


def build_context(project: Path, dest: Path) -> Path:
    """The files `docker build .` sends: the project minus what .dockerignore excludes."""
    patterns = dockerignore_patterns(project / ".dockerignore")
    for path in sorted(project.rglob("*")):
        rel = path.relative_to(project).as_posix()
        if path.is_file() and not ignored(rel, patterns):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return dest


def run_builder(builder: Stage, app: Path, env: dict[str, str]) -> list[str]:
    """Run the builder stage's RUN lines (all of them must be uv commands) in `app`."""
    done = []
    for instruction in builder.all("RUN"):
        _, command = instruction.flags_and_rest()
        argv = shlex.split(command)
        assert argv[0] == "uv", (
            f"Dockerfile line {instruction.line}: the builder runs {command!r}; this test runs "
            "only uv commands: teach it the new one"
        )
        result = run([uv_executable(), *argv[1:]], cwd=app, env=env, timeout=900)
        assert result.ok, result.describe()
        done.append(command)
    return done


@pytest.mark.generated
@pytest.mark.cost(45)  # seconds each (51-53 s measured at load ~7), for the start order
@pytest.mark.parametrize("combo", list(COMBOS), ids=str)
def test_image_install_and_cmd_serve_the_api(
    combo: str, renderer: Renderer, tmp_path: Path
) -> None:
    answers = COMBOS[combo]
    backend = answers.get("session_backend", "sqlite")
    server = _server_url(backend) if backend != "sqlite" else ""
    project = renderer.render_fresh(answers, tmp_path / "project")
    base_env = isolated_env()

    # What the README tells the user before the first build: make and commit uv.lock.
    locked = run([uv_executable(), "lock"], cwd=project, env=base_env, timeout=600)
    assert locked.ok, locked.describe()

    stages = parse(project / "Dockerfile")
    builder = next(s for s in stages if s.name == "builder")
    final = stages[-1]
    assert final.image == builder.image, "the venv links to the builder's Python: same base"
    assert not any("uv" in i.args.split() for i in final.all("COPY")), "uv left in the image"

    app = build_context(project, tmp_path / "context")
    assert (app / "uv.lock").is_file(), ".dockerignore must keep uv.lock"
    builder_env = {**base_env, **builder.env()}
    commands = run_builder(builder, app, builder_env)
    assert any("--frozen" in c and "--no-dev" in c for c in commands), commands
    venv = app / ".venv"
    assert not (venv / "bin" / "pytest").exists(), "the dev group was installed"

    # The final stage: its ENV (image paths mapped here), its user's data dir, its CMD.
    data_dir, home = tmp_path / "data", tmp_path / "home"
    data_dir.mkdir()
    home.mkdir()
    image_env = final.env()
    paths = {final.workdir: app, image_env["DATA_DIR"]: data_dir, "/home/app": home}
    setup = " ".join(i.args for i in final.all("RUN"))
    assert f"mkdir {image_env['DATA_DIR']}" in setup, setup
    assert "chown" in setup, setup
    user = final.last("USER")
    assert user is not None
    assert user.args.split(":")[0] not in {"0", "root"}

    env = {
        "PATH": os.environ["PATH"],
        "HOME": "/home/app",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for key, value in image_env.items():
        env[key] = interpolate(value.replace("$PATH", env.get("PATH", "")), {})
    compose_env = compose_environment(project / "compose.yaml", "api")
    if backend != "sqlite":
        compose_url = urlsplit(compose_env["SESSION_URL"])
        assert compose_url.scheme == SERVICE_SCHEMES[backend], compose_env["SESSION_URL"]
        assert compose_url.hostname == backend, "SESSION_URL must name the compose service"
        compose_env["SESSION_URL"] = server
    env.update(compose_env)
    env = {key: _map_path(value, paths) for key, value in env.items()}
    port = _free_port()
    env["PORT"] = str(port)  # the image listens on 8000 (PORT unset); here on a free port

    cmd = final.last("CMD")
    assert cmd is not None
    argv = [_map_path(arg, paths) for arg in cmd.exec_form()]
    executable = shutil.which(argv[0], path=env["PATH"])
    assert executable, (argv[0], env["PATH"])
    assert executable.startswith(str(venv)), executable
    assert argv[1:] == ["serve", "--host", "0.0.0.0"], argv
    # The image alone (`docker run`, no compose environment) has no credential setting: its
    # command refuses to serve on every interface.
    alone = {k: v for k, v in env.items() if k not in compose_env or k in image_env}
    refused = subprocess.run(
        [executable, *argv[1:]], cwd=app, env=alone, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 64, refused.stderr
    assert "refusing to serve on 0.0.0.0 without credentials" in refused.stderr
    # compose's `api` names a keys file in the data volume, which does not exist yet: the stack
    # starts closed, and the documented `docker compose exec api <cli> keys add` opens it.
    keys_file = Path(env["API_KEYS_FILE"])
    assert keys_file.parent == data_dir, env["API_KEYS_FILE"]
    assert not keys_file.exists()

    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [executable, *argv[1:]],
            cwd=app,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(lambda: _answers(port), 90, "no /health", log)
        status, body = _get(f"http://127.0.0.1:{port}/ready")
        assert status == 200, body
        status, body = _post(f"http://127.0.0.1:{port}/runs", {"input": "What is 2 + 2?"})
        assert status == 401, body

        added = subprocess.run(
            [executable, "keys", "add", "deployer", "--role", "admin"],
            cwd=app,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert added.returncode == 0, added.stderr
        key = added.stdout.strip()
        assert keys_file.is_file()
        assert key not in keys_file.read_text()

        url = f"http://127.0.0.1:{port}"
        status, body = _post(f"{url}/runs", {"input": "What is 2 + 2?"}, key=key)
        assert status == 200, body
        assert "4" in body["text"], body
        session_id = body["session_id"]
        status, history = _get(f"{url}/sessions/{session_id}", key=key)
        assert status == 200, history
        assert "What is 2 + 2?" in json.dumps(history)

        healthcheck = final.last("HEALTHCHECK")
        assert healthcheck is not None
        probe = [_map_path(arg, paths) for arg in healthcheck.exec_form()]
        probe[0] = shutil.which(probe[0], path=env["PATH"]) or probe[0]
        checked = run(probe, cwd=app, env=env, timeout=30)
        assert checked.ok, checked.describe()

        # Exec form: the signal reaches the server (and its workers), which stops cleanly.
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()[-4000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    if backend == "sqlite":
        assert (data_dir / "sessions.db").is_file(), sorted(p.name for p in data_dir.iterdir())
