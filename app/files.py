"""Files the registry writes once and never replaces: keys, certificates, checkpoints."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_new_file(path: Path, content: bytes, *, mode: int) -> bool:
    """Write `content` to `path` unless a file is there already; True when this call wrote it.

    Atomic: a temporary file in the same folder, flushed to disk, hard-linked into place (a link
    never replaces, so processes racing to create the same file all end up with the first one's)
    and the folder flushed, so a crash leaves the whole file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(temporary)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return True
