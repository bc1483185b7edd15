"""Files written whole or not at all: every output goes to a temporary name beside its place and is
renamed into it, so an interrupted job leaves no half-written file (foundation: standard library
only, used by every writer from the manifest up).

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "a.json"
    >>> write_json(path, {"cac": None}); json.loads(path.read_text())
    {'cac': None}
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json(path: Path, data: dict[str, Any]) -> None:
    """JSON with nulls for undefined values (never NaN), written atomically."""
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n"))


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write(path: Path, write) -> None:
    """Write to a temporary file beside ``path``, then rename it into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are for sharing
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
