"""Faults around a build: kills, signals, a full disk, a second build, unsafe output folders,
symlinks, and reproducibility under a different environment.

Promise under test: whatever happens, `_site/` is either the previous tree or
the complete new one, never a mix; nothing outside the output folder is written or deleted;
the next normal build cleans what a killed one left.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ancongthuong_site.build import build
from ancongthuong_site.files import TEMP_PREFIX
from conftest import EPOCH, article, corpus_site, leftovers, run_cli, tree_digest

N_ARTICLES = 300
LOCK_NAME = "._site.lock"
COMMANDS = ("build", "check")
BASE_ENV = {"SOURCE_DATE_EPOCH": EPOCH, "TZ": "UTC", "LANG": "C.UTF-8", "PYTHONHASHSEED": "1"}


# -- helpers --------------------------------------------------------------------------------


def cli_env(**more: str) -> dict[str, str]:
    return {**os.environ, **BASE_ENV, **more}


def start_build(root: Path, *args: str | Path, **env: str) -> subprocess.Popen[str]:
    """Start the real CLI in its own process group (so its pool workers can be reaped)."""
    return subprocess.Popen(
        [sys.executable, "-m", "ancongthuong_site", "build", "--root", str(root), *map(str, args)],
        env=cli_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the build, then anything left in its process group (pool workers)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def wait_for(condition, proc: subprocess.Popen[str], timeout: float = 30) -> bool:  # type: ignore[no-untyped-def]
    """Poll until condition() holds; False if the process ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.001)
    raise AssertionError("timed out waiting for the build")


def holds_lock(root: Path, proc: subprocess.Popen[str]):  # type: ignore[no-untyped-def]
    """True once the build has taken the lock (it writes its pid into the lock file)."""

    def check() -> bool:
        try:
            return (root / LOCK_NAME).read_text() == str(proc.pid)
        except OSError:
            return False

    return check


