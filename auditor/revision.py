"""The scanned folders as they were at a git revision, written to a temporary folder (scan --diff-base).

Only git plumbing reads the repository (rev-parse, ls-tree, cat-file): the working tree, the index and HEAD are
never touched, and no checkout filter, attribute or hook of the repository runs. The revision's tree is treated
as hostile: a path with an empty, ``.`` or ``..`` component is refused, files are created with O_EXCL|O_NOFOLLOW,
and symlinks are written last, each only where its folder is a real folder inside the temporary one, so no write
goes through one. The scan then reads the copy through the same safe loader as the working tree (a symlink
leading out of the app is not followed). ``node_modules`` and ``.git`` folders, and files over the size limit,
are not copied: the loader never reads them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path, PurePosixPath

SKIPPED_FOLDERS = {"node_modules", ".git"}
_SYMLINK, _FILE_MODES = "120000", {"100644", "100755"}


class RevisionError(Exception):
    pass


def _git(args: list[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except FileNotFoundError:
        raise RevisionError("git is not installed: --diff-base needs it") from None
    if done.returncode != 0:
        raise RevisionError(done.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return done.stdout


def work_tree(path: Path) -> Path:
    """The top folder of the git work tree holding ``path``."""
    folder = path if path.is_dir() else path.parent
    try:
        return Path(_git(["rev-parse", "--show-toplevel"], folder.resolve()).decode().strip()).resolve()
    except RevisionError as exc:
        raise RevisionError(f"{path} is not in a git repository, so --diff-base has no history to compare with "
                            f"({exc})") from None


def resolve_commit(top: Path, ref: str) -> str:
    """The commit ``ref`` names; a clear error for an unknown ref, and for one a shallow clone lacks."""
    if not ref or ref.startswith("-"):
        raise RevisionError(f"--diff-base {ref!r} is not a git revision")
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top).decode().strip()
    except RevisionError:
        pass
    if _git(["rev-parse", "--is-shallow-repository"], top).decode().strip() == "true":
        raise RevisionError(f"--diff-base {ref}: this is a shallow clone and {ref} is not in its history; fetch it "
                            "(actions/checkout with 'fetch-depth: 0', or 'git fetch --deepen=N' / "
                            f"'git fetch origin {ref}')") from None
    raise RevisionError(f"--diff-base {ref}: unknown revision (no commit, branch or tag of that name)") from None


def materialise(top: Path, commit: str, folders: list[PurePosixPath], dest: Path, max_size: int) -> None:
    """Write the files under ``folders`` (relative to ``top``) of ``commit`` into ``dest``; files larger than
    ``max_size`` are left out (the loader would skip them anyway), so no blob of any size is read whole."""
    pathspec = [str(f) for f in folders if str(f) != "."]
    listing = _git(["ls-tree", "-r", "-z", "-l", "--full-tree", commit, "--", *pathspec], top)
    files: list[tuple[PurePosixPath, str]] = []
    links: list[tuple[PurePosixPath, str]] = []
    for entry in filter(None, listing.split(b"\0")):
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, oid, size = meta.decode().split()
        rel = _safe_path(os.fsdecode(raw_path))
        if rel is None or SKIPPED_FOLDERS & set(rel.parts) or kind != "blob" or int(size) > max_size:
            continue  # submodules (commits) have no files here
        if mode in _FILE_MODES:
            files.append((rel, oid))
        elif mode == _SYMLINK:
            links.append((rel, oid))
    blobs = _read_blobs(top, [oid for _, oid in files + links])
    root = dest.resolve()
    for rel, _ in files + links:  # every folder first, while no symlink exists to lead a folder astray
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
    for rel, oid in files:
        _write_new(root / rel, blobs[oid])
    for rel, oid in links:
        target = root / rel
        if Path(os.path.realpath(target.parent)) == target.parent and not os.path.lexists(target):
            os.symlink(os.fsdecode(blobs[oid]), target)


def _safe_path(path: str) -> PurePosixPath | None:
    rel = PurePosixPath(path)
    if rel.is_absolute() or "\\" in path or any(part in ("", ".", "..") for part in path.split("/")):
        return None
    return rel


def _write_new(path: Path, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except OSError:
        return  # a second entry of the same name in a crafted tree: the first one stands
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _read_blobs(top: Path, oids: list[str]) -> dict[str, bytes]:
    """All blobs in one ``git cat-file --batch`` call."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    out = _git(["cat-file", "--batch"], top, stdin="".join(oid + "\n" for oid in wanted).encode())
    blobs, pos = {}, 0
    for oid in wanted:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].decode().split(" ")
        if len(header) != 3:
            raise RevisionError(f"git cat-file: object {oid} is missing")
        size = int(header[2])
        blobs[oid] = out[header_end + 1:header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return blobs
