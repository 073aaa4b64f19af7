"""The template's releases (releases.toml) and temporary template repositories built from them.

A release is a PEP 440 tag `v<version>` on a commit of this repository. Tags cannot always be
relied on (a fresh CI clone of a branch, a fork, a release not tagged yet), so `releases.toml`
records each release's commit; a tag, when it exists, must name the same commit. Everything here
needs the repository's history (a full `git clone`), never its tags.
"""

from __future__ import annotations

import datetime
import io
import re
import shutil
import subprocess
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from tests._tools import REPO_ROOT

RELEASES_TOML = REPO_ROOT / "releases.toml"
_SHA = re.compile(r"^[0-9a-f]{40}$")
_IDENTITY = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.invalid"]


class ReleaseError(RuntimeError):
    """The release record is wrong, or this checkout cannot provide a release's tree."""


@dataclass(frozen=True)
class Release:
    """One released version of the template."""

    version: Version
    commit: str
    """The released commit (full sha)."""
    date: datetime.date

    @property
    def tag(self) -> str:
        """The git tag that marks it (`v0.1.0`): what `copier update` reads."""
        return f"v{self.version}"


def load_releases(path: Path = RELEASES_TOML) -> list[Release]:
    """The recorded releases, oldest first; `ReleaseError` names what is wrong with the record."""
    raw = tomllib.loads(path.read_text("utf-8"))
    entries = raw.get("release")
    if not isinstance(entries, list) or not entries:
        raise ReleaseError(f"{path.name}: no [[release]] table")
    releases = []
    for entry in entries:
        if set(entry) != {"version", "commit", "date"}:
            raise ReleaseError(f"{path.name}: a release has version, commit and date: {entry}")
        commit, date = entry["commit"], entry["date"]
        if not isinstance(commit, str) or not _SHA.match(commit):
            raise ReleaseError(f"{path.name}: commit must be a full lowercase sha, got {commit!r}")
        if not isinstance(date, datetime.date) or isinstance(date, datetime.datetime):
            raise ReleaseError(f"{path.name}: date must be a TOML date (2026-11-24): {date!r}")
        releases.append(Release(Version(str(entry["version"])), commit, date))
    versions = [release.version for release in releases]
    if versions != sorted(set(versions)):
        raise ReleaseError(f"{path.name}: versions must be unique and in increasing order")
    return releases


def get_release(version: str) -> Release:
    """The recorded release `version` (`ReleaseError` lists the recorded ones)."""
    releases = load_releases()
    for release in releases:
        if release.version == Version(version):
            return release
    known = ", ".join(str(release.version) for release in releases)
    raise ReleaseError(f"release {version} is not in releases.toml (recorded: {known})")


def next_version(releases: list[Release]) -> Version:
    """The version the current tree stands for: the minor version after the latest release."""
    latest = releases[-1].version
    return Version(f"{latest.major}.{latest.minor + 1}.0")


def _git(*args: str, cwd: Path, stdin: bytes | None = None) -> bytes:
    proc = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    if proc.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def tag_commit(tag: str, repo: Path = REPO_ROOT) -> str | None:
    """The commit tag `tag` points at in `repo`, or None when there is no such tag."""
    proc = subprocess.run(
        ["git", "rev-parse", "-q", "--verify", f"refs/tags/{tag}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def release_ref(release: Release, repo: Path = REPO_ROOT) -> str:
    """What to check out for `release`: its tag when present (it must match), else its commit."""
    if not (repo / ".git").exists():
        raise ReleaseError(
            f"{repo} is not a git checkout: release {release.version} needs the repository's "
            "history (git clone, not an archive)"
        )
    tagged = tag_commit(release.tag, repo)
    if tagged is not None:
        if tagged != release.commit:
            raise ReleaseError(
                f"tag {release.tag} points at {tagged}, releases.toml records {release.commit}"
            )
        return release.tag
    probe = subprocess.run(
        ["git", "cat-file", "-e", f"{release.commit}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        raise ReleaseError(
            f"commit {release.commit} of release {release.version} is not in this clone: the "
            "tests need the full history (`git fetch --unshallow`, or clone without --depth)"
        )
    return release.commit


def extract_tree(ref: str, dest: Path, repo: Path = REPO_ROOT) -> Path:
    """The files of `ref` in `repo` (`git archive`), written under `dest`."""
    archive = _git("archive", "--format=tar", ref, cwd=repo)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def commit_and_tag(repo: Path, tag: str, message: str) -> None:
    """Commit every file of `repo`'s work tree (additions and deletions) and tag the commit."""
    plain = [*_IDENTITY, "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]
    _git("add", "-A", cwd=repo)
    _git(*plain, "commit", "-q", "--allow-empty", "-m", message, cwd=repo)
    _git(*plain, "tag", tag, cwd=repo)


def template_history(current: Path, dest: Path, since: Release) -> tuple[str, str]:
    """A template repository at `dest`: release `since`, then the tree of `current`'s HEAD.

    `current` is a git repository holding the template as it is now (tests/_render.py's
    snapshot). Both commits are tagged: `since.tag` and `v<next version>`, which
    `copier update` then takes as the latest release. Returns the two tags.
    """
    old_tag, new_tag = since.tag, f"v{next_version(load_releases())}"
    extract_tree(release_ref(since), dest)
    _git("-c", "init.defaultBranch=main", "init", "-q", cwd=dest)
    commit_and_tag(dest, old_tag, f"agents-core {since.version}")
    for path in dest.iterdir():
        if path.name != ".git":
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    extract_tree("HEAD", dest, repo=current)
    commit_and_tag(dest, new_tag, "agents-core, current tree")
    return old_tag, new_tag