def copy_site(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def edit_articles(root: Path, count: int = 6, mark: str = "cập nhật") -> None:
    """Change a few titles and bodies, delete one article and add one."""
    files = sorted((root / "content").rglob("*.md"))
    for path in files[:count]:
        text = path.read_text(encoding="utf-8")
        text = text.replace('title: "', f'title: "({mark}) ', 1)
        path.write_text(text + f"\nĐoạn bổ sung ({mark}).\n", encoding="utf-8")
    files[-1].unlink()
    (root / "content/2024/02/bai-moi-them.md").write_text(
        article(title=f"Bài mới thêm ({mark})", date="2024-02-28 09:00"), encoding="utf-8"
    )


def restore(out: Path, pristine: Path) -> None:
    shutil.rmtree(out)
    shutil.copytree(pristine, out)


def assert_clean_failure(stderr: str, root: Path, before: list) -> None:
    """No traceback, the previous output byte for byte, nothing left beside it."""
    assert "Traceback" not in stderr, stderr
    assert tree_digest(root / "_site") == before
    assert leftovers(root) == []
    cache = root / ".cache"
    assert not (cache.is_dir() and list(cache.rglob(f"{TEMP_PREFIX}*"))), "half-written cache file"


def built_small_site(make_site) -> Path:  # type: ignore[no-untyped-def]
    """A one-article site with the output of an earlier successful build."""
    root = make_site({"content/2024/02/a.md": article()})
    assert build(root).output == root / "_site"
    return root


# -- the 300-article site -------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-article site from the project's corpus generator (sources only, never built)."""
    return corpus_site(tmp_path_factory.mktemp("corpus") / "site", N_ARTICLES)


@pytest.fixture(scope="module")
def built(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """The corpus after one good `--jobs 1` build, and the digest of its `_site/`."""
    root = copy_site(corpus, tmp_path_factory.mktemp("built") / "site")
    result = run_cli("build", "--root", root, "--jobs", "1", env=BASE_ENV)
    assert result.returncode == 0, result.stderr
    assert len(list((root / "_site").rglob("index.html"))) > N_ARTICLES // 2
    return root, tree_digest(root / "_site")


@pytest.fixture
def site(built: tuple[Path, list], tmp_path: Path) -> Path:
    """A private copy of the built corpus (sources, output, cache and lock file)."""
    return copy_site(built[0], tmp_path / "site")


# -- SIGKILL ----------------------------------------------------------------------------------


def test_sigkill_at_any_moment_leaves_the_old_or_the_new_tree(site: Path, tmp_path: Path) -> None:
    out = site / "_site"
    old = tree_digest(out)
    pristine = copy_site(out, tmp_path / "pristine")
    edit_articles(site)

    # Time each kind of build from the moment it holds the lock to its exit.
    durations: dict[bool, float] = {}
    results: dict[bool, list] = {}
    for cold in (False, True):
        if cold:
            shutil.rmtree(site / ".cache", ignore_errors=True)
        proc = start_build(site)
        assert wait_for(holds_lock(site, proc), proc)
        started = time.monotonic()
        _, stderr = proc.communicate(timeout=120)
        durations[cold] = time.monotonic() - started
        assert proc.returncode == 0, stderr
        results[cold] = tree_digest(out)
        restore(out, pristine)
    incremental = results[False]
    assert incremental != old
    assert results[True] == incremental, "a cold parse cache changed the output"

    rng = random.Random(20240227)
    seen: list[tuple[int, str, int | None, bool]] = []
    for i in range(15):
        if tree_digest(out) != old:  # the last run got to the end: start from the old tree again
            restore(out, pristine)
        cold = i % 4 == 1
        if cold:
            shutil.rmtree(site / ".cache", ignore_errors=True)
        jobs = ("--jobs", "1") if i % 3 == 0 else ()
        proc = start_build(site, *jobs)
        if i % 5 == 4:
            time.sleep(rng.uniform(0, 0.3))  # while Python starts, or just after
            how = "start"
        else:
            wait_for(holds_lock(site, proc), proc)
            # Anywhere in the build; one run in three aims at the end (write and swap), which
            # comes later than in the timed build once a killed run has spoilt the standby tree.
            if i % 3 == 2:
                time.sleep(rng.uniform(0.8, 3.0) * durations[cold])
                how = "late"
            else:
                time.sleep(rng.uniform(0, 1.2) * durations[cold])
                how = "random"
        kill_group(proc)
        proc.wait(timeout=30)
        stderr = proc.stderr.read() if proc.stderr else ""
        assert "Traceback" not in stderr, stderr
        digest = tree_digest(out)
        seen.append((i, how, proc.returncode, digest == old))
        assert digest in (old, incremental), f"run {i} ({how}) left a mixed tree"

    # The next normal build succeeds and removes whatever the killed ones left.
    result = run_cli("build", "--root", site, env=BASE_ENV)
    assert result.returncode == 0, result.stderr
    assert leftovers(site) == []
    after = tree_digest(out)

    # A clean build of the edited sources is the one "new" tree every run had to match.
    shutil.rmtree(out)
    shutil.rmtree(site / ".cache", ignore_errors=True)
    result = run_cli("build", "--root", site, env=BASE_ENV)
    assert result.returncode == 0, result.stderr
    new = tree_digest(out)
    assert after == new
    assert incremental == new
    assert any(code == -signal.SIGKILL for _, _, code, _ in seen), seen
    assert any(is_old for _, _, code, is_old in seen if code == -signal.SIGKILL), seen


# -- SIGINT / SIGTERM ---------------------------------------------------------------------------


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_build_keeps_the_old_output(site: Path, signum: int, code: int) -> None:
    before = tree_digest(site / "_site")
    edit_articles(site)
    shutil.rmtree(site / ".cache")  # a cold parse: the build runs long enough to interrupt
    proc = start_build(site)
    assert wait_for(holds_lock(site, proc), proc), proc.communicate()
    time.sleep(0.05)
    os.kill(proc.pid, signum)
    _, stderr = proc.communicate(timeout=60)
    kill_group(proc)
    assert proc.returncode == code, stderr
    assert_clean_failure(stderr, site, before)

    result = run_cli("build", "--root", site, env=BASE_ENV)
    assert result.returncode == 0, result.stderr
    assert leftovers(site) == []
    assert tree_digest(site / "_site") != before


def set_paginate(root: Path, value: int) -> None:
    """A config change that rewrites every page (the parse cache stays valid)."""
    path = root / "site.yaml"
    text = re.sub(r"(?m)^paginate: \d+$", f"paginate: {value}", path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_late_in_the_build(site: Path, signum: int, code: int) -> None:
    """Interrupted while the new tree is written and swapped in: the old tree, or (the swap
    won the race) the complete new one; never a mix, never a temporary folder left."""
    out = site / "_site"
    before = tree_digest(out)
    pristine = copy_site(out, site.parent / "pristine")
    set_paginate(site, 7)
    proc = start_build(site)
    assert wait_for(holds_lock(site, proc), proc)
    started = time.monotonic()
    _, stderr = proc.communicate(timeout=120)
    duration = time.monotonic() - started  # from taking the lock to the end
    assert proc.returncode == 0, stderr
    new = tree_digest(out)
    assert new != before
    restore(out, pristine)
    proc = start_build(site)
    assert wait_for(holds_lock(site, proc), proc)
    time.sleep(random.Random(signum).uniform(0.5, 0.95) * duration)
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signum)
    _, stderr = proc.communicate(timeout=60)
    kill_group(proc)
    assert "Traceback" not in stderr, stderr
    assert leftovers(site) == []
    if proc.returncode == code:  # interrupted: the old tree (or the new one if it was swapped in)
        assert tree_digest(out) in (before, new)
    else:
        # Finished (0), or the signal came while Python was shutting down after the build and
        # its default action ended the process: the new tree is complete either way.
        assert proc.returncode in (0, -signum), stderr
        assert tree_digest(out) == new


# -- disk full --------------------------------------------------------------------------------


def run_with_file_size_limit(root: Path, limit: int) -> subprocess.CompletedProcess[str]:
    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "ancongthuong_site", "build", "--root", str(root)],
        env=cli_env(TMPDIR=str(root.parent)),  # a crash report stays in the test's folder
        capture_output=True,
        text=True,
        preexec_fn=limit_file_size,
        timeout=120,
    )


