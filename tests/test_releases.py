"""The release record (releases.toml) agrees with the history, the tags and the changelog."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from packaging.version import Version

from tests._releases import (
    Release,
    ReleaseError,
    get_release,
    load_releases,
    next_version,
    release_ref,
    tag_commit,
)
from tests._tools import REPO_ROOT

RELEASES = load_releases()
CHANGELOG = (REPO_ROOT / "CHANGELOG.md").read_text("utf-8")


@pytest.mark.parametrize("release", RELEASES, ids=str)
def test_a_release_is_a_commit_of_this_history(release: Release) -> None:
    ref = release_ref(release)  # its tag when present (then it must match), else its commit
    assert ref in {release.tag, release.commit}
    ancestor = subprocess.run(
        ["git", "merge-base", "--is-ancestor", release.commit, "HEAD"],
        cwd=REPO_ROOT,
        check=False,
    )
    assert ancestor.returncode == 0, f"{release.commit} is not in HEAD's history"
    tagged = tag_commit(release.tag)
    assert tagged in {None, release.commit}


@pytest.mark.parametrize("release", RELEASES, ids=str)
def test_every_release_has_a_dated_changelog_entry(release: Release) -> None:
    heading = f"## [{release.version}] - {release.date.isoformat()}"
    assert re.search(rf"^{re.escape(heading)}$", CHANGELOG, re.MULTILINE), heading


def test_the_changelog_starts_with_the_version_in_progress() -> None:
    headings = re.findall(r"^## (.+)$", CHANGELOG, re.MULTILINE)
    assert headings[0] == "Unreleased"
    assert headings[1] == f"[{RELEASES[-1].version}] - {RELEASES[-1].date.isoformat()}"
    assert next_version(RELEASES) > RELEASES[-1].version


def test_a_bad_record_is_refused_with_the_reason(tmp_path: Path) -> None:
    record = tmp_path / "releases.toml"
    record.write_text('[[release]]\nversion = "0.1.0"\ncommit = "326e580"\ndate = 2026-11-24\n')
    with pytest.raises(ReleaseError, match="full lowercase sha"):
        load_releases(record)
    sha = "0" * 40
    two = f'version = "{{}}"\ncommit = "{sha}"\ndate = 2026-11-24\n'
    record.write_text(f"[[release]]\n{two.format('0.2.0')}[[release]]\n{two.format('0.1.0')}")
    with pytest.raises(ReleaseError, match="increasing order"):
        load_releases(record)
    with pytest.raises(ReleaseError, match=r"not in releases.toml \(recorded: 0.1.0"):
        get_release("9.9.9")


def test_a_missing_commit_says_the_history_is_needed() -> None:
    ghost = Release(Version("0.0.1"), "f" * 40, RELEASES[0].date)
    with pytest.raises(ReleaseError, match="full history"):
        release_ref(ghost)
