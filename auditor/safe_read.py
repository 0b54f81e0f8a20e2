"""Read a file of a scanned (possibly hostile) repository without letting it reach the host.

A committed symlink can point at ``/etc/passwd``, at ``/dev/zero`` (endless) or
at itself; a FIFO blocks a plain ``open``. So: the real path must lie inside
the root, the descriptor is opened non-blocking and must be a regular file
(checked with ``fstat`` on that descriptor, not a separate ``stat``), and at
most ``limit + 1`` bytes are ever read.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from pathlib import Path

from auditor.fspath import inside

_KINDS = {
    stat.S_IFDIR: "a folder", stat.S_IFIFO: "FIFO", stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device", stat.S_IFSOCK: "socket", stat.S_IFLNK: "symlink",
}
# O_NOFOLLOW: the path opened is already resolved, so a symlink there now means it was swapped.
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class Unreadable(Exception):
    """Why a file was not read; str(exc) is a short human reason (e.g. 'not a regular file (FIFO)')."""


def read_file(path: Path, root: Path, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file whose real path lies inside ``root`` (root is resolved
    here) and it has at most ``limit`` bytes; else raises Unreadable with the reason."""
    real_root = _real_folder(str(root))
    # The folder's real path (one look-up per folder) plus the name: with O_NOFOLLOW the open fails on a
    # symlink, which alone then costs a full resolution.
    real = os.path.join(_real_folder(os.path.dirname(os.path.abspath(path))), os.path.basename(path))
    try:
        fd = _open_inside(real, real_root)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise _unreadable(exc) from None
        try:
            fd = _open_inside(str(_real(path)), real_root)
        except OSError as again:
            raise _unreadable(again) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"not a regular file ({_KINDS.get(stat.S_IFMT(info.st_mode), 'special file')})")
        if info.st_size > limit:
            raise Unreadable(_too_big(f"{info.st_size:,} bytes", limit))
        data = _read_at_most(fd, limit + 1)
    except OSError as exc:
        raise _unreadable(exc) from None
    finally:
        os.close(fd)
    if len(data) > limit:  # grew after fstat
        raise Unreadable(_too_big(f"more than {limit:,} bytes", limit))
    return data


def _open_inside(real: str, real_root: str) -> int:
    if not inside(real, real_root):
        raise Unreadable("symlink points outside the app")
    return os.open(real, _FLAGS)


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return str(_real(Path(folder)))


def _real(path: Path) -> Path:
    try:
        return Path(path).resolve()
    except RuntimeError:  # Python 3.11/3.12 report a symlink loop this way; newer ones raise ELOOP
        raise Unreadable("symlink loop") from None
    except OSError as exc:
        raise _unreadable(exc) from None


def _read_at_most(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _unreadable(exc: OSError) -> Unreadable:
    # strerror only: str(exc) would name the absolute path, possibly a host path outside the app.
    if exc.errno == errno.ELOOP:
        return Unreadable("symlink loop")
    return Unreadable(f"cannot read file: {exc.strerror or type(exc).__name__}")


def _too_big(size: str, limit: int) -> str:
    return f"file is {size}, over the {limit:,}-byte limit (raise max-file-size in .forge-audit.yml or --max-file-size)"
