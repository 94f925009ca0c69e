"""The ``make data`` stage: raw article files -> decoded articles + sentence records under data/processed.

Every file in the raw directory is tried on its own: a bad file is refused (or an empty one skipped) with a
message naming it, and never stops or corrupts the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from winnow.articles import load_metadata, verify_checksums
from winnow.segment import SentenceRecord, segment_text
from winnow.textio import EmptyArticleError, InputError, portable_name, read_article

log = logging.getLogger(__name__)
METADATA_NAME = "articles.jsonl"
IGNORED_NAMES = {METADATA_NAME, "README.md"}


@dataclass
class PrepareResult:
    articles: list[dict[str, Any]] = field(default_factory=list)
    sentences: list[SentenceRecord] = field(default_factory=list)
    skipped_empty: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def raw_files(raw_dir: Path) -> list[Path]:
    return sorted(p for p in raw_dir.iterdir() if p.is_file() and p.name not in IGNORED_NAMES
                  and not p.name.startswith("."))


def prepare_directory(raw_dir: str | Path) -> PrepareResult:
    """Decode and segment every raw file; metadata (if present) supplies ids and is sha256-checked first."""
    raw_dir = Path(raw_dir)
    metadata_path = raw_dir / METADATA_NAME
    metadata = load_metadata(metadata_path) if metadata_path.exists() else []
    by_file = {article["file"]: article for article in metadata}
    result = PrepareResult()
    for path in raw_files(raw_dir):
        meta = by_file.get(path.name, {})
        article_id = meta.get("id", portable_name(path.stem))  # a file name that is not UTF-8: \xNN escapes
        try:
            decoded = read_article(path)
        except EmptyArticleError as err:
            log.warning("skipped: %s", err)
            result.skipped_empty.append(str(err))
            continue
        except InputError as err:
            log.error("refused: %s", err)
            result.refused.append(str(err))
            continue
        if not meta:
            log.warning("%s: not in %s; using id %s and no metadata", path, METADATA_NAME, article_id)
        result.articles.append({
            "article_id": article_id, "file": portable_name(path.name), "encoding": decoded.encoding,
            "source_format": decoded.source_format, "text": decoded.text,
            **{k: v for k, v in meta.items() if k not in ("id", "file")},
        })
        result.sentences.extend(segment_text(article_id, decoded.text))
    return result


def checksum_problems(raw_dir: str | Path) -> list[str]:
    raw_dir = Path(raw_dir)
    metadata_path = raw_dir / METADATA_NAME
    if not metadata_path.exists():
        return []
    return verify_checksums(load_metadata(metadata_path), raw_dir)
