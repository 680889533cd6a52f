"""Safe output: guard the folder, lock it, stage a complete tree beside it, swap atomically.

The live output is never written into. A build brings a standby tree next to it up to
date (see `Standby`), then exchanges the two folders in one `renameat2(RENAME_EXCHANGE)`
call where Linux offers it, so an interrupted or failed build leaves the previous tree
exactly as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import BuildFailed, Problem, RefusedError
from .files import remove_file
from .filewriter import GONE, IN_THE_WAY, FileWriter, Outcome, fill, link_file, write_file
from .manifest import (
    MARKER,
    STATS,
    is_regular_file,
    read_manifest,
    read_signatures,
    signature,
    tree_intact,
    write_marker,
)


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
    if target.is_dir() and os.path.ismount(target):
        # The new tree is swapped in by renaming folders, which a mount point cannot be.
        raise _refuse(
            "E204",
            out,
            "thư mục đầu ra là một điểm gắn kết (mount point), không thể thay bằng phép đổi tên",
            "dựng vào thư mục bên cạnh rồi đồng bộ (rsync -a --delete _site/ đích/), "
            "hoặc gắn thư mục cha và chọn một thư mục con làm đầu ra",
        )
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


def cannot_write(out: Path, error: OSError) -> BuildFailed:
    """E210: the output cannot be written (disk full, permissions, read-only file system)."""
    return BuildFailed(
        [
            Problem(
                out.name or str(out),
                0,
                "E210",
                f"không ghi được đầu ra: {error.strerror or error}",
                "kiểm tra dung lượng đĩa và quyền ghi; đầu ra cũ vẫn giữ nguyên",
            )
        ]
    )


class OutputLock:
    """An flock beside the output: one build per output folder; released if the process dies."""

    def __init__(self, out: Path) -> None:
        self.path = out.parent / f".{out.name}.lock"
        self.handle: int | None = None

    def __enter__(self) -> OutputLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise cannot_write(self.path.parent, error) from None
        try:
            # Never through a link: a planted one would have its target truncated.
            handle = os.open(
                self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644
            )
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.EISDIR):
                raise self._not_a_file() from None
            raise cannot_write(self.path.parent, error) from None
        if not stat.S_ISREG(os.fstat(handle).st_mode):  # a FIFO or a device: never wait on it
            os.close(handle)
            raise self._not_a_file()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(handle, 32).decode(errors="replace").strip() or "?"
            os.close(handle)
            raise RefusedError(
                Problem(
                    self.path.name,
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

    def _not_a_file(self) -> RefusedError:
        return RefusedError(
            Problem(
                self.path.name,
                0,
                "E213",
                "tệp khóa không phải tệp thường (thư mục hay liên kết)",
                f"kiểm tra rồi xóa {self.path.name}; công cụ sẽ tạo lại tệp khóa",
            )
        )

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            os.close(self.handle)
            self.handle = None


@contextlib.contextmanager
def locked_output(root: Path, out: Path, *, force: bool = False) -> Iterator[Path]:
    """The output folder, guarded, locked for this build, and repaired after a killed one."""
    target = guard_output(root, out, force=force)
    with OutputLock(target):
        try:
            recover(target)
        except OSError as error:
            raise cannot_write(target, error) from None
        yield target


def standby_path(out: Path) -> Path:
    """The previous tree, kept beside the output and brought up to date by the next build."""
    return out.parent / f".{out.name}.standby"


def _old_path(out: Path) -> Path:
    return out.parent / f".{out.name}.old"


def recover(out: Path) -> None:
    """Repair what a killed build left (called with the lock held, so nothing else runs)."""
    old = _old_path(out)
    if old.is_dir() and not old.is_symlink():
        if not out.exists() and (old / MARKER).is_file():
            os.rename(old, out)  # killed between the renames of the fallback swap
        else:
            shutil.rmtree(old, ignore_errors=True)
    standby = standby_path(out)
    if standby.is_symlink() or (standby.exists() and not standby.is_dir()):
        standby.unlink()
    for trash in out.parent.glob(f".{out.name}.*.trash-*"):
        _remove_tree(trash)


def _remove_tree(path: Path) -> None:
    """Remove a folder; what cannot be removed now is moved aside (`recover` tries again),
    so a leftover never blocks the next tree nor slips into it."""
    shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):
        base = path.name.split(".trash-")[0]
        os.rename(path, path.parent / f"{base}.trash-{os.getpid()}-{time.monotonic_ns()}")


def mirror_standby(out: Path) -> None:
    """Make the standby a hard-linked copy of the live tree now, if it has none.

    Called after every build: when the build left no standby (the first build into an
    empty output, serve's first), the next one would otherwise link the whole tree while
    its editor waits for one changed page. The links are made on the writer threads.
    """
    standby = standby_path(out)
    if (standby / MARKER).is_file():
        return
    files = read_manifest(out)
    if not files:
        return
    shutil.rmtree(standby, ignore_errors=True)
    if not tree_intact(out, files):
        return  # the next build makes the standby afresh and replaces odd files

    def linked(made: Outcome) -> None:
        if isinstance(made, str):  # a file vanished meanwhile: leave the standby unmarked
            raise OSError(f"{out.name}: a file changed while the standby was made")

    writer = FileWriter()
    try:
        for rel in sorted(files):
            writer.run(lambda rel=rel: link_file(out / rel, standby / rel), linked)
    finally:
        writer.close()
    shutil.copyfile(out / STATS, standby / STATS)  # the same inodes: the same signatures
    shutil.copyfile(out / MARKER, standby / MARKER)


class Standby:
    """The next output tree, assembled beside the live one, then swapped in atomically.

    The folder holds the tree of the build before last: only the files that differ from
    the new tree are written (changed pages) or linked (pages that changed last time and
    are identical in the live tree). Making and removing thousands of folders each build
    would cost seconds; this costs in proportion to the change. Its marker is removed
    while it is being changed, so a tree left half-updated by a kill is never trusted.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = standby_path(out)
        self.files = read_manifest(self.path) if self.path.is_dir() else {}
        self.stats = read_signatures(self.path) if self.files else {}
        self.writer = FileWriter()
        if self.files:
            (self.path / MARKER).unlink()
            _fsync_dir(self.path)
        else:
            _remove_tree(self.path)
            self.path.mkdir(parents=True)

    def current(self, rel: str, digest: str) -> bool:
        """Whether the standby file has this digest and is untouched since it was made."""
        known = self.files.get(rel) == digest
        return known and signature(f"{self.path}/{rel}") == self.stats.get(rel)

    def _forget(self, rel: str) -> None:
        self.files.pop(rel, None)
        self.stats.pop(rel, None)

    def _target(self, rel: str) -> Path:
        """The path to write `rel` at, with nothing in the way: no file, and no file or
        link where one of its folders goes, whatever an earlier tree or a failed build
        left there (a page that became a static file, a folder that became a page)."""
        self._forget(rel)
        target = self.path / rel
        try:
            target.unlink(missing_ok=True)
            return target
        except OSError:
            pass  # a folder, or a file where a parent folder goes: clear the way below
        folder = self.path
        for part in rel.split("/"):
            folder = folder / part
            if folder == target or signature(folder) is not None or folder.is_symlink():
                self._clear(folder)
                break
            if not folder.exists():
                break
        return target

    def _clear(self, path: Path) -> None:
        """Remove a file or a whole folder from the standby, and forget what it held."""
        rel = path.relative_to(self.path).as_posix()
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
            for inner in [key for key in self.files if key.startswith(rel + "/")]:
                self._forget(inner)
        else:
            path.unlink(missing_ok=True)
        self._forget(rel)

    def _make_parent(self, target: Path) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            self._target(target.relative_to(self.path).as_posix())
            target.parent.mkdir(parents=True, exist_ok=True)

    def write(self, rel: str, digest: str, data: bytes) -> None:
        """Write a file (on a writer thread: see `finish`)."""

        def done(made: Outcome) -> None:
            if made == IN_THE_WAY:
                self._write_here(rel, digest, data)  # clear the way, then write
            else:
                self._made(rel, digest, made)

        self._forget(rel)
        self.writer.run(lambda: write_file(_open, self.path / rel, data), done)

    def link_all(self, wanted: list[tuple[str, str]]) -> list[str]:
        """Take these files from the live tree by hard link (on the writer threads); the
        ones missing there are returned (write them anew)."""
        self.finish()
        missing: list[str] = []
        for rel, digest in wanted:

            def done(made: Outcome, rel: str = rel, digest: str = digest) -> None:
                if made == IN_THE_WAY:  # clear the way, then link
                    made = self.stats[rel] if self.link(rel, digest) else GONE
                if made == GONE:
                    missing.append(rel)
                else:
                    self._made(rel, digest, made)

            self._forget(rel)
            self.writer.run(lambda rel=rel: link_file(self.out / rel, self.path / rel), done)
        self.finish()
        return missing

    def _made(self, rel: str, digest: str, made: Outcome) -> None:
        assert isinstance(made, tuple)
        self.files[rel] = digest
        self.stats[rel] = made

    def finish(self) -> None:
        """Wait for the files being written (raises the first failure)."""
        self.writer.wait()

    def _write_here(self, rel: str, digest: str, data: bytes) -> None:
        target = self._target(rel)
        try:
            handle = open(target, "xb")  # noqa: SIM115 - the folder may need making first
        except FileNotFoundError:
            self._make_parent(target)
            handle = open(target, "xb")  # noqa: SIM115
        self._made(rel, digest, fill(handle, target, data))

    def link(self, rel: str, digest: str) -> bool:
        """Take the live file by hard link; False if it is missing (then write it anew)."""
        source = self.out / rel
        target = self._target(rel)
        if not is_regular_file(source):
            return False  # gone, or replaced by something else (a planted link): make it anew
        try:
            os.link(source, target, follow_symlinks=False)
        except FileNotFoundError:
            if not source.is_file():
                return False
            self._make_parent(target)
            os.link(source, target, follow_symlinks=False)
        linked = signature(target)
        if linked is None:
            return False
        self.files[rel] = digest
        self.stats[rel] = linked
        return True

    def remove_others(self, keep: dict[str, str]) -> None:
        """Delete the files of the old tree that the new one no longer has."""
        self.finish()
        for rel in sorted(set(self.files) - set(keep), reverse=True):
            remove_file(self.path, rel)
            self._forget(rel)

    def _mark(self, files: dict[str, str], inputs: dict | None = None) -> None:
        self.writer.close()
        write_marker(self.path, files, inputs, self.stats)
        _fsync_dir(self.path)

    def commit(self, manifest: dict[str, str], inputs: dict | None = None) -> None:
        """Write the marker, then swap: the live tree becomes the standby for next time."""
        self._mark(manifest, inputs)
        if not self.out.exists():
            os.rename(self.path, self.out)
        elif not _exchange(self.path, self.out):
            old = _old_path(self.out)
            os.rename(self.out, old)
            os.rename(self.path, self.out)
            os.rename(old, self.path)
        _fsync_dir(self.out.parent)

    def abort(self) -> None:
        """After a failure: record what the standby now holds, so the next build can reuse it.

        If even that fails (a full disk), the standby stays unmarked and is made afresh.
        """
        with contextlib.suppress(Exception):
            self.writer.close()  # no thread may write once the tree is marked
        with contextlib.suppress(OSError):
            self._mark(self.files)


def _open(path: Path, mode: str):  # type: ignore[no-untyped-def]  # noqa: ANN202
    return open(path, mode)  # noqa: SIM115 - closed by the writer


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