def test_disk_full_while_writing_the_output(site: Path) -> None:
    before = tree_digest(site / "_site")
    base = site / "templates/base.html"
    base.write_text(
        base.read_text(encoding="utf-8").replace("<body>", "<body>\n<!-- bản 2 -->"),
        encoding="utf-8",
    )  # every page changes; the parse cache stays valid, so only output is written
    result = run_with_file_size_limit(site, 50_000)
    assert result.returncode == 1, result.stderr
    assert "E210" in result.stderr
    assert_clean_failure(result.stderr, site, before)
    assert run_cli("build", "--root", site, env=BASE_ENV).returncode == 0


def test_disk_full_while_saving_the_parse_cache_keeps_the_output(site: Path) -> None:
    before = tree_digest(site / "_site")
    edit_articles(site)
    shutil.rmtree(site / ".cache")  # the cache (over 1 MB) is rewritten before any output
    result = run_with_file_size_limit(site, 50_000)
    assert result.returncode != 0
    assert_clean_failure(result.stderr, site, before)


def test_disk_full_while_saving_the_parse_cache_is_reported_as_e210(site: Path) -> None:
    edit_articles(site)
    shutil.rmtree(site / ".cache")
    result = run_with_file_size_limit(site, 50_000)
    assert "this is a bug" not in result.stderr
    assert result.returncode == 1, result.stderr
    assert "E210" in result.stderr


# -- the build lock ---------------------------------------------------------------------------


