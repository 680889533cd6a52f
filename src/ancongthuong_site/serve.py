"""Development server for the built site: localhost only, live reload, build-error overlay.

It knows nothing about building. The CLI wires a watcher and a rebuild to `notify_reload()`
and `set_error()`. It is safe against hostile requests from other local programs and web
pages: paths are decoded once, dot segments and escaping symlinks are refused, the Host
header is checked against a loopback allowlist (DNS rebinding), and redirects are path-only.
"""

from __future__ import annotations

import contextlib
import html
import logging
import mimetypes
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

__all__ = ["DevServer", "resolve_request_path"]

logger = logging.getLogger(__name__)

LIVERELOAD_PATH = "/__livereload"
MAX_REQUEST_LINE = 8 * 1024
KEEPALIVE_SECONDS = 15.0
HANDLER_TIMEOUT_SECONDS = 30.0  # a slow (or slowloris) client gives its thread back

_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")

# Our own table first: the system's mime.types differs between machines.
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
}

_DEFAULT_404 = (
    '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">'
    "<title>Không tìm thấy trang</title></head>\n<body><h1>Không tìm thấy trang</h1>"
    "<p>Địa chỉ này không có trong bản dựng hiện tại.</p></body></html>\n"
).encode()

_RELOAD_SCRIPT = (
    '<script>(function(){{var p={epoch},s=new EventSource("' + LIVERELOAD_PATH + '");'
    "s.onmessage=function(e){{if(Number(e.data)>p){{s.close();location.reload();}}}};}})();"
    "</script>"
)

_OVERLAY = (
    '<div id="ancongthuong-error-overlay" lang="vi" role="alert" style="position:fixed;inset:0;'
    "z-index:2147483647;overflow:auto;box-sizing:border-box;padding:24px;"
    'background:rgba(32,0,0,.94);color:#fff;font:15px/1.5 system-ui,sans-serif">'
    '<h2 style="margin:0 0 12px;color:#ff8a80">Lỗi khi dựng trang</h2>'
    '<pre style="margin:0;white-space:pre-wrap;font:14px/1.5 ui-monospace,monospace">'
    "{lines}</pre></div>"
)


def _resolve(root: Path, raw_path: str) -> tuple[Path, bool] | None:
    """Like `resolve_request_path`, also saying whether a directory's index was chosen."""
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    # No leading slash (`../x`), absolute form and `//host` are never file paths here.
    if not path.startswith("/") or path.startswith("//"):
        return None
    try:
        decoded = unquote(path, encoding="utf-8", errors="strict")  # once, then never again
    except UnicodeDecodeError:
        return None  # includes overlong forms such as %c0%ae
    if "\\" in decoded or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in decoded):
        return None
    *dirs, last = decoded[1:].split("/")
    # Empty, `.`, `..`, `....` and dotfiles (.git, .env) are all refused by the same rule.
    if any(not name or name.startswith(".") for name in dirs) or last.startswith("."):
        return None
    try:
        base = root.resolve()  # every call: the builder swaps the folder by renames
        target = base.joinpath(*dirs, last).resolve()
        if not target.is_relative_to(base):
            return None  # a symlink pointing out of the site
        if target.is_dir():
            index = (target / "index.html").resolve()
            if index.is_relative_to(base) and index.is_file():
                return index, True
            return None  # no directory listings
        if last and target.is_file():
            return target, False
    except (OSError, RuntimeError, ValueError):
        pass  # name too long, symlink loop, …: all just "not found"
    return None


def resolve_request_path(root: Path, raw_path: str) -> Path | None:
    """Map a raw (still percent-encoded) URL path to a file inside `root`, or None.

    The path is decoded exactly once. NUL and control characters, backslashes, empty, `.`
    and `..` segments, and any segment starting with "." are refused. The result is
    resolved and must stay inside `root.resolve()`, so symlinks out of the site are refused.
    A directory maps to its `index.html`; without one the answer is None (no listings).
    """
    found = _resolve(root, raw_path)
    return found[0] if found else None


def _content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if guessed.startswith("text/"):
        guessed += "; charset=utf-8"
    return guessed


def _strip_port(value: str) -> str | None:
    """`name[:port]` or `[v6][:port]` → the name part; None when malformed."""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[: end + 1], value[end + 1 :]
    else:
        name, sep, port = value.partition(":")
        rest = sep + port
    if rest and not (rest.startswith(":") and rest[1:].isascii() and rest[1:].isdigit()):
        return None
    return name


