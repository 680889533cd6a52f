"""The publishing files agree with the real program.

Covers .github/workflows/publish.yml, .gitlab-ci.yml, deploy/nginx/publish.sh and the
editors' guide docs/huong-dan-bien-tap.md: every `ancongthuong-site` command they contain
must be one the command line accepts, the CI steps must actually succeed on this
repository, and the server script must publish atomically and refuse a failed build.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ancongthuong_site.cli import _parser
from ancongthuong_site.errors import CODES
from ancongthuong_site.loader import ARTICLE_FIELDS, REQUIRED_ARTICLE_FIELDS

REPO = Path(__file__).resolve().parents[1]
GITHUB = REPO / ".github" / "workflows" / "publish.yml"
GITLAB = REPO / ".gitlab-ci.yml"
PUBLISH = REPO / "deploy" / "nginx" / "publish.sh"
NGINX = REPO / "deploy" / "nginx" / "sct.conf.example"
GUIDE = REPO / "docs" / "huong-dan-bien-tap.md"
README = REPO / "README.md"
COMMAND = "ancongthuong-site"
SHELL_OPERATORS = {";", "&&", "||", "|", "&", "(", ")", "{", "}", ";;"}
GITLAB_RESERVED = {"default", "include", "stages", "variables", "workflow", "image", "services"}


# -- reading the files ----------------------------------------------------------------------


def load_github() -> dict[str, Any]:
    data = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def load_gitlab() -> dict[str, Any]:
    return yaml.safe_load(GITLAB.read_text(encoding="utf-8"))


def github_scripts() -> list[str]:
    return [
        step["run"]
        for job in load_github()["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


def gitlab_scripts() -> list[str]:
    scripts = []
    for name, job in load_gitlab().items():
        if name in GITLAB_RESERVED or not isinstance(job, dict):
            continue
        for key in ("before_script", "script", "after_script"):
            value = job.get(key, [])
            scripts += [value] if isinstance(value, str) else list(value)
    return scripts


def guide_scripts() -> list[str]:
    """The guide's ```sh blocks and its inline `ancongthuong-site …` code spans."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```sh\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    return blocks + re.findall(rf"`({COMMAND} [^`]+)`", text)


def command_lines(script: str, command: str = COMMAND) -> Iterator[list[str]]:
    """The arguments of every call of `command` in a shell script (after its name)."""
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        for start, token in enumerate(tokens):
            if token == command or token.endswith("/" + command):
                args = []
                for arg in tokens[start + 1 :]:
                    if arg in SHELL_OPERATORS or arg.startswith((">", "<", "2>")):
                        break
                    args.append(arg)
                yield args


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the CLI parser has no subcommands")


def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def assert_valid_call(args: list[str], where: str) -> None:
    """`args` (what follows the program name) names a real subcommand and real options."""
    assert args, f"{where}: `{COMMAND}` without a subcommand"
    if args[0].startswith("-"):
        assert args[0] in option_strings(_parser()), f"{where}: unknown option {args[0]}"
        return
    commands = subcommands()
    assert args[0] in commands, f"{where}: unknown subcommand {args[0]!r}"
    known = option_strings(commands[args[0]])
    for arg in args[1:]:
        if arg.startswith("--"):
            option = arg.split("=", 1)[0]
            assert option in known, f"{where}: `{args[0]}` has no option {option}"
    # And the real parser accepts the whole line (values present, required options given).
    try:
        _parser().parse_args(args)
    except SystemExit as error:  # argparse reports usage errors by exiting
        raise AssertionError(f"{where}: the CLI rejects `{COMMAND} {shlex.join(args)}`") from error


def walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# -- GitHub Actions -------------------------------------------------------------------------


def test_github_triggers_push_to_main_schedule_and_manual_runs() -> None:
    triggers = load_github()["on"]
    assert "main" in triggers["push"]["branches"]
    crons = [entry["cron"] for entry in triggers["schedule"]]
    # Hourly at minute 5: scheduled and expiring articles change the site by the hour.
    assert crons == ["5 * * * *"]
    assert "workflow_dispatch" in triggers


def test_github_publishes_with_pages_actions_one_deployment_at_a_time() -> None:
    workflow = load_github()
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    uses = {step["uses"].split("@")[0]: step for step in build["steps"] if "uses" in step}
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_site"
    assert uses["actions/setup-python"]["with"]["python-version"] == "3.11"
    assert uses["actions/setup-python"]["with"]["cache"] == "pip"
    # Every earlier version of content/ is read to keep moved articles' old URLs alive.
    assert uses["actions/checkout"]["with"]["fetch-depth"] == 0
    assert load_gitlab()["pages"]["variables"]["GIT_DEPTH"] == "0"
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]


