"""Safe output: guard the folder, lock it, stage a complete tree beside it, swap atomically.

The live output is never written into. A build fills a staging folder next to it (hard
links for unchanged files, new files for the rest), then exchanges the two folders in one
`renameat2(RENAME_EXCHANGE)` call where Linux offers it, so an interrupted or failed build
leaves the previous tree exactly as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import json
import logging
import os
import shutil
from pathlib import Path

from .errors import Problem, RefusedError

log = logging.getLogger(__name__)
MARKER = ".ancongthuong-site.json"
MANIFEST_VERSION = 1


def guard_output(root: Path, out: Path, *, force: bool = False) -> Path:
    """Resolve the output folder and refuse anything a build must never replace."""
    if out.is_symlink():
        raise _refuse(
            "E201", out, "thư mục đầu ra là một liên kết tượng trưng", "chỉ định một thư mục thật"
        )
    target = out.resolve()
    site = root.resolve()
    home = Path.home().resolve()
    if target == Path(target.anchor) or target in (home, site):
        raise _refuse(
            "E201",
            out,
            "không được dùng thư mục này làm đầu ra",
            "dùng một thư mục riêng như _site",
        )
    if site.is_relative_to(target):
        raise _refuse(
            "E201",
            out,
            "thư mục đầu ra chứa thư mục gốc của site",
            "dùng một thư mục riêng như _site",
        )
    for name in ("content", "templates", "static", ".cache", ".git"):
        if target.is_relative_to(site / name):
            raise _refuse(
                "E201", out, f"thư mục đầu ra nằm trong {name}/", "dùng một thư mục riêng như _site"
            )
    if target.exists() and not target.is_dir():
        raise _refuse("E201", out, "đầu ra đã tồn tại và không phải thư mục", "")
    if target.is_dir() and not force and any(target.iterdir()) and not (target / MARKER).is_file():
        raise _refuse(
            "E203",
            out,
            "thư mục đầu ra có sẵn nội dung không do công cụ này tạo",
            "chọn thư mục khác hoặc dùng --force nếu chắc chắn muốn thay thế",
        )
    return target


def _refuse(code: str, out: Path, message: str, hint: str) -> RefusedError:
    return RefusedError(Problem(str(out), 0, code, message, hint))


class OutputLock:
    """An flock beside the output: one build per output folder; released if the process dies."""

    def __init__(self, out: Path) -> None:
        self.path = out.parent / f".{out.name}.lock"
        self.handle: int | None = None

    def __enter__(self) -> OutputLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(handle, 32).decode(errors="replace").strip() or "?"
            os.close(handle)
            raise RefusedError(
                Problem(
                    str(self.path.parent),
                    0,
                    "E212",
                    f"một lần dựng khác đang chạy (pid {holder})",
                    "chờ lần dựng đó kết thúc rồi chạy lại",
                )
            ) from None
        os.ftruncate(handle, 0)
        os.write(handle, str(os.getpid()).encode())
        self.handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            os.close(self.handle)
            self.handle = None


def read_manifest(out: Path) -> dict[str, str]:
    """Output path → digest of every file the previous build wrote; {} if unknown."""
    try:
        data = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return {}
    files = data.get("files")
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def _staging_names(out: Path) -> tuple[str, str]:
    return f".{out.name}.staging-", f".{out.name}.old-"


def recover(out: Path) -> None:
    """Clean what a killed build left (called with the lock held, so nothing else is running)."""
    staging_prefix, old_prefix = _staging_names(out)
    leftovers = sorted(
        p for p in out.parent.iterdir() if p.name.startswith((staging_prefix, old_prefix))
    )
    if not out.exists():
        # Killed between the two renames of the fallback swap: put the old tree back.
        for path in leftovers:
            if path.name.startswith(old_prefix) and (path / MARKER).is_file():
                os.rename(path, out)
                leftovers.remove(path)
                break
    for path in leftovers:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


class Staging:
    """A complete new output tree being assembled beside the live one."""

    def __init__(self, out: Path) -> None:
        self.out = out
        prefix, _ = _staging_names(out)
        self.path = out.parent / f"{prefix}{os.getpid()}"
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        self._dirs: set[str] = set()

    def _parent(self, rel: str) -> Path:
        target = self.path / rel
        folder = rel.rpartition("/")[0]
        if folder and folder not in self._dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(folder)
        return target

    def write(self, rel: str, data: bytes) -> None:
        target = self._parent(rel)
        with open(target, "xb") as handle:
            handle.write(data)

    def keep(self, rel: str) -> bool:
        """Reuse the live file by hard link; False if it is missing (then write it anew)."""
        source = self.out / rel
        target = self._parent(rel)
        try:
            os.link(source, target, follow_symlinks=False)
        except FileNotFoundError:
            return False
        except OSError:
            try:
                shutil.copy2(source, target, follow_symlinks=False)
            except OSError:
                return False
        return True

    def commit(self, manifest: dict[str, str]) -> None:
        """Write the marker and swap the staging tree in; the old tree is then removed."""
        marker = {"version": MANIFEST_VERSION, "files": dict(sorted(manifest.items()))}
        self.write(MARKER, json.dumps(marker, ensure_ascii=False, indent=0).encode())
        _fsync_dir(self.path)
        if self.out.exists():
            if _exchange(self.path, self.out):
                old = self.path  # after the exchange the staging name holds the old tree
            else:
                _, old_prefix = _staging_names(self.out)
                old = self.out.parent / f"{old_prefix}{os.getpid()}"
                os.rename(self.out, old)
                os.rename(self.path, self.out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(self.path, self.out)
        _fsync_dir(self.out.parent)

    def abort(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_libc = None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where unsupported."""
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        _libc = ctypes.CDLL(name, use_errno=True) if name else False
    renameat2 = getattr(_libc, "renameat2", None) if _libc else None
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
