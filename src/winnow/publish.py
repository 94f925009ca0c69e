"""Publish a built dataset folder to the Hugging Face Hub: checks, dry-run listing, one upload, clear errors.

The upload is exactly one ``create_repo`` and one ``create_commit`` on an ``HfApi`` object passed in (tests
pass ``unittest.mock.create_autospec(HfApi, instance=True)``). Before anything is sent the folder must match
its build manifest (every file listed, sizes and sha256 equal, nothing extra), must not contain restricted
articles, and no file may contain the token.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from winnow.dataset import CARD_NAME, MANIFEST_NAME

REPO_TYPE = "dataset"


class PublishError(RuntimeError):
    """The folder may not be published, or the Hub refused; the message says what to do."""


@dataclass(frozen=True)
class PlannedFile:
    path_in_repo: str
    local_path: Path
    size: int


def read_manifest(folder: Path) -> dict[str, Any]:
    manifest_path = folder / MANIFEST_NAME
    if not (folder / CARD_NAME).is_file() or not manifest_path.is_file():
        raise PublishError(f"{folder} is not a built dataset folder (no {CARD_NAME} or {MANIFEST_NAME}); "
                           "run `make dataset` (winnow dataset build) first")
    try:
        return json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise PublishError(f"{manifest_path} is not valid JSON ({err.msg}); rebuild with `make dataset`") from err


def planned_files(folder: str | Path) -> list[PlannedFile]:
    """The files to upload, checked against the build manifest; raises :class:`PublishError` on any drift."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    listed: dict[str, dict[str, Any]] = manifest.get("files", {})
    present = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    extra = sorted(set(present) - set(listed) - {MANIFEST_NAME})
    missing = sorted(set(listed) - set(present))
    changed = sorted(name for name in set(listed) & set(present)
                     if hashlib.sha256(present[name].read_bytes()).hexdigest() != listed[name]["sha256"])
    problems = ([f"not from the build: {name}" for name in extra] + [f"missing: {name}" for name in missing]
                + [f"changed since the build: {name}" for name in changed])
    if problems:
        raise PublishError(f"{folder} does not match its {MANIFEST_NAME} (rebuild with `make dataset`):\n  "
                           + "\n  ".join(problems))
    names = sorted(listed) + [MANIFEST_NAME]
    return [PlannedFile(name, present[name], present[name].stat().st_size) for name in names]


def restricted_in(folder: Path, metadata_path: Path | None = None) -> list[str]:
    """Ids of restricted articles in the folder: per the manifest, and per the current raw metadata."""
    manifest = read_manifest(folder)
    restricted = set(manifest.get("restricted_articles", []))
    restricted |= {a["article_id"] for a in manifest.get("articles", []) if a.get("rights") != "redistributable"}
    if manifest.get("contains_restricted") and not restricted:
        restricted.add("(ids not recorded)")
    if metadata_path is not None and metadata_path.is_file():
        from winnow.articles import load_metadata

        now_restricted = {a["id"] for a in load_metadata(metadata_path) if a["rights"] != "redistributable"}
        restricted |= now_restricted & {a["article_id"] for a in manifest.get("articles", [])}
    return sorted(restricted)


def check_publishable(folder: str | Path, token: str | None = None,
                      metadata_path: str | Path | None = None) -> list[PlannedFile]:
    """Everything that must hold before an upload; returns the files to upload."""
    folder = Path(folder)
    files = planned_files(folder)
    restricted = restricted_in(folder, Path(metadata_path) if metadata_path else None)
    if restricted:
        raise PublishError(
            f"{folder} contains {len(restricted)} restricted article(s) ({', '.join(restricted)}); restricted "
            "texts are never published. Rebuild it without --include-restricted (`winnow dataset build`; "
            "`make dataset` builds data/dataset that way) first.")
    if token:  # belt and braces: only built files are uploaded, but make sure none embeds the token
        leaking = [f.path_in_repo for f in files if token.encode("utf-8") in f.local_path.read_bytes()]
        if leaking:
            raise PublishError(f"the Hub token appears in {', '.join(leaking)}; refusing to upload it")
    return files