def _normalise_hosts(names: Iterable[str]) -> frozenset[str]:
    hosts: set[str] = set()
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        hosts.add(name)
        # Accept an IPv6 literal both bare and in brackets, as Host headers carry it bracketed.
        if name.startswith("[") and name.endswith("]"):
            hosts.add(name[1:-1])
        elif ":" in name:
            hosts.add(f"[{name}]")
    return frozenset(hosts)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client never blocks shutdown (MkDocs does the same)
    block_on_close = False
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], dev: DevServer, family: int) -> None:
        self.address_family = family
        self.dev = dev
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a DNS lookup that can stall start-up.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr; log it and keep serving.
        if isinstance(sys.exc_info()[1], ConnectionError):
            logger.debug("client %s went away", client_address)
        else:
            logger.exception("unhandled error while serving %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "ancongthuong-dev"
    sys_version = ""
    # One request per connection: no keep-alive bookkeeping, and SSE simply ends at close.
    protocol_version = "HTTP/1.0"
    timeout = HANDLER_TIMEOUT_SECONDS

    _responded = False

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    # -- plumbing -------------------------------------------------------------------------

    def handle_one_request(self) -> None:
        self._responded = False
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:
            # One bad request must never take the server down (11ty/dev-server #150).
            logger.exception("error while handling %r", getattr(self, "requestline", ""))
            self.close_connection = True
            if not self._responded:
                with contextlib.suppress(OSError):  # the client may be gone already
                    self._error(HTTPStatus.INTERNAL_SERVER_ERROR)

    def send_response(self, code: int, message: str | None = None) -> None:
        self._responded = True
        super().send_response(code, message)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Used by the base class (bad syntax, 414 over 64 KiB, 431); same plain format as ours.
        self._error(code)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug("%s %r %s", self.address_string(), self.requestline, code)

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:
        logger.warning("%s %s", self.address_string(), format % args)

    def _send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, code: int, extra: dict[str, str] | None = None) -> None:
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = ""
        headers = {"Connection": "close", **(extra or {})}
        body = f"{int(code)} {phrase}\n".encode()
        self._send_bytes(code, body, "text/plain; charset=utf-8", headers)

    # -- request checks -------------------------------------------------------------------

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if len(self.raw_requestline) > MAX_REQUEST_LINE:
            self._error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        if not self._host_allowed():
            logger.warning("refused Host %r from %s", self.headers.get("Host"), self.client_address)
            self._error(HTTPStatus.BAD_REQUEST)
            return False
        if self.command not in ("GET", "HEAD"):
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, {"Allow": "GET, HEAD"})
            return False
        return True

    def _host_allowed(self) -> bool:
        values = self.headers.get_all("Host") or []
        if not values:
            return self.request_version == "HTTP/1.0"  # HTTP/1.1 requires Host
        if len(values) > 1:
            return False
        return self.server.dev._host_ok(values[0])

    # -- responses ------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _serve(self) -> None:
        dev = self.server.dev
        target = self.path
        # Request targets are ASCII; origin form only (no `../x`, no `http://host/...`).
        if not target.isascii() or not target.startswith("/"):
            self._error(HTTPStatus.BAD_REQUEST)
            return
        path = target.split("?", 1)[0]
        if path == LIVERELOAD_PATH:
            self._serve_events()
            return
        if path.startswith(LIVERELOAD_PATH):
            self._not_found()
            return
        found = _resolve(dev.out_dir, target)
        if found is None:
            self._not_found()
            return
        file, is_index = found
        if is_index and not path.endswith("/"):
            location = path + "/" + target[len(path) :]
            # Same-origin, path-only: never `//host` (CVE-2021-28861) nor a backslash form.
            if location.startswith("/") and not location.startswith("//") and "\\" not in location:
                self._send_bytes(
                    HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", {"Location": location}
                )
            else:
                self._not_found()
            return
        try:
            body = file.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            self._not_found()  # the builder swapped the folder between resolve and read
            return
        content_type = _content_type(file)
        if content_type.startswith("text/html"):
            body = dev._decorate(body)
        self._send_bytes(HTTPStatus.OK, body, content_type)

    def _not_found(self) -> None:
        dev = self.server.dev
        body = None
        page = resolve_request_path(dev.out_dir, "/404.html")
        if page is not None:
            try:
                body = page.read_bytes()
            except OSError:
                body = None
        body = dev._decorate(body if body is not None else _DEFAULT_404)
        self._send_bytes(HTTPStatus.NOT_FOUND, body, "text/html; charset=utf-8")

    def _serve_events(self) -> None:
        dev = self.server.dev
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command == "HEAD":
            return
        sent = dev.epoch
        # The current epoch right away: a build that finished between serving the page and
        # this connection still reloads it (the page compares against its own epoch).
        self.wfile.write(b"retry: 1000\n\ndata: %d\n\n" % sent)
        while True:
            stopping, current = dev._wait_for_change(sent, KEEPALIVE_SECONDS)
            if stopping:
                return
            if current != sent:
                sent = current
                self.wfile.write(b"data: %d\n\n" % sent)
            else:
                self.wfile.write(b": keep-alive\n\n")  # also notices clients that left


