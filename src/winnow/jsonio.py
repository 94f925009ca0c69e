"""JSON Lines reading and atomic writing (write to a temp file in the same dir, fsync, rename)."""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class JsonlError(ValueError):
    """A malformed JSON Lines file; the message names file and line, also kept as attributes."""

    def __init__(self, path: Path, line: int, reason: str):
        super().__init__(f"{path}:{line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, record)`` for each non-blank line (``.gz`` files are decompressed);
    raise :class:`JsonlError` on bad JSON."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise JsonlError(path, line_no, f"not valid JSON ({err.msg})") from err
            if not isinstance(record, dict):
                raise JsonlError(path, line_no, f"expected a JSON object, got {type(record).__name__}")
            yield line_no, record


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    return [record for _, record in iter_jsonl(path)]


def dumps_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", durable: bool = True):
    """Open a temp file beside ``path``; on success it replaces ``path`` atomically, on error it is removed.

    ``durable``: the file's data reaches the disk (fsync) before it replaces ``path``, so a crash leaves the old
    file or the new one. Without it, readers still never see a partial file, but a power loss may leave an
    empty one: for outputs a rerun rebuilds, where one fsync per file cost as much as cleaning the page.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
    try:
        kwargs = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_jsonl_atomic(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records as JSON Lines atomically; return how many were written."""
    count = 0
    with atomic_open(path) as handle:
        for record in records:
            handle.write(dumps_line(record))
            count += 1
    return count


def write_text_atomic(path: str | Path, text: str, durable: bool = True) -> None:
    with atomic_open(path, durable=durable) as handle:
        handle.write(text)
