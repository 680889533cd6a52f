"""What the builder keeps between builds is never trusted blindly: a planted pickle in
`.cache/` never runs, links at `.cache/` and at the lock are never followed, and an
upgrade of a library that shapes the pages makes every page again."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from ancongthuong_site import codeversion, signed
from ancongthuong_site.build import BuildOptions, build
from ancongthuong_site.writer import MARKER
from conftest import article, run_cli, tree_digest


def pages_of(site: Path) -> list:
    return [entry for entry in tree_digest(site / "_site") if entry[0] != MARKER]


class Planted:
    """Creates a file when unpickled: proof that code from the cache ran."""

    def __init__(self, proof: Path) -> None:
        self.proof = proof

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.proof,))


@pytest.fixture
def site(make_site) -> Path:  # type: ignore[no-untyped-def]
    return make_site(
        {
            "content/2024/02/a.md": article(title="Một"),
            "content/2024/02/b.md": article(title="Hai", date="2024-02-28"),
        }
    )


def test_a_planted_pickle_in_the_cache_never_runs(site: Path, tmp_path: Path) -> None:
    assert run_cli("build", "--root", site).returncode == 0
    proof = tmp_path / "ran"
    payload = pickle.dumps(Planted(proof))
    # Plain, and with a seal made with some other key (a cache from elsewhere).
    forged = signed._SEAL + bytes(32) + payload
    for name, data in (("parse.log", payload), ("stat.pickle", forged)):
        (site / ".cache" / name).write_bytes(data)
    (site / "content/2024/02/a.md").write_text(article(title="Một sửa"), encoding="utf-8")
    result = run_cli("build", "--root", site)
    assert result.returncode == 0, result.stderr
    assert not proof.exists()
    assert "Một sửa" in (site / "_site/2024/02/a/index.html").read_text(encoding="utf-8")


def test_the_cache_is_warm_with_the_same_key_and_cold_with_another(site: Path) -> None:
    assert run_cli("build", "--root", site).returncode == 0
    (site / "content/2024/02/a.md").write_text(article(title="Một sửa"), encoding="utf-8")
    index = site / ".cache" / "parse.log"
    assert signed.read_log(index)[0]  # signed with this process's (test) key
    result = run_cli("build", "--root", site, env={signed.KEY_ENV: "another secret"})
    assert result.returncode == 0, result.stderr
    # Under another key the old index is ignored and replaced, never read.
    assert signed.read_log(index) == ([], 0)


@pytest.mark.parametrize("name", ["bodies.pack", "parse.log", "stat.pickle"])
def test_links_in_the_cache_are_never_followed(site: Path, tmp_path: Path, name: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("không được sửa", encoding="utf-8")
    (site / ".cache").mkdir()
    os.symlink(victim, site / ".cache" / name)
    result = run_cli("build", "--root", site)
    assert result.returncode == 0, result.stderr
    assert victim.read_text(encoding="utf-8") == "không được sửa"
    assert (site / "_site/2024/02/a/index.html").is_file()


def test_a_linked_cache_folder_is_not_used(site: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, site / ".cache")
    result = run_cli("build", "--root", site)
    assert result.returncode == 0, result.stderr
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("kind", ["link", "folder", "fifo"])
def test_an_odd_lock_file_is_refused_and_never_followed(
    site: Path, tmp_path: Path, kind: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("không được sửa", encoding="utf-8")
    lock = site / "._site.lock"
    {
        "link": lambda: os.symlink(victim, lock),
        "folder": lock.mkdir,
        "fifo": lambda: os.mkfifo(lock),
    }[kind]()
    result = run_cli("build", "--root", site, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "E213" in result.stderr and "._site.lock" in result.stderr
    assert victim.read_text(encoding="utf-8") == "không được sửa"
    assert not (site / "_site").exists()


def test_a_library_upgrade_makes_every_page_again(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build(site, BuildOptions(jobs=1))
    unchanged = build(site, BuildOptions(jobs=1))
    assert unchanged.written == ()
    before = pages_of(site)
    # A sanitizer release (nh3) with the same sources: nothing may be kept from before.
    real = codeversion.library_versions()
    monkeypatch.setattr(codeversion, "library_versions", lambda: real.replace("nh3=", "nh3=99.0+"))
    codeversion.code_version.cache_clear()
    try:
        upgraded = build(site, BuildOptions(jobs=1))
    finally:
        monkeypatch.undo()
        codeversion.code_version.cache_clear()
    pages = {rel for rel in first.written if not (site / "static" / rel).exists()}
    assert pages and pages == set(upgraded.written)  # static files are copies: kept
    assert pages_of(site) == before  # the libraries did not really change: same bytes


def test_every_library_that_shapes_pages_is_in_the_key() -> None:
    versions = codeversion.library_versions()
    for name in ("Markdown", "nh3", "Jinja2", "MarkupSafe", "PyYAML", "python-slugify"):
        assert f"{name}=" in versions and f"{name}=-" not in versions
    assert versions in codeversion.code_version()


def test_an_edit_appends_to_the_parse_log_and_a_torn_record_is_dropped(site: Path) -> None:
    assert run_cli("build", "--root", site).returncode == 0
    index = site / ".cache" / "parse.log"
    first = index.read_bytes()
    (site / "content/2024/02/a.md").write_text(article(title="Một sửa"), encoding="utf-8")
    assert run_cli("build", "--root", site).returncode == 0
    grown = index.read_bytes()
    assert (
        grown.startswith(first) and len(signed.read_log(index)[0]) == 2
    )  # appended, not rewritten
    index.write_bytes(grown[:-7])  # a build killed while appending
    (site / "content/2024/02/b.md").write_text(article(title="Hai sửa"), encoding="utf-8")
    result = run_cli("build", "--root", site)
    assert result.returncode == 0, result.stderr
    records, good = signed.read_log(index)
    assert len(records) == 2 and good == index.stat().st_size  # the torn record is gone
    pages = [(site / f"_site/2024/02/{n}/index.html").read_text(encoding="utf-8") for n in "ab"]
    assert "Một sửa" in pages[0] and "Hai sửa" in pages[1]
