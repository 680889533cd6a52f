"""No published URL dies: an article whose URL changed keeps its old one as a redirect."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import article, html, run_cli

GIT = ["git", "-c", "user.name=Biên tập", "-c", "user.email=bien-tap@example.org"]


def git(root: Path, *args: str) -> None:
    subprocess.run([*GIT, "-C", str(root), *args], check=True, capture_output=True)


def test_a_corrected_date_keeps_the_old_url_in_a_fresh_clone(make_site, tmp_path: Path) -> None:
    root = make_site(
        {
            "content/2024/02/hoi-nghi.md": article(title="Hội nghị", date="2024-02-27 14:00"),
            "content/2024/02/tam-biet.md": article(title="Bài sẽ xóa", date="2024-02-20 08:00"),
            "content/gioi-thieu.md": article(title="Bài khác", date="2024-01-05 08:00"),
        }
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "content", "templates", "static", "site.yaml")
    git(root, "commit", "-q", "-m", "Đăng bài")
    # The date was wrong: corrected, and the article moves to March. Another is deleted.
    (root / "content/2024/02/hoi-nghi.md").write_text(
        article(title="Hội nghị", date="2024-03-05 14:00"), encoding="utf-8"
    )
    git(root, "rm", "-q", "content/2024/02/tam-biet.md")
    git(root, "mv", "content/gioi-thieu.md", "content/bai-khac.md")  # a better file name
    git(root, "commit", "-q", "-am", "Sửa ngày")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    assert not (clone / ".cache").exists()

    checked = run_cli("check", "--root", clone)
    assert checked.returncode == 0, checked.stderr
    warning = [line for line in checked.stderr.splitlines() if "W171" in line]
    assert warning == [
        'content/2024/02/hoi-nghi.md:3: W171 địa chỉ của bài đã đổi: "/2024/02/hoi-nghi/" →'
        ' "/2024/03/hoi-nghi/"; địa chỉ cũ tự chuyển hướng sang địa chỉ mới',
        'content/bai-khac.md:3: W171 địa chỉ của bài đã đổi: "/2024/01/gioi-thieu/" →'
        ' "/2024/01/bai-khac/"; địa chỉ cũ tự chuyển hướng sang địa chỉ mới',
    ]
    assert 'aliases: ["/2024/02/hoi-nghi/"]' in checked.stderr

    assert run_cli("build", "--root", clone).returncode == 0
    refresh = html(clone / "_site/2024/02/hoi-nghi/index.html").css_first(
        'meta[http-equiv="refresh"]'
    )
    assert refresh.attributes["content"] == "0; url=/2024/03/hoi-nghi/"
    assert (clone / "_site/2024/03/hoi-nghi/index.html").is_file()
    assert (clone / "_site/2024/01/gioi-thieu/index.html").is_file()
    # Deleted on purpose: its address is gone, not redirected anywhere.
    assert not (clone / "_site/2024/02/tam-biet").exists()


def test_a_renamed_file_redirects_and_a_site_outside_git_uses_the_cache(make_site) -> None:
    root = make_site({"content/a.md": article(title="Bài A")})
    assert run_cli("build", "--root", root).returncode == 0
    (root / "content/a.md").rename(root / "content/bai-a.md")
    (root / "content/bai-a.md").write_text(article(title="Bài A", slug="bai-a"))
    # Not in git: the cache remembers the URL the last build published, under the old
    # name only, so a renamed file outside git is a deletion plus a new article.
    assert run_cli("build", "--root", root).returncode == 0
    assert not (root / "_site/2024/02/a").exists()
    (root / "content/bai-a.md").write_text(article(title="Bài A", date="2024-03-01"))
    assert run_cli("build", "--root", root).returncode == 0
    (root / "content/bai-a.md").write_text(article(title="Bài A", date="2024-04-01"))
    result = run_cli("build", "--root", root)
    assert result.returncode == 0 and "W171" in result.stderr
    refresh = html(root / "_site/2024/03/bai-a/index.html").css_first('meta[http-equiv="refresh"]')
    assert refresh.attributes["content"] == "0; url=/2024/04/bai-a/"


def test_an_english_page_in_git_history_has_not_moved(make_site) -> None:
    page = "---\ntitle: Contact\n---\nWrite to us.\n"
    root = make_site({"content/pages/en/contact.md": page, "content/a.md": article(title="Bài A")})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "content", "templates", "static", "site.yaml")
    git(root, "commit", "-q", "-m", "English contact page")

    checked = run_cli("check", "--root", root)
    assert checked.returncode == 0, checked.stderr
    assert "W171" not in checked.stderr
    assert run_cli("build", "--root", root).returncode == 0
    assert (root / "_site/en/contact/index.html").is_file()
    assert not (root / "_site/contact").exists()
