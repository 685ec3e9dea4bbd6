"""Write a whole directory so that a reader sees either the old tree or the new one, never a mix.

The new tree is written beside the target, then swapped in. On Linux the swap is one
renameat2(RENAME_EXCHANGE) call, atomic for every reader. Where that call is missing (older
kernels, some filesystems) the old tree is renamed aside and the new one renamed in: a
`reloadxml` landing between the two renames finds no freeswitch.xml and keeps the XML already in
memory, so it still never loads half a configuration.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
DIR_MODE = 0o750
FILE_MODE = 0o640


def write_tree(target: Path, files: Mapping[str, str | bytes], modes: Mapping[str, int]) -> list[Path]:
    """Replace `target` with a directory holding exactly `files` (relative path -> text, or bytes)."""
    target = target.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        os.chmod(staging, DIR_MODE)
        for relative, content in sorted(files.items()):
            _write_file(staging, relative, content, modes.get(relative, FILE_MODE))
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [target / relative for relative in sorted(files)]


def _write_file(root: Path, relative: str, content: str | bytes, mode: int) -> None:
    path = root / relative
    if root.resolve() not in path.resolve().parents:
        raise ValueError(f"refusing to write outside the conf directory: {relative}")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, DIR_MODE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    data = content.encode("utf-8") if isinstance(content, str) else content
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), mode)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _swap_in(staging: Path, target: Path) -> None:
    if not target.exists() and not target.is_symlink():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rmdir(aside)
    os.rename(target, aside)
    os.rename(staging, target)
    shutil.rmtree(aside, ignore_errors=True)


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths; False when the platform cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    return bool(result == 0)