def test_a_held_lock_refuses_a_second_build(make_site) -> None:
    root = built_small_site(make_site)
    (root / "content/2024/02/b.md").write_text(article(title="Bài hai"), encoding="utf-8")
    before = tree_digest(root / "_site")
    with open(root / LOCK_NAME, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        result = run_cli("build", "--root", root)
        assert result.returncode == 2, result.stderr
        assert "E212" in result.stderr
        assert f"pid {os.getpid()}" in result.stderr
        assert_clean_failure(result.stderr, root, before)
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    assert (root / "_site/2024/02/b/index.html").is_file()


def test_concurrent_builds_one_refused_and_a_killed_holder_releases_the_lock(site: Path) -> None:
    before = tree_digest(site / "_site")
    for attempt in range(3):
        edit_articles(site, mark=f"lần {attempt}")
        shutil.rmtree(site / ".cache", ignore_errors=True)
        first = start_build(site)
        assert wait_for(holds_lock(site, first), first), first.communicate()
        second = run_cli("build", "--root", site, env=BASE_ENV)
        first_out, first_err = first.communicate(timeout=120)
        assert first.returncode == 0, first_err
        if second.returncode == 0 and attempt < 2:
            continue  # the first build finished before the second asked: try again
        assert second.returncode == 2, second.stderr
        assert "E212" in second.stderr and f"pid {first.pid}" in second.stderr
        assert "Traceback" not in second.stderr
        break
    assert leftovers(site) == []
    finished = tree_digest(site / "_site")
    assert finished != before

    # A holder killed with SIGKILL leaves no stale lock: the kernel released the flock.
    edit_articles(site, mark="lần cuối")
    shutil.rmtree(site / ".cache", ignore_errors=True)
    holder = start_build(site)
    assert wait_for(holds_lock(site, holder), holder)
    kill_group(holder)
    holder.wait(timeout=30)
    assert tree_digest(site / "_site") == finished
    third = run_cli("build", "--root", site, env=BASE_ENV)
    assert third.returncode == 0, third.stderr
    assert leftovers(site) == []
    assert tree_digest(site / "_site") != finished


# -- output folder guards ---------------------------------------------------------------------

UNSAFE_OUTPUTS = {
    "the site root": lambda root, home: (root, None),
    "the site root with a slash": lambda root, home: (Path(f"{root}/"), None),
    "/": lambda root, home: (Path("/"), None),
    "a parent of the root": lambda root, home: (root.parent, None),
    "content/": lambda root, home: (root / "content", None),
    "content/.. (the root)": lambda root, home: (root / "content" / "..", None),
    "inside content/": lambda root, home: (root / "content" / "2024" / "_site", None),
    "templates/x": lambda root, home: (root / "templates" / "x", None),
    "static": lambda root, home: (root / "static", None),
    "a symlink to the root": lambda root, home: (root.parent / "link-to-root", None),
    "through a symlinked parent into content": lambda root, home: (
        root.parent / "link-to-content" / "out",
        None,
    ),
    "home": lambda root, home: (home, None),
    "'.' from the root": lambda root, home: (Path("."), root),
    "'..' from the root": lambda root, home: (Path(".."), root),
}


def test_unsafe_output_folders_are_refused_and_nothing_changes(make_site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every unsafe --out, tried side by side on one site (a refused build writes nothing)."""
    root = built_small_site(make_site)
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh/id_rsa").write_text("khóa bí mật", encoding="utf-8")
    (root / "_site-evil").mkdir()
    (root / "_site-evil/keep.txt").write_text("giữ", encoding="utf-8")
    sibling = root.parent / f"{root.name}-evil"
    sibling.mkdir()
    (sibling / "keep.txt").write_text("giữ", encoding="utf-8")
    (root.parent / "link-to-root").symlink_to(root)
    (root.parent / "link-to-content").symlink_to(root / "content")
    before = tree_digest(tmp_path)

    def attempt(case: str) -> str:
        out, cwd = UNSAFE_OUTPUTS[case](root, home)
        result = run_cli("build", "--root", root, "--out", out, cwd=cwd, env={"HOME": str(home)})
        if result.returncode != 2 or "E201" not in result.stderr or "Traceback" in result.stderr:
            return f"{case}: exit {result.returncode}\n{result.stderr}"
        return ""

    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [text for text in pool.map(attempt, UNSAFE_OUTPUTS) if text]
    assert not failures, "\n".join(failures)
    assert tree_digest(tmp_path) == before


def test_a_foreign_non_empty_folder_needs_force(make_site, tmp_path: Path) -> None:
    root = make_site({"content/2024/02/a.md": article()})
    foreign = tmp_path / "gh-pages"
    (foreign / ".git").mkdir(parents=True)
    (foreign / ".git/config").write_text("[core]\n", encoding="utf-8")
    (foreign / "CNAME").write_text("sct.angiang.gov.vn\n", encoding="utf-8")
    evil = root / "_site-evil"
    evil.mkdir()
    (evil / "keep.txt").write_text("giữ", encoding="utf-8")
    evil_before = tree_digest(evil)
    before = tree_digest(tmp_path)
    for out in (foreign, evil):
        result = run_cli("build", "--root", root, "--out", out)
        assert result.returncode == 2, result.stderr
        assert "E203" in result.stderr and "--force" in result.stderr
        assert "Traceback" not in result.stderr
    assert tree_digest(tmp_path) == before
    assert leftovers(tmp_path, "gh-pages") == []

    empty = tmp_path / "trong"
    empty.mkdir()
    assert run_cli("build", "--root", root, "--out", empty).returncode == 0
    assert (empty / "index.html").is_file()

    result = run_cli("build", "--root", root, "--out", foreign, "--force")
    assert result.returncode == 0, result.stderr
    assert (foreign / "index.html").is_file()
    assert not (foreign / "CNAME").exists()
    assert tree_digest(evil) == evil_before
    assert leftovers(tmp_path, "gh-pages") == []


# -- symlinks ---------------------------------------------------------------------------------

SECRET = "BI-MAT-7f3a9c-KHONG-DUOC-LO"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    (folder / "dir").mkdir(parents=True)
    (folder / "secret.md").write_text(
        article(title=f"Tiêu đề {SECRET}", body=f"Thân bài {SECRET}"), encoding="utf-8"
    )
    (folder / "dir" / "secret.txt").write_text(SECRET, encoding="utf-8")
    return folder


def assert_symlink_refused(root: Path, where: str) -> None:
    before = tree_digest(root / "_site")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda cmd: run_cli(cmd, "--root", root, timeout=60), COMMANDS))
    for result in results:
        assert result.returncode == 1, result.stderr
        assert f"{where}: E160 " in result.stderr
        assert SECRET not in result.stderr and SECRET not in result.stdout
        assert "Traceback" not in result.stderr
    assert tree_digest(root / "_site") == before
    assert leftovers(root) == []
    for path in (root / "_site").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes()


def test_symlinked_article_is_refused_and_its_target_never_read(make_site, outside) -> None:  # type: ignore[no-untyped-def]
    root = built_small_site(make_site)
    (root / "content/2024/02/bi-mat.md").symlink_to(outside / "secret.md")
    assert_symlink_refused(root, "content/2024/02/bi-mat.md")


def test_symlinked_static_folder_is_refused(make_site, outside) -> None:  # type: ignore[no-untyped-def]
    root = built_small_site(make_site)
    (root / "static/docs").symlink_to(outside / "dir")
    assert_symlink_refused(root, "static/docs")


def test_symlinked_template_is_refused(make_site, outside) -> None:  # type: ignore[no-untyped-def]
    root = built_small_site(make_site)
    (root / "templates/x.html").symlink_to(outside / "dir" / "secret.txt")
    assert_symlink_refused(root, "templates/x.html")


def test_symlink_loop_in_static_is_refused_without_hanging(make_site) -> None:  # type: ignore[no-untyped-def]
    root = built_small_site(make_site)
    (root / "static/a").symlink_to("b")
    (root / "static/b").symlink_to("a")
    assert_symlink_refused(root, "static/a")


def test_a_symlinked_folder_planted_in_the_old_output_is_not_followed(make_site, outside) -> None:  # type: ignore[no-untyped-def]
    root = built_small_site(make_site)
    (root / "_site/ngoai").symlink_to(outside / "dir")
    before = tree_digest(outside)
    (root / "content/2024/02/b.md").write_text(article(title="Bài hai"), encoding="utf-8")
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    assert tree_digest(outside) == before
    assert not any(path.is_symlink() for path in (root / "_site").rglob("*"))


def test_a_symlinked_file_planted_in_the_old_output_is_not_carried_over(make_site, outside) -> None:  # type: ignore[no-untyped-def]
    root = built_small_site(make_site)
    robots = root / "_site/robots.txt"
    robots.unlink()
    robots.symlink_to(outside / "dir" / "secret.txt")
    (root / "content/2024/02/b.md").write_text(article(title="Bài hai"), encoding="utf-8")
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    assert not robots.is_symlink()
    assert SECRET not in robots.read_text(encoding="utf-8")
    assert not any(path.is_symlink() for path in (root / "_site").rglob("*"))


# -- reproducibility ----------------------------------------------------------------------------


def test_same_sources_same_bytes_in_another_environment(
    corpus: Path, built: tuple[Path, list], tmp_path: Path
) -> None:
    """Other TZ, locale, hash seed, folder and file creation order: byte-identical trees."""
    root = tmp_path / "elsewhere" / "site"
    root.mkdir(parents=True)
    for name in ("templates", "static"):
        shutil.copytree(corpus / name, root / name)
    shutil.copy2(corpus / "site.yaml", root / "site.yaml")
    for path in sorted((corpus / "content").rglob("*.md"), reverse=True):
        target = root / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    result = run_cli(
        "build",
        "--root",
        root,
        env={
            "TZ": "Pacific/Kiritimati",
            "LANG": "vi_VN.UTF-8",
            "LC_ALL": "C",
            "PYTHONHASHSEED": "4242",
        },
    )
    assert result.returncode == 0, result.stderr
    assert tree_digest(root / "_site") == built[1]


def test_jobs_1_and_jobs_2_give_identical_trees(
    corpus: Path, built: tuple[Path, list], tmp_path: Path
) -> None:
    root = copy_site(corpus, tmp_path / "site")
    result = run_cli("build", "--root", root, "--jobs", "2", env=BASE_ENV)
    assert result.returncode == 0, result.stderr
    assert tree_digest(root / "_site") == built[1]