def test_github_caches_the_parse_cache_with_a_warm_fallback() -> None:
    steps = load_github()["jobs"]["build"]["steps"]
    caches = [step for step in steps if step.get("uses", "").startswith("actions/cache@")]
    assert len(caches) == 1
    cache = caches[0]["with"]
    assert cache["path"].strip() == ".cache"
    for pattern in ("content/**", "templates/**", "site.yaml"):
        assert pattern in cache["key"]
    prefix = cache["key"].split("${{ hashFiles")[0]
    assert cache["restore-keys"].strip() == prefix
    # The cache is restored before the first command that reads it.
    runs = [step.get("run", "") for step in steps]
    first_command = next(i for i, run in enumerate(runs) if COMMAND in run)
    assert steps.index(caches[0]) < first_command


def test_github_build_is_checked_then_verified_before_upload() -> None:
    steps = load_github()["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in steps]
    check = next(i for i, run in enumerate(runs) if f"{COMMAND} check" in run)
    build = next(i for i, run in enumerate(runs) if f"{COMMAND} build" in run)
    verify = next(i for i, run in enumerate(runs) if "find _site -type l" in run)
    upload = next(
        i for i, step in enumerate(steps) if "upload-pages-artifact" in step.get("uses", "")
    )
    assert check < build < verify < upload


@pytest.mark.parametrize("load", [load_github, load_gitlab], ids=["github", "gitlab"])
def test_ci_keeps_the_real_clock(load: Any) -> None:
    """SOURCE_DATE_EPOCH would freeze "now", and scheduled articles would never appear."""
    assert "SOURCE_DATE_EPOCH" not in {str(node) for node in walk(load())}


# -- GitLab CI ------------------------------------------------------------------------------


def test_gitlab_pages_job_publishes_public_from_the_default_branch_and_schedules() -> None:
    job = load_gitlab()["pages"]
    assert job["image"] == "python:3.11-slim"
    assert job["artifacts"]["paths"] == ["public"]
    assert ".cache/" in job["cache"]["paths"]
    conditions = [rule["if"] for rule in job["rules"]]
    assert all("$CI_DEFAULT_BRANCH" in condition for condition in conditions)
    assert any('$CI_PIPELINE_SOURCE == "schedule"' in condition for condition in conditions)
    builds = [args for s in gitlab_scripts() for args in command_lines(s) if args[0] == "build"]
    assert builds == [["build", "--quiet", "--out", "public"]]


# -- every command in the files exists ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "scripts", "expected"),
    [
        ("publish.yml", github_scripts, {"check", "build"}),
        (".gitlab-ci.yml", gitlab_scripts, {"check", "build"}),
        ("huong-dan-bien-tap.md", guide_scripts, {"new", "serve", "check", "build", "import"}),
    ],
)
def test_every_command_line_is_accepted_by_the_cli(
    name: str, scripts: Any, expected: set[str]
) -> None:
    calls = [args for script in scripts() for args in command_lines(script)]
    assert {args[0] for args in calls if args} >= expected, f"{name}: commands missing"
    for args in calls:
        assert_valid_call(args, name)


def test_publish_script_calls_are_accepted_by_the_cli() -> None:
    script = PUBLISH.read_text(encoding="utf-8")
    calls = list(command_lines(script, command="$ANCONGTHUONG_SITE"))
    assert [args[0] for args in calls] == ["check", "build"]
    for args in calls:
        assert_valid_call(args, "publish.sh")
    assert "--out" in calls[1]


# -- the CI commands succeed on this repository ---------------------------------------------


