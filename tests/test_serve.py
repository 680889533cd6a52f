"""Tests for the development server: hostile requests over raw sockets, live reload, overlay.

Requests are sent with raw sockets, exactly as written (like `curl --path-as-is`), because
http.client and urllib normalise or refuse many of the hostile forms.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ancongthuong_site import serve
from ancongthuong_site.serve import DevServer, changed_pages, resolve_request_path

SECRET = b"TOP-SECRET-d41d8cd9"
PASSWD_MARK = b"root:"
ERROR_STATUSES = {400, 403, 404, 405, 414}

INDEX_HTML = (
    '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8"><title>Trang chủ</title>'
    "</head>\n<body><h1>Sở Công Thương An Giang</h1>\n<!-- </body> inside a comment -->\n"
    "<p>Trang chủ</p>\n</body>\n</html>\n"
)
A_INDEX_HTML = "<html><BODY><p>Chuyên mục A</p></BODY></html>\n"
NOT_FOUND_HTML = "<html><body><h1>404 của site: không có trang này</h1></body></html>\n"
NO_BODY_HTML = "<p>Trang không có thẻ body</p>"
STYLE_CSS = "body { color: #123; }\n"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    header_lines: list[str]
    body: bytes


def built_tree_with_baits(base: Path) -> Path:
    """A built-looking tree plus baits: a dotfile, a .git folder, links out of the tree, a
    file outside it."""
    out = base / "site"
    (out / "a").mkdir(parents=True)
    (out / "empty").mkdir()
    (out / ".git").mkdir()
    (out / "index.html").write_text(INDEX_HTML, encoding="utf-8")
    (out / "a/index.html").write_text(A_INDEX_HTML, encoding="utf-8")
    (out / "404.html").write_text(NOT_FOUND_HTML, encoding="utf-8")
    (out / "style.css").write_text(STYLE_CSS, encoding="utf-8")
    (out / "no-body.html").write_text(NO_BODY_HTML, encoding="utf-8")
    (out / "tài-liệu.html").write_text("<body>tài liệu</body>", encoding="utf-8")
    (out / ".git/config").write_bytes(b"[core]\n" + SECRET)
    (out / ".env").write_bytes(b"PASSWORD=" + SECRET)
    evil = base / "site-evil"
    evil.mkdir()
    (evil / "secret.txt").write_bytes(SECRET)
    (base / "secret.txt").write_bytes(SECRET)
    (out / "link-to-etc").symlink_to("/etc")
    (out / "passwd-link.txt").symlink_to("/etc/passwd")
    (out / "evil-link").symlink_to(evil)
    (out / "secret-link.txt").symlink_to(base / "secret.txt")
    (out / "alias.css").symlink_to("style.css")  # inside the site: allowed
    return out


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_tree_with_baits(tmp_path_factory.mktemp("srv"))


@pytest.fixture(scope="module")
def server(tree: Path) -> Iterator[DevServer]:
    dev = DevServer(tree, port=0)
    dev.start()
    yield dev
    dev.shutdown()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[DevServer]:
    """A server of its own, for tests that change its state or its folder."""
    dev = DevServer(built_tree_with_baits(tmp_path), port=0)
    dev.start()
    yield dev
    dev.shutdown()


def send_raw(
    port: int, data: bytes, timeout: float = 10.0, *, half_close: bool = False
) -> Response | None:
    """Send bytes as they are; None when the server closed the connection without answering.

    `half_close` ends our side after sending, for data with no line end (the server would
    otherwise wait for the rest of the request line until its timeout).
    """
    chunks: list[bytes] = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    raw = b"".join(chunks)
    if not raw:
        return None
    if not raw.startswith(b"HTTP/"):
        return Response(0, {}, [], raw)  # an HTTP/0.9 answer has no status line
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(int(lines[0].split()[1]), headers, lines[1:], body)


def request(
    port: int,
    target: str | bytes,
    *,
    method: str = "GET",
    host: str | None = "localhost",
    version: str = "HTTP/1.1",
    extra: tuple[str, ...] = (),
) -> Response:
    if isinstance(target, str):
        target = target.encode("latin-1")
    lines = [method.encode() + b" " + target + b" " + version.encode()]
    if host is not None:
        lines.append(f"Host: {host}".encode("latin-1"))
    lines += [h.encode("latin-1") for h in extra]
    resp = send_raw(port, b"\r\n".join(lines) + b"\r\n\r\n")
    assert resp is not None, f"no response to {target!r}"
    return resp


def assert_alive(port: int) -> None:
    resp = request(port, "/")
    assert resp.status == 200
    assert "Sở Công Thương".encode() in resp.body


def assert_safe(resp: Response | None) -> None:
    if resp is None:
        return
    assert resp.status != 200
    assert SECRET not in resp.body
    assert PASSWD_MARK not in resp.body
    location = resp.headers.get("location")
    if location is not None:
        assert location.startswith("/") and not location.startswith("//")
        assert "\\" not in location


# --- hostile requests: traversal, encodings, hosts, methods, sizes, slow clients ------------

TRAVERSAL_TARGETS = {
    "01-dotdot": "/../../../../etc/passwd",
    "02-encoded-slash": "/..%2f..%2f..%2fetc%2fpasswd",
    "03-encoded-dots": "/%2e%2e/%2e%2e/etc/passwd",
    "03-encoded-dots-upper": "/%2E%2E/%2E%2E/etc/passwd",
    "04-double-encoding": "/%252e%252e/%252e%252e/etc/passwd",
    "05-encoded-backslash": "/..%5c..%5csecret.txt",
    "05-backslash": "/..\\..\\secret.txt",
    "06-four-dots": "/....//....//etc/passwd",
    "07-overlong-utf8": "/%c0%ae%c0%ae/etc/passwd",
    "07-overlong-utf8-slash": "/%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
    "08-nul-dir": "/..%00/etc/passwd",
    "08-nul-suffix": "/index.html%00.png",
    "09-sibling": "/../site-evil/secret.txt",
    "09-sibling-encoded": "/..%2fsite-evil%2fsecret.txt",
    "09-sibling-symlink": "/evil-link/secret.txt",
    "10-no-leading-slash": "../secret.txt",
    "10-absolute-form": "http://127.0.0.1:{port}/../../etc/passwd",
    "10-absolute-form-plain": "http://127.0.0.1:{port}/index.html",
    "11-double-slash": "//evil.example/%2f..",
    "11-backslash-host": "/\\evil.example/%2e%2e%2f",
    "11-encoded-slash-host": "/%2f/evil.example/",
    "11-triple-slash": "///evil.example/a",
    "12-symlink-dir": "/link-to-etc/passwd",
    "12-symlink-file": "/passwd-link.txt",
    "12-symlink-secret": "/secret-link.txt",
    "14-git-config": "/.git/config",
    "14-git-encoded": "/%2egit/config",
    "14-env": "/.env",
    "14-dir-without-index": "/empty/",
    "14-dir-without-index-no-slash": "/empty",
    "14-dot-segment": "/./index.html",
    "14-encoded-dot-segment": "/a/%2e/index.html",
    "18-livereload-garbage": "/__livereload/abc/def",
    "18-livereload-huge": "/__livereload/" + "9" * 400,
    "18-livereload-suffix": "/__livereloadxyz",
    "18-livereload-nul": "/__livereload%00",
    "18-livereload-dotdot": "/__livereload/../etc/passwd",
    "18-old-livereload": "/livereload/abc/def",
}


@pytest.mark.parametrize("target", TRAVERSAL_TARGETS.values(), ids=TRAVERSAL_TARGETS.keys())
def test_traversal_is_refused(server: DevServer, target: str) -> None:
    resp = request(server.port, target.format(port=server.port))
    assert resp.status in ERROR_STATUSES
    assert_safe(resp)
    assert_alive(server.port)


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:80",
        "localhost.evil.com",
        "localhost.evil.com:{port}",
        "127.0.0.1.nip.io",
        "evil-localhost",
        "localhost.",
        "localhost:abc",
        "localhost:80:80",
        "[::1",
        "[::2]:80",
        "0.0.0.0",
        "",
    ],
)
def test_a_foreign_host_header_is_refused(server: DevServer, host: str) -> None:
    resp = request(server.port, "/", host=host.format(port=server.port))
    assert resp.status == 400
    assert_safe(resp)
    assert_alive(server.port)


def test_a_missing_or_repeated_host_header_is_refused(server: DevServer) -> None:
    assert request(server.port, "/", host=None).status == 400  # HTTP/1.1 requires Host
    assert request(server.port, "/", host=None, version="HTTP/1.0").status == 200
    dup = request(server.port, "/", extra=("Host: evil.example",))
    assert dup.status == 400
    assert_alive(server.port)


@pytest.mark.parametrize(
    "host", ["localhost", "LocalHost", "localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}"]
)
def test_loopback_host_headers_are_allowed(server: DevServer, host: str) -> None:
    resp = request(server.port, "/", host=host.format(port=server.port))
    assert resp.status == 200


def test_a_configured_host_header_is_allowed(tree: Path) -> None:
    with DevServer(tree, port=0, allowed_hosts=["may-chu.local", "fe80::1"]) as dev:
        assert request(dev.port, "/", host=f"may-chu.local:{dev.port}").status == 200
        assert request(dev.port, "/", host="[fe80::1]:80").status == 200
        assert request(dev.port, "/", host="may-chu.local.evil.com").status == 400


@pytest.mark.parametrize(
    "method", ["POST", "PUT", "DELETE", "PROPFIND", "PATCH", "OPTIONS", "TRACE", "MKCOL"]
)
def test_methods_other_than_get_and_head_get_405(server: DevServer, method: str) -> None:
    resp = request(server.port, "/index.html", method=method, extra=("Content-Length: 0",))
    assert resp.status == 405
    assert resp.headers["allow"] == "GET, HEAD"
    assert_safe(resp)
    assert_alive(server.port)


def test_a_long_url_gets_414(server: DevServer) -> None:
    resp = request(server.port, "/" + "a" * (9 * 1024))
    assert resp.status == 414
    assert_alive(server.port)


def test_a_64k_url_is_refused_or_closed(server: DevServer) -> None:
    data = b"GET /" + b"a" * (64 * 1024) + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    resp = send_raw(server.port, data)
    assert resp is None or resp.status in {414, 431}
    assert_alive(server.port)


def test_many_headers_are_refused_or_closed(server: DevServer) -> None:
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(10_000))
    resp = send_raw(server.port, b"GET / HTTP/1.1\r\nHost: localhost\r\n" + headers + b"\r\n")
    assert resp is None or resp.status in {400, 431}
    assert_alive(server.port)


def test_a_huge_header_line_is_refused_or_closed(server: DevServer) -> None:
    data = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n"
    resp = send_raw(server.port, data)
    assert resp is None or resp.status in {400, 431}
    assert_alive(server.port)


def test_a_slow_client_does_not_block_others(server: DevServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
        for byte in b"GET / HT":
            slow.sendall(bytes([byte]))
            time.sleep(0.05)
            # Other clients are served while the slow one dribbles (one thread each).
        assert_alive(server.port)


def test_an_idle_client_is_disconnected(server: DevServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve._Handler, "timeout", 0.5)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle:
        idle.sendall(b"GET / HT")
        t0 = time.monotonic()
        try:
            leftover = idle.recv(1024)
        except ConnectionResetError:
            leftover = b""
        assert leftover == b""
        assert time.monotonic() - t0 < 5
    assert_alive(server.port)


def test_garbage_request_lines(server: DevServer) -> None:
    for data in (
        b"\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: localhost\r\n\r\n",
        b"GET / FOO/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /\r\n\r\n",  # HTTP/0.9: no Host, refused
        b"GET /\xc3\xa0 HTTP/1.1\r\nHost: localhost\r\n\r\n",  # raw non-ASCII target
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # a TLS ClientHello
    ):
        assert_safe(send_raw(server.port, data, half_close=True))
    assert_alive(server.port)


# --- ordinary serving -------------------------------------------------------------------------


def test_index_is_served_with_livereload_script(server: DevServer, tree: Path) -> None:
    resp = request(server.port, "/")
    assert resp.status == 200
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    assert resp.headers["cache-control"] == "no-store"
    assert int(resp.headers["content-length"]) == len(resp.body)
    body = resp.body
    script_at = body.find(b'new EventSource("/__livereload?since="+p)')
    assert script_at > 0
    # Before the last </body>, not the one inside the comment.
    assert body.find(b"inside a comment") < script_at < body.rfind(b"</body>")
    assert body.count(b"<script>") == 1
    match = re.search(rb"var p=(\d+)", body)
    assert match and int(match.group(1)) == server.epoch
    assert (tree / "index.html").read_text(encoding="utf-8") == INDEX_HTML  # not on disk


def test_injection_is_case_insensitive_and_falls_back_to_end(server: DevServer) -> None:
    a = request(server.port, "/a/").body
    assert a.find(b"EventSource") < a.rfind(b"</BODY>")
    nobody = request(server.port, "/no-body.html").body
    assert nobody.startswith(NO_BODY_HTML.encode())
    assert nobody.endswith(b"</script>")


def test_files_linked_by_their_content_are_cached_and_others_not(server: DevServer) -> None:
    named = request(server.port, "/style.css?v=3f2a9c01d4")
    assert named.status == 200 and "immutable" in named.headers["cache-control"]
    assert request(server.port, "/style.css").headers["cache-control"] == "no-store"
    assert request(server.port, "/?v=1").headers["cache-control"] == "no-store"  # a page


def test_static_files_are_not_touched(server: DevServer) -> None:
    resp = request(server.port, "/style.css")
    assert resp.status == 200
    assert resp.headers["content-type"] == "text/css; charset=utf-8"
    assert resp.headers["cache-control"] == "no-store"
    assert resp.body == STYLE_CSS.encode()
    alias = request(server.port, "/alias.css?v=1")
    assert alias.status == 200 and alias.body == STYLE_CSS.encode()


def test_vietnamese_file_name(server: DevServer) -> None:
    resp = request(server.port, "/t%C3%A0i-li%E1%BB%87u.html")
    assert resp.status == 200
    assert "tài liệu".encode() in resp.body


def test_head_has_no_body(server: DevServer) -> None:
    resp = request(server.port, "/", method="HEAD")
    assert resp.status == 200
    assert int(resp.headers["content-length"]) > len(INDEX_HTML)
    assert resp.body == b""
    missing = request(server.port, "/khong-co", method="HEAD")
    assert missing.status == 404 and missing.body == b""


@pytest.mark.parametrize(
    ("target", "location"),
    [("/a", "/a/"), ("/a?trang=2", "/a/?trang=2"), ("/a?x=//evil.example", "/a/?x=//evil.example")],
)
def test_directory_without_slash_redirects_path_only(
    server: DevServer, target: str, location: str
) -> None:
    resp = request(server.port, target)
    assert resp.status == 301
    assert resp.headers["location"] == location
    assert_safe(resp)


def test_missing_file_serves_404_html(server: DevServer) -> None:
    resp = request(server.port, "/tin-tuc/khong-co-bai-nay/")
    assert resp.status == 404
    assert "404 của site".encode() in resp.body
    assert b"EventSource" in resp.body


def test_missing_404_html_gives_vietnamese_page(fresh: DevServer) -> None:
    (fresh.out_dir / "404.html").unlink()
    resp = request(fresh.port, "/khong-co")
    assert resp.status == 404
    assert "Không tìm thấy trang".encode() in resp.body


def test_output_folder_replaced_by_rename_is_picked_up(fresh: DevServer) -> None:
    out = fresh.out_dir
    assert b"Trang ch" in request(fresh.port, "/").body
    staging = out.with_name("site.staging")
    staging.mkdir()
    (staging / "index.html").write_text("<body>bản dựng mới</body>", encoding="utf-8")
    os.rename(out, out.with_name("site.old"))
    assert request(fresh.port, "/").status == 404  # between renames: nothing, no crash
    os.rename(staging, out)
    assert "bản dựng mới".encode() in request(fresh.port, "/").body


def test_handler_exception_gives_500_and_server_lives(
    fresh: DevServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(root: Path, raw_path: str) -> None:
        raise RuntimeError("handler bug")

    monkeypatch.setattr(serve, "resolve", boom)
    assert request(fresh.port, "/style.css").status == 500
    monkeypatch.undo()
    assert request(fresh.port, "/style.css").status == 200


# --- live reload and error overlay -------------------------------------------------------------


def open_events(port: int, target: str = "/__livereload") -> tuple[socket.socket, BinaryIO]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % target.encode())
    reader = sock.makefile("rb")
    status = reader.readline()
    assert b" 200 " in status
    headers = []
    while (line := reader.readline()) not in (b"\r\n", b""):
        headers.append(line.decode("latin-1").lower())
    assert any(h.startswith("content-type: text/event-stream") for h in headers)
    return sock, reader


def next_data(reader: BinaryIO) -> int:
    while True:
        line = reader.readline()
        assert line, "event stream closed"
        if line.startswith(b"data: "):
            return int(line[6:].split()[0])


def next_message(reader: BinaryIO) -> bytes:
    while not (line := reader.readline()).startswith(b"data: "):
        assert line, "event stream closed"
    return line.rstrip(b"\n")


def test_sse_gets_event_after_notify(fresh: DevServer) -> None:
    sock, reader = open_events(fresh.port)
    with sock, reader:
        assert reader.readline() == b"retry: 1000\n"
        first = next_data(reader)
        assert first == fresh.epoch
        sock.settimeout(2.0)  # "within 2 s"
        fresh.notify_reload()
        assert next_data(reader) == first + 1
        fresh.notify_reload()
        assert next_data(reader) == first + 2


def test_a_change_names_the_pages_it_changed(fresh: DevServer) -> None:
    sock, reader = open_events(fresh.port)
    with sock, reader:
        first = next_data(reader)
        sock.settimeout(2.0)
        fresh.notify_reload(["/2024/02/a/", "/"])
        assert next_message(reader) == b"data: %d / /2024/02/a/" % (first + 1)
        fresh.notify_reload()  # anything else: no list, every page reloads
        assert next_message(reader) == b"data: %d" % (first + 2)
        fresh.notify_reload([])  # a rebuild that changed no page: none reloads
        assert next_message(reader) == b"data: %d -" % (first + 3)
    assert changed_pages(["2024/02/a/index.html", "index.html", "feed.xml"]) == ["/2024/02/a/", "/"]
    assert changed_pages(["2024/02/a/index.html", "css/site.css"]) is None


def test_a_page_whose_stream_opens_after_a_change_reloads_only_if_it_changed(
    fresh: DevServer,
) -> None:
    served = fresh.epoch  # the epoch a page was served at, before a save
    fresh.notify_reload(["/2024/02/a/"])
    fresh.notify_reload([])
    for since, expected in ((served, b" /2024/02/a/"), (served + 1, b" -"), (1, b"")):
        sock, reader = open_events(fresh.port, f"/__livereload?since={since}")
        with sock, reader:
            assert next_message(reader) == b"data: %d" % (served + 2) + expected


def test_error_overlay_is_injected_and_removed(fresh: DevServer) -> None:
    line = 'content/a.md:3: E112 ngày giờ không hợp lệ <script>alert(1)</script> & "x"'
    before = fresh.epoch
    fresh.set_error([line, "    gợi ý: dùng YYYY-MM-DD"])
    assert fresh.epoch > before
    body = request(fresh.port, "/").body
    assert b'id="ancongthuong-error-overlay"' in body
    assert "Lỗi khi dựng trang".encode() in body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;" in body
    assert b"<script>alert(1)" not in body
    assert "gợi ý: dùng YYYY-MM-DD".encode() in body
    overlay_at = body.find(b"ancongthuong-error-overlay")
    assert overlay_at < body.rfind(b"</body>")
    # Every HTML page, the 404 page included; never CSS, never the file on disk.
    assert b"ancongthuong-error-overlay" in request(fresh.port, "/khong-co").body
    assert b"ancongthuong-error-overlay" not in request(fresh.port, "/style.css").body
    assert b"overlay" not in (fresh.out_dir / "index.html").read_bytes()

    fresh.set_error(None)
    assert b"ancongthuong-error-overlay" not in request(fresh.port, "/").body


def test_set_error_wakes_sse_clients(fresh: DevServer) -> None:
    sock, reader = open_events(fresh.port)
    with sock, reader:
        first = next_data(reader)
        sock.settimeout(2.0)
        fresh.set_error(["content/a.md:1: E101 phần khai báo không được đóng"])
        assert next_data(reader) > first


def test_shutdown_is_prompt_with_open_sse_client(tmp_path: Path) -> None:
    dev = DevServer(built_tree_with_baits(tmp_path), port=0)
    dev.start()
    sock, reader = open_events(dev.port)
    with sock, reader:
        next_data(reader)
        t0 = time.monotonic()
        dev.shutdown()
        assert time.monotonic() - t0 < 5
        sock.settimeout(5)
        assert reader.read().strip() == b""  # the stream ended cleanly, nothing more sent
    dev.shutdown()  # idempotent


def test_port_url_and_context_manager(tree: Path) -> None:
    with DevServer(tree, port=0) as dev:
        assert dev.port > 0
        assert dev.url == f"http://127.0.0.1:{dev.port}/"
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", dev.port), timeout=2):
        pass


# --- resolve_request_path --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", "index.html"),
        ("/index.html", "index.html"),
        ("/?q=1", "index.html"),
        ("/a/", "a/index.html"),
        ("/a", "a/index.html"),
        ("/a%2Findex.html", "a/index.html"),  # decoded once: %2F is a separator
        ("/style.css", "style.css"),
        ("/alias.css", "style.css"),
        ("/t%C3%A0i-li%E1%BB%87u.html", "tài-liệu.html"),
        ("/style.css/", None),
        ("/empty/", None),
        ("/nope.html", None),
        ("/a//index.html", None),
        ("", None),
        ("index.html", None),
        ("/%", None),
        ("/%zz", None),
        ("/%ff", None),
        ("/a\\index.html", None),
        ("/a%5Cindex.html", None),
        ("/index.html%00", None),
        ("/index.html%0a", None),
        ("/.env", None),
        ("/.git/config", None),
        ("/a/../index.html", None),
        ("/link-to-etc/passwd", None),
        ("/link-to-etc/", None),
        ("/evil-link/secret.txt", None),
        ("/secret-link.txt", None),
        ("/%2e%2e/site-evil/secret.txt", None),
        ("/" + "a" * 5000, None),  # ENAMETOOLONG is "not found", not an exception
    ],
)
def test_resolve_request_path(tree: Path, raw: str, expected: str | None) -> None:
    result = resolve_request_path(tree, raw)
    if expected is None:
        assert result is None
    else:
        assert result == (tree / expected).resolve()


def test_resolve_refuses_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert resolve_request_path(tmp_path, "/loop") is None
    assert resolve_request_path(tmp_path, "/loop/x") is None


# Brief's traversal alphabet, plus names of the baits so that examples can reach them.
ALPHABET = [".", "/", "\\", "%", "2e", "2f", "5c", "00", "‥", " ", "a"]
ALPHABET += ["site-evil", "secret.txt", "link-to-etc", "passwd", "etc", "index.html", "25"]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from(["", "/", "//"]),
    tokens=st.lists(st.sampled_from(ALPHABET), max_size=24),
)
def test_resolve_request_path_never_escapes(tree: Path, prefix: str, tokens: list[str]) -> None:
    raw = prefix + "".join(tokens)
    result = resolve_request_path(tree, raw)
    if result is not None:
        assert result.is_relative_to(tree.resolve())
        assert result.is_file()
        assert SECRET not in result.read_bytes()


@settings(max_examples=300, deadline=None)
@given(raw=st.text(max_size=60))
def test_resolve_request_path_never_raises(tree: Path, raw: str) -> None:
    result = resolve_request_path(tree, raw)
    assert result is None or result.is_relative_to(tree.resolve())