def validate_repo(repo_id: str | None) -> str:
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if not repo_id or not repo_id.strip():
        raise PublishError("a repository id is required, e.g. `winnow dataset publish your-name/winnow-news` "
                           "(make publish HF_REPO=your-name/winnow-news)")
    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:
        raise PublishError(f"invalid repository id {repo_id!r}: {err}") from err
    return repo_id


def resolve_token() -> str | None:
    """HF_TOKEN from the environment, else the token saved by `hf auth login` (None if neither)."""
    from huggingface_hub import get_token

    token = os.environ.get("HF_TOKEN", "").strip()
    if token:
        return token
    try:
        return get_token()
    except Exception as error:  # e.g. a failed OIDC exchange or an unreadable token file
        raise PublishError(f"could not read the Hugging Face login: {error}") from error


def hub_api(token: str):
    """The real client (tests replace this with an autospec of HfApi)."""
    from huggingface_hub import HfApi

    return HfApi(token=token)


def upload(api: Any, repo_id: str, files: list[PlannedFile], private: bool = False,
           message: str = "Upload winnow dataset") -> str:
    """One create_repo + one create_commit of exactly ``files``; returns the commit URL."""
    from huggingface_hub import CommitOperationAdd

    api.create_repo(repo_id, repo_type=REPO_TYPE, private=True if private else None, exist_ok=True)
    operations = [CommitOperationAdd(path_in_repo=f.path_in_repo, path_or_fileobj=str(f.local_path))
                  for f in files]
    info = api.create_commit(repo_id, operations, commit_message=message, repo_type=REPO_TYPE)
    return str(getattr(info, "commit_url", "") or f"https://huggingface.co/datasets/{repo_id}")


def explain_hub_error(error: BaseException, repo_id: str) -> str | None:
    """A clear message for the failures a user can fix (None: not a Hub/network error)."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled, RepositoryNotFoundError

    if isinstance(error, OfflineModeIsEnabled):
        return "HF_HUB_OFFLINE is set, so nothing can be uploaded; unset it to publish"
    if isinstance(error, RepositoryNotFoundError):
        return (f"repository {repo_id} was not found or the token may not write to it; check the id and "
                "that the token has write access to that namespace")
    if isinstance(error, HfHubHTTPError):
        status = error.response.status_code if error.response is not None else None
        if status in (401, 403):
            return (f"the Hub rejected the token (HTTP {status}); create a write token at "
                    "https://huggingface.co/settings/tokens and set HF_TOKEN or run `hf auth login`")
        return f"the Hub refused the upload (HTTP {status}): {error}"
    if isinstance(error, httpx2.TransportError | OSError):
        return f"cannot reach the Hugging Face Hub (no network?): {error}"
    return None


def publish(folder: str | Path, repo_id: str, *, private: bool = False, token: str | None = None,
            api_factory: Callable[[str], Any] | None = None, metadata_path: str | Path | None = None) -> str:
    """Check the folder, then upload it with one commit; every failure is a :class:`PublishError`."""
    repo_id = validate_repo(repo_id)
    token = token or resolve_token()
    files = check_publishable(folder, token, metadata_path)
    if not token:
        raise PublishError("no Hugging Face token: set HF_TOKEN or run `hf auth login` "
                           "(a token with write access)")
    manifest_sha = hashlib.sha256((Path(folder) / MANIFEST_NAME).read_bytes()).hexdigest()[:12]
    try:
        api = (api_factory or hub_api)(token)
        return upload(api, repo_id, files, private,
                      message=f"Upload winnow dataset (build {manifest_sha})")
    except Exception as error:  # mapped to a clear message below, or re-raised untouched
        message = explain_hub_error(error, repo_id)
        if message is None:
            raise
        raise PublishError(message) from error


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"
