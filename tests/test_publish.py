"""`winnow dataset publish`: checks on a really built folder, and the upload through an autospec of HfApi.

No Hub is reachable here: the calls are asserted on an autospec; the network and offline failures use the
real HfApi against a closed local port and with offline mode on."""

from __future__ import annotations

import json
from pathlib import Path
from unittest.mock import create_autospec

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from typer.testing import CliRunner

from tests.test_dataset import build, make_project
from winnow import publish as pub
from winnow.cli import app
from winnow.dataset import MANIFEST_NAME
from winnow.jsonio import read_jsonl, write_jsonl_atomic

TOKEN = "hf_testtoken_not_real_0123456789abcdef"
REPO = "someone/winnow-test"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    project = make_project(tmp_path, monkeypatch)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(tmp_path / "hf_home" / "token"))
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    project["metadata"] = tmp_path / "raw" / "articles.jsonl"
    return project


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch):
    """An autospec HfApi that the CLI gets instead of the real client; remembers the token it was given."""
    mock = create_autospec(HfApi, instance=True)
    tokens: list[str] = []

    def factory(token: str):
        tokens.append(token)
        return mock

    monkeypatch.setattr(pub, "hub_api", factory)
    mock.tokens = tokens
    return mock


def folder_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def run(*args: str):
    return CliRunner().invoke(app, ["dataset", "publish", *args])


def test_publish_uploads_exactly_the_built_files_in_one_commit(project: dict, api) -> None:
    folder = build(project)
    result = run(REPO, "--dataset-dir", str(folder), "--metadata", str(project["metadata"]))
    assert result.exit_code == 0, result.output
    api.create_repo.assert_called_once_with(REPO, repo_type="dataset", private=None, exist_ok=True)
    api.create_commit.assert_called_once()
    assert api.method_calls[0][0] == "create_repo" and len(api.method_calls) == 2
    args, kwargs = api.create_commit.call_args
    assert args[0] == REPO and kwargs["repo_type"] == "dataset"
    operations = list(args[1])
    assert all(isinstance(op, CommitOperationAdd) for op in operations)
    uploaded = {op.path_in_repo: Path(op.path_or_fileobj).read_bytes() for op in operations}
    assert uploaded == folder_files(folder)
    assert {"README.md", MANIFEST_NAME, "sentences/train-00000-of-00001.parquet"} <= set(uploaded)
    assert api.tokens == [TOKEN]  # the token goes to the client, never into a call or a file
    assert TOKEN not in repr(api.mock_calls)
    assert all(TOKEN.encode() not in content for content in uploaded.values())
    assert all(b"restricted wire story" not in content for content in uploaded.values())


def test_private_flag_creates_a_private_repo(project: dict, api) -> None:
    folder = build(project)
    assert run(REPO, "--private", "--dataset-dir", str(folder)).exit_code == 0
    assert api.create_repo.call_args.kwargs["private"] is True