class DevServer:
    """Serve `out_dir` over HTTP on a background thread, with live reload.

    `out_dir` is looked up again on every request, because the builder replaces it by
    renames. Requests must carry a loopback Host or one of `allowed_hosts` (for example the
    machine's LAN name when listening on 0.0.0.0).
    """

    def __init__(
        self,
        out_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        # absolute(), not resolve(): a symlink or renamed folder must be followed afresh.
        self.out_dir = Path(out_dir).absolute()
        self.host = host
        self.port = port
        self._allowed_hosts = _normalise_hosts((*_LOOPBACK_HOSTS, *allowed_hosts))
        self._cond = threading.Condition()
        # Start from wall-clock ms so that pages left open across a restart reload once.
        self._epoch = time.time_ns() // 1_000_000
        self._error_lines: tuple[str, ...] | None = None
        self._stopping = False
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "localhost" if self.host in _WILDCARD_HOSTS else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    @property
    def epoch(self) -> int:
        with self._cond:
            return self._epoch

    def start(self) -> None:
        """Bind and serve in the background. Raises OSError if the port cannot be bound."""
        if self._server is not None:
            raise RuntimeError("server already started")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server = _HTTPServer((self.host, self.port), self, family)
        self.port = int(server.server_address[1])
        if self.host not in _LOOPBACK_HOSTS:
            logger.warning(
                "listening on %s: other machines can reach this server", self.host or "*"
            )
        with self._cond:
            self._stopping = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="ancongthuong-serve",
            daemon=True,
        )
        self._thread.start()
        logger.info("serving %s at %s", self.out_dir.name, self.url)

    def shutdown(self) -> None:
        """Stop serving; open live-reload streams end. Safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    def notify_reload(self) -> None:
        """A new build (or a new error) is ready: bump the epoch and wake live-reload clients."""
        with self._cond:
            self._epoch += 1
            self._cond.notify_all()

    def set_error(self, lines: Sequence[str] | None) -> None:
        """Show `lines` in an overlay on every HTML page until called with None."""
        if isinstance(lines, str):  # a str is a Sequence[str]; one message, not characters
            lines = [lines]
        with self._cond:
            self._error_lines = None if lines is None else tuple(str(line) for line in lines)
        self.notify_reload()

    def _wait_for_change(self, seen: int, timeout: float) -> tuple[bool, int]:
        """Block until the epoch differs from `seen`, shutdown starts, or `timeout` passes."""
        with self._cond:
            self._cond.wait_for(lambda: self._stopping or self._epoch != seen, timeout=timeout)
            return self._stopping, self._epoch

    def _host_ok(self, header: str) -> bool:
        value = header.strip().lower()
        if value in self._allowed_hosts:
            return True  # also covers a bare `::1`
        name = _strip_port(value)
        return name is not None and name in self._allowed_hosts

    def _decorate(self, body: bytes) -> bytes:
        """Add the live-reload script (and the error overlay) at response time, never on disk."""
        with self._cond:
            epoch, lines = self._epoch, self._error_lines
        snippet = _RELOAD_SCRIPT.format(epoch=epoch)
        if lines is not None:
            escaped = "\n".join(html.escape(line, quote=True) for line in lines)
            snippet = _OVERLAY.format(lines=escaped) + snippet
        extra = snippet.encode()
        at = body.lower().rfind(b"</body")
        if at < 0:
            return body + extra
        return body[:at] + extra + body[at:]
