"""Development server for the built site: localhost only, live reload, build-error overlay.

It knows nothing about building. The CLI wires a watcher and a rebuild to `notify_reload()`
and `set_error()`. It is safe against hostile requests from other local programs and web
pages: paths are decoded once, dot segments and escaping symlinks are refused, the Host
header is checked against a loopback allowlist (DNS rebinding; all in devpaths.py), and
redirects are path-only. A rebuild names the pages it changed, and an open page reloads
only when it is one of them (or when anything else changed: a stylesheet, a script, an
error shown).
"""

from __future__ import annotations

import contextlib
import logging
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

from .devpaths import (
    LOOPBACK_HOSTS,
    WILDCARD_HOSTS,
    content_type,
    normalise_hosts,
    resolve,
    resolve_request_path,
    strip_port,
)
from .livereload import LIVERELOAD_PATH, ChangeLog, changed_pages, decorate, message, since

__all__ = ["DevServer", "changed_pages", "resolve_request_path"]

logger = logging.getLogger(__name__)

MAX_REQUEST_LINE = 8 * 1024
KEEPALIVE_SECONDS = 15.0
HANDLER_TIMEOUT_SECONDS = 30.0  # a slow (or slowloris) client gives its thread back

_DEFAULT_404 = (
    '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">'
    "<title>Không tìm thấy trang</title></head>\n<body><h1>Không tìm thấy trang</h1>"
    "<p>Địa chỉ này không có trong bản dựng hiện tại.</p></body></html>\n"
).encode()


_IMMUTABLE = "max-age=31536000, immutable"


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

    def logmessage(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:
        logger.warning("%s %s", self.address_string(), format % args)

    def _send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str,
        extra: dict[str, str] | None = None,
        cache: str = "",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache or "no-store")
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
        found = resolve(dev.out_dir, target)
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
        kind = content_type(file)
        if kind.startswith("text/html"):
            body = dev._decorate(body)
        # A file linked by its content ("?v=<digest>"): a reload needs no request for it.
        named = not kind.startswith("text/html") and "v=" in target.partition("?")[2]
        self._send_bytes(HTTPStatus.OK, body, kind, cache=_IMMUTABLE if named else "")

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
        # this connection still reloads it (the page compares against its own epoch), if
        # it is one of the pages changed since then.
        served = since(self.path)
        pages = dev._pages_between(served, sent) if served is not None and served < sent else None
        self.wfile.write(b"retry: 1000\n\n" + message(sent, pages))
        while True:
            stopping, current = dev._wait_for_change(sent, KEEPALIVE_SECONDS)
            if stopping:
                return
            if current != sent:
                pages = dev._pages_between(sent, current)
                sent = current
                self.wfile.write(message(sent, pages))
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
        self._allowed_hosts = normalise_hosts((*LOOPBACK_HOSTS, *allowed_hosts))
        self._cond = threading.Condition()
        # Start from wall-clock ms so that pages left open across a restart reload once.
        self._epoch = time.time_ns() // 1_000_000
        self._error_lines: tuple[str, ...] | None = None
        self._changes = ChangeLog()
        self._stopping = False
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "localhost" if self.host in WILDCARD_HOSTS else self.host
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
        if self.host not in LOOPBACK_HOSTS:
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

    def notify_reload(self, pages: Iterable[str] | None = None) -> None:
        """A new build (or a new error) is ready: bump the epoch and wake live-reload clients.

        `pages`: the URL paths ("/2024/02/a/") of the only pages that changed; None: all."""
        with self._cond:
            self._epoch += 1
            self._changes.record(self._epoch, pages)
            self._cond.notify_all()

    def _pages_between(self, seen: int, current: int) -> frozenset[str] | None:
        """The pages changed after epoch `seen` up to `current`; None: reload any page."""
        with self._cond:
            return self._changes.between(seen, current)

    def set_error(self, lines: Sequence[str] | None, pages: Iterable[str] | None = None) -> None:
        """Show `lines` in an overlay on every HTML page until called with None; `pages`, with
        None and no error shown before, are the only pages that changed."""
        if isinstance(lines, str):  # a str is a Sequence[str]; one message, not characters
            lines = [lines]
        with self._cond:
            shown = self._error_lines
            self._error_lines = None if lines is None else tuple(str(line) for line in lines)
        self.notify_reload(pages if lines is None and shown is None else None)

    def _wait_for_change(self, seen: int, timeout: float) -> tuple[bool, int]:
        """Block until the epoch differs from `seen`, shutdown starts, or `timeout` passes."""
        with self._cond:
            self._cond.wait_for(lambda: self._stopping or self._epoch != seen, timeout=timeout)
            return self._stopping, self._epoch

    def _host_ok(self, header: str) -> bool:
        value = header.strip().lower()
        if value in self._allowed_hosts:
            return True  # also covers a bare `::1`
        name = strip_port(value)
        return name is not None and name in self._allowed_hosts

    def _decorate(self, body: bytes) -> bytes:
        """Add the live-reload script (and the error overlay) at response time, never on disk."""
        with self._cond:
            epoch, lines = self._epoch, self._error_lines
        return decorate(body, epoch, lines)
