"""The raw-article metadata file (``data/raw/articles.jsonl``): loading and sha256 verification."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from winnow.jsonio import iter_jsonl

METADATA_FIELDS = (
    "id", "file", "sha256", "site", "url", "published", "headline", "stance_target", "rights", "rights_note",
)
RIGHTS = ("redistributable", "restricted")


class MetadataError(ValueError):
    """The metadata file is inconsistent with itself or with the raw files."""


def load_metadata(path: str | Path) -> list[dict[str, Any]]:
    """Read and check the article metadata: required fields, unique ids and files, known rights."""
    articles, problems, ids = [], [], set()
    for line_no, record in iter_jsonl(path):
        missing = [name for name in METADATA_FIELDS if name not in record]
        if missing:
            problems.append(f"{path}:{line_no}: missing {', '.join(missing)}")
            continue
        if record["id"] in ids:
            problems.append(f"{path}:{line_no}: duplicate id {record['id']}")
        if record["rights"] not in RIGHTS:
            problems.append(f"{path}:{line_no}: rights must be one of {', '.join(RIGHTS)}")
        ids.add(record["id"])
        articles.append(record)
    if problems:
        raise MetadataError("\n".join(problems))
    return articles


def sha256_file(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def verify_checksums(articles: list[dict[str, Any]], raw_dir: str | Path) -> list[str]:
    """Mismatches and missing files, one message each (empty when every file matches)."""
    problems = []
    for article in articles:
        path = Path(raw_dir) / article["file"]
        if not path.is_file():
            problems.append(f"{path}: listed in the metadata but missing")
            continue
        actual = sha256_file(path)
        if actual != article["sha256"]:
            problems.append(f"{path}: sha256 mismatch (metadata {article['sha256']}, file {actual})")
    return problems