def run_module(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "ancongthuong_site", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_ci_commands_succeed_on_the_repository(tmp_path: Path) -> None:
    """`check`, then `build` as CI runs them (real clock), into a folder outside the repo."""
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    checked = run_module("check", "--root", REPO, "--quiet", cwd=tmp_path, env=env)
    assert checked.returncode == 0, checked.stderr
    out = tmp_path / "public"
    built = run_module("build", "--root", REPO, "--quiet", "--out", out, cwd=tmp_path, env=env)
    assert built.returncode == 0, built.stderr
    # The same verification the workflows do before publishing.
    assert (out / "index.html").is_file()
    assert (out / "404.html").is_file()
    assert [path for path in out.rglob("*") if path.is_symlink()] == []


# -- deploy/nginx ---------------------------------------------------------------------------


def test_publish_script_is_valid_posix_shell() -> None:
    result = subprocess.run(["sh", "-n", str(PUBLISH)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert os.access(PUBLISH, os.X_OK), "publish.sh should be executable"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_publish_script_passes_shellcheck() -> None:
    result = subprocess.run(
        ["shellcheck", "-s", "sh", str(PUBLISH)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_nginx_example_serves_current_with_the_site_404() -> None:
    text = NGINX.read_text(encoding="utf-8")
    for line in (
        "server_name sct.angiang.gov.vn;",
        "try_files $uri $uri/ =404;",
        "error_page 404 /404.html;",
        "disable_symlinks off;",
        "charset utf-8;",
        "gzip on;",
    ):
        assert line in text
    assert re.search(r"^\s*root \S+/current;", text, flags=re.MULTILINE)


SITE_YAML = """\
title: "Cổng thử nghiệm"
base_url: "https://example.org/"
categories:
  - name: "Tin hoạt động"
    slug: "tin-hoat-dong"
"""


def _article(title: str, date: str) -> str:
    return (
        f'---\ntitle: "{title}"\ndate: "{date}"\ncategory: "Tin hoạt động"\n---\n\n'
        "Nội dung bài viết.\n"
    )


class Deployment:
    """A git "origin" with a small site, and a deploy folder whose repo/ is its clone."""

    def __init__(self, tmp_path: Path) -> None:
        self.origin = tmp_path / "origin"
        self.deploy = tmp_path / "deploy"
        self.env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Biên tập viên",
            "GIT_AUTHOR_EMAIL": "bien-tap@example.org",
            "GIT_COMMITTER_NAME": "Biên tập viên",
            "GIT_COMMITTER_EMAIL": "bien-tap@example.org",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "SOURCE_DATE_EPOCH": "1735689600",
            "ANCONGTHUONG_SITE": f"{sys.executable} -m ancongthuong_site",
        }
        self.origin.mkdir()
        shutil.copytree(REPO / "templates", self.origin / "templates")
        shutil.copytree(REPO / "static", self.origin / "static")
        (self.origin / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
        self.write("content/2024/02/bai-dau-tien.md", _article("Bài đầu tiên", "2024-02-27"))
        self.git("init", "-q", "-b", "main", cwd=self.origin)
        self.commit("Bài đầu tiên")
        self.deploy.mkdir()
        self.git("clone", "-q", str(self.origin), str(self.deploy / "repo"), cwd=tmp_path)

    def git(self, *args: str, cwd: Path) -> None:
        subprocess.run(["git", *args], cwd=cwd, env=self.env, check=True, capture_output=True)

    def write(self, rel: str, text: str) -> None:
        path = self.origin / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def commit(self, message: str) -> None:
        self.git("add", "-A", cwd=self.origin)
        self.git("commit", "-q", "-m", message, cwd=self.origin)

    def publish(self, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PUBLISH), str(self.deploy)],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=600,
        )

    @property
    def current(self) -> str:
        return os.readlink(self.deploy / "current")

    def releases(self) -> list[str]:
        return sorted(path.name for path in (self.deploy / "releases").iterdir())

    def leftovers(self) -> list[str]:
        """Anything in the deploy folder besides repo/, releases/ and current."""
        return sorted(
            path.name
            for path in self.deploy.iterdir()
            if path.name not in ("repo", "releases", "current")
        )


@pytest.mark.skipif(
    shutil.which("git") is None or " " in sys.executable,
    reason="needs git, and a Python path without spaces",
)
def test_publish_script_switches_atomically_and_keeps_the_site_on_failure(
    tmp_path: Path,
) -> None:
    site = Deployment(tmp_path)

    first = site.publish()
    assert first.returncode == 0, first.stderr
    assert (site.deploy / "current").is_symlink()
    assert site.current == f"releases/{site.releases()[0]}"
    assert (site.deploy / "current" / "2024" / "02" / "bai-dau-tien" / "index.html").is_file()

    # Nothing changed: the identical build is discarded and `current` stays.
    again = site.publish()
    assert again.returncode == 0, again.stderr
    assert site.releases() == [site.current.split("/")[1]]

    # A broken article: the run fails and the live release is untouched.
    live = site.current
    site.write("content/2024/03/hong.md", _article("Bài hỏng", "2024-02-30"))
    site.commit("Bài hỏng")
    broken = site.publish()
    assert broken.returncode == 1
    assert "E112" in broken.stderr
    assert site.current == live
    assert site.releases() == [live.split("/")[1]]

    # Fixed, with a new article: a new release goes live, the old one is kept.
    (site.origin / "content/2024/03/hong.md").unlink()
    site.write("content/2024/03/bai-moi.md", _article("Bài mới", "2024-03-01"))
    site.commit("Bài mới")
    fixed = site.publish()
    assert fixed.returncode == 0, fixed.stderr
    assert site.current != live
    assert len(site.releases()) == 2
    assert (site.deploy / "current" / "2024" / "03" / "bai-moi" / "index.html").is_file()

    # Only the newest KEEP_RELEASES releases stay, the live one among them.
    site.write("content/2024/03/bai-thu-ba.md", _article("Bài thứ ba", "2024-03-02"))
    site.commit("Bài thứ ba")
    pruned = site.publish(KEEP_RELEASES="2")
    assert pruned.returncode == 0, pruned.stderr
    assert len(site.releases()) == 2
    assert site.current.split("/")[1] == site.releases()[-1]

    # No lock, temporary link or build lock file is left behind.
    assert site.leftovers() == []
    assert [name for name in site.releases() if name.startswith(".")] == []


@pytest.mark.skipif(
    shutil.which("git") is None or " " in sys.executable,
    reason="needs git, and a Python path without spaces",
)
def test_publish_script_runs_one_at_a_time(tmp_path: Path) -> None:
    site = Deployment(tmp_path)
    lock = site.deploy / ".publish.lock"

    # A live holder (this test's own process): the run steps aside with status 75.
    os.symlink(str(os.getpid()), lock)
    busy = site.publish()
    assert busy.returncode == 75
    assert not (site.deploy / "current").exists()
    assert os.readlink(lock) == str(os.getpid())

    # A holder that has exited (a run killed with -9): the lock is taken over.
    lock.unlink()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    os.symlink(str(dead.pid), lock)
    taken = site.publish()
    assert taken.returncode == 0, taken.stderr
    assert (site.deploy / "current" / "index.html").is_file()
    assert not lock.exists() and not lock.is_symlink()


def test_publish_script_refuses_bad_usage(tmp_path: Path) -> None:
    no_args = subprocess.run([str(PUBLISH)], capture_output=True, text=True)
    assert no_args.returncode == 2
    not_a_site = subprocess.run([str(PUBLISH), str(tmp_path)], capture_output=True, text=True)
    assert not_a_site.returncode == 2
    assert list(tmp_path.iterdir()) == []


# -- the editors' guide ---------------------------------------------------------------------


def test_guide_lists_every_error_code_with_its_title() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    rows = {
        match[1]: match[2]
        for match in re.finditer(r"^\| ([EW]\d{3}) \| ([^|]+?) \|", text, flags=re.MULTILINE)
    }
    for code, title in CODES.items():
        assert code in rows, f"the guide's error table has no row for {code}"
        assert rows[code] == title, f"{code}: the guide says {rows[code]!r}, the program {title!r}"
        # An example message in the form the program prints: `path[:line]: CODE message`.
        # (a placeholder such as `<thư mục gốc của site>` may stand for a machine's path).
        place = r"(?:<[^<>`]+>|[^`\s]+)"
        assert re.search(rf"`{place}(?::\d+)?: {code} [^`]+`", text), f"no example for {code}"
    assert set(rows) <= set(CODES), "the guide lists codes the program does not have"


def test_guide_documents_every_front_matter_field() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for field in ARTICLE_FIELDS:
        assert re.search(rf"^### {field}\b", text, flags=re.MULTILINE), field


def readme_table(after: str, header: str) -> list[list[str]]:
    """The cells of the first README table with `header` after the heading `after`."""
    text = README.read_text(encoding="utf-8")
    lines = text[text.index(after) :].splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_readme_article_table_lists_the_loaders_fields_in_order() -> None:
    names, required = [], set()
    for first, needed, _meaning in readme_table(
        "## Writing an article", "| field | required | meaning |"
    ):
        for name in re.findall(r"`([a-z_]+)`", first):
            names.append(name)
            if needed == "yes":
                required.add(name)
    assert names == list(ARTICLE_FIELDS)
    assert required == set(REQUIRED_ARTICLE_FIELDS)


def test_readme_error_table_lists_every_code_in_order() -> None:
    rows = readme_table("## Errors", "| code | meaning | example | what to do |")
    assert [row[0] for row in rows] == list(CODES)
    for code, meaning, example, _todo in rows:
        assert meaning and f" {code} " in example, code
