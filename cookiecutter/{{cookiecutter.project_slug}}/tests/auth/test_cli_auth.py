"""The CLI's side of authentication: `keys add|list|remove` and `serve` off loopback."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from api import create_app
from {{ cookiecutter.package_name }}.cli import main


def test_keys_add_prints_the_key_once_and_stores_its_hash(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "add", "alice", "--role", "admin"]) == 0
    captured = capsys.readouterr()
    key = captured.out.strip()
    path = data_dir / "api_keys.toml"
    assert f"only its SHA-256 hash is stored, in {path} (mode 0600)" in captured.err
    assert f"The API reads it when API_KEYS_FILE={path} is set." in captured.err
    assert key not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    assert main(["keys", "add", "bob"]) == 0
    bob = capsys.readouterr().out.strip()
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "alice\troles: admin" in listing
    assert "bob\troles: -" in listing
    assert key not in listing
    assert bob not in listing

    assert main(["keys", "remove", "alice"]) == 0
    assert main(["keys", "remove", "alice"]) == 1
    assert "'alice' has no key" in capsys.readouterr().err
    assert main(["keys", "list"]) == 0
    assert "alice" not in capsys.readouterr().out


async def test_a_key_added_by_the_cli_opens_the_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "secrets" / "keys.toml"
    monkeypatch.setenv("API_KEYS_FILE", str(path))
    assert main(["keys", "add", "alice"]) == 0
    captured = capsys.readouterr()
    key = captured.out.strip()
    assert "API_KEYS_FILE=" not in captured.err  # it is already the file the API reads
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        me = await client.get("/me", headers={"Authorization": f"Bearer {key}"})
        assert me.json() == {"principal": "alice", "roles": [], "auth": "api_key"}
        assert (await client.get("/me")).status_code == 401


def test_keys_add_refuses_bad_names_and_roles(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as bad_name:
        main(["keys", "add", "no spaces"])
    assert bad_name.value.code == 64
    with pytest.raises(SystemExit):
        main(["keys", "add", "bob", "--role", "ad min"])
    assert "invalid role" in capsys.readouterr().err


def test_serve_off_loopback_needs_credentials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from api import server_thread

    served: list[dict[str, object]] = []
    monkeypatch.setattr(server_thread, "serve", lambda app, **options: served.append(options))
    for host in ("0.0.0.0", "::", "192.168.1.20", "example.com"):
        assert main(["serve", "--host", host]) == 64
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"refusing to serve on {host} without credentials" in err
        assert "set API_KEY, API_KEYS, API_KEYS_FILE or JWT_ISSUER/JWT_JWKS_URL" in err
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert main(["serve", "--host", host]) == 0
    assert main(["serve", "--host", "0.0.0.0", "--insecure-no-auth"]) == 0
    assert "WARNING: serving on 0.0.0.0 WITHOUT AUTHENTICATION" in capsys.readouterr().err
    assert len(served) == 5
    monkeypatch.setenv("API_KEYS", "alice:alice-key")
    assert main(["serve", "--host", "0.0.0.0"]) == 0


def test_serve_starts_closed_on_a_missing_keys_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from api import server_thread

    served: list[dict[str, object]] = []
    monkeypatch.setattr(server_thread, "serve", lambda app, **options: served.append(options))
    monkeypatch.setenv("API_KEYS_FILE", str(tmp_path / "missing.toml"))
    with caplog.at_level("WARNING", logger="agents_core.auth"):
        assert main(["serve", "--host", "0.0.0.0"]) == 0  # a credential setting: not open
    assert len(served) == 1
    assert "does not exist yet: no API key is valid until `keys add NAME`" in caplog.text


@pytest.mark.slow
def test_serve_refusal_in_a_real_process(data_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 64
    assert done.stderr.startswith("error: refusing to serve on 0.0.0.0 without credentials")
    assert done.stderr.count("\n") == 1
