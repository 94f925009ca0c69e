"""JSON Lines reading and atomic writing (write to a temp file in the same dir, fsync, rename)."""

from __future__ import annotations

import gzip
import itertools
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def same_place(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file or directory however spelled (relative, ``..``, symlinks), or resolve to
    the same path where one does not exist yet; URLs (``s3://...``) are the same place when equal up to a
    final ``/``."""
    a, b = str(a), str(b)
    if "://" in a or "://" in b:
        return a.rstrip("/") == b.rstrip("/")
    first, second = Path(a), Path(b)
    if first.exists() and second.exists():
        return os.path.samefile(first, second)
    return first.resolve() == second.resolve()


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
    fd, tmp = _create_temp_beside(path)
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


_TEMP_NUMBERS = itertools.count()
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _create_temp_beside(path: Path) -> tuple[int, str]:
    """A new, empty file ``.<name>.<pid>.<n>.tmp`` beside ``path`` (its directories made if missing), opened
    for writing with the usual permissions (0666 less the umask).

    One ``open`` call in the common case: ``winnow clean`` writes one file per page, and the ``stat`` of
    ``mkdir(exist_ok=True)`` and the ``chmod`` that ``tempfile.mkstemp``'s 0600 files needed cost as much as
    creating the file (that is a quarter of the cleaning time of a short page on some disks).
    """
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{os.getpid()}.{next(_TEMP_NUMBERS)}.tmp")
        try:
            return os.open(tmp, _CREATE_FLAGS, 0o666), tmp
        except FileExistsError:  # left by a crashed process that had our pid: take the next number
            continue
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
    raise FileExistsError(f"cannot create a temporary file beside {path}")


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