def test_dry_run_lists_files_and_sizes_without_a_token_or_the_hub(project: dict, api,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN")
    folder = build(project)
    result = run(REPO, "--dry-run", "--dataset-dir", str(folder))
    assert result.exit_code == 0, result.output
    for name, content in folder_files(folder).items():
        assert name in result.output and str(len(content)) in result.output
    assert f"{len(folder_files(folder))} files" in result.output
    assert api.tokens == [] and api.mock_calls == []


def test_restricted_build_is_never_published(project: dict, api) -> None:
    folder = build(project, include_restricted=True)
    for extra in ([], ["--dry-run"]):
        result = run(REPO, "--dataset-dir", str(folder), *extra)
        assert result.exit_code == 1
        assert "1 restricted article(s) (r1)" in result.output and "never published" in result.output
    assert api.mock_calls == []


def test_article_restricted_since_the_build_is_refused(project: dict, api) -> None:
    folder = build(project)
    meta = read_jsonl(project["metadata"])
    write_jsonl_atomic(project["metadata"], [{**m, "rights": "restricted"} if m["id"] == "a1" else m
                                             for m in meta])
    result = run(REPO, "--dataset-dir", str(folder), "--metadata", str(project["metadata"]))
    assert result.exit_code == 1 and "(a1)" in result.output
    assert api.mock_calls == []


@pytest.mark.parametrize("tamper, message", [
    (lambda f: (f / ".env").write_text(f"HF_TOKEN={TOKEN}\n"), "not from the build: .env"),
    (lambda f: (f / "sentences" / "train-00000-of-00001.parquet").write_bytes(b"PAR1"), "changed since"),
    (lambda f: (f / "articles" / "test-00000-of-00001.parquet").unlink(), "missing: articles/test"),
])
def test_folder_that_drifted_from_its_manifest_is_refused(project: dict, api, tamper, message: str) -> None:
    folder = build(project)
    tamper(folder)
    result = run(REPO, "--dataset-dir", str(folder))
    assert result.exit_code == 1 and message in result.output and "make dataset" in result.output
    assert api.mock_calls == []


def test_a_file_containing_the_token_is_refused(project: dict, api, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = build(project)
    monkeypatch.setenv("HF_TOKEN", "winnow contributors")  # a string the card does contain
    result = run(REPO, "--dataset-dir", str(folder))
    assert result.exit_code == 1 and "token appears in README.md" in result.output
    assert api.mock_calls == []


def test_missing_token(project: dict, api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN")
    folder = build(project)
    result = run(REPO, "--dataset-dir", str(folder))
    assert result.exit_code == 1 and "no Hugging Face token" in result.output and "HF_TOKEN" in result.output
    assert api.mock_calls == []


@pytest.mark.parametrize("repo_id, message", [("", "repository id is required"),
                                              ("not a valid id!", "invalid repository id")])
def test_missing_or_bad_repo_id(project: dict, api, repo_id: str, message: str) -> None:
    folder = build(project)
    result = run(*([repo_id] if repo_id else []), "--dataset-dir", str(folder))
    assert result.exit_code == 1 and message in result.output
    assert api.mock_calls == []


def http_error(status: int, cls=HfHubHTTPError):
    request = httpx2.Request("POST", "https://huggingface.co/api/repos/create")
    return cls(f"{status} error", response=httpx2.Response(status, request=request))


@pytest.mark.parametrize("error, message", [
    (http_error(401), "rejected the token (HTTP 401)"),
    (http_error(404, RepositoryNotFoundError), "was not found or the token may not write to it"),
    (http_error(500), "refused the upload (HTTP 500)"),
])
def test_hub_errors_become_clear_messages(project: dict, api, error, message: str) -> None:
    folder = build(project)
    api.create_repo.side_effect = error
    result = run(REPO, "--dataset-dir", str(folder))
    assert result.exit_code == 1 and message in " ".join(result.output.split())
    api.create_commit.assert_not_called()


def test_no_network_with_the_real_client(project: dict) -> None:
    folder = build(project)
    with pytest.raises(pub.PublishError, match="cannot reach the Hugging Face Hub") as caught:
        pub.publish(folder, REPO, api_factory=lambda token: HfApi(endpoint="http://127.0.0.1:9", token=token))
    assert isinstance(caught.value.__cause__, httpx2.ConnectError)
    assert not isinstance(caught.value.__cause__, OSError)  # why OSError alone would not catch it


def test_offline_mode_with_the_real_client(project: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    folder = build(project)
    with pytest.raises(pub.PublishError, match="HF_HUB_OFFLINE is set"):
        pub.publish(folder, REPO, api_factory=lambda token: HfApi(token=token))


def test_manifest_records_only_redistributable_articles(project: dict) -> None:
    folder = build(project)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    assert {a["rights"] for a in manifest["articles"]} == {"redistributable"}
    assert pub.restricted_in(folder, project["metadata"]) == []
