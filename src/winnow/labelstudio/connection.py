"""Connecting to a Label Studio server: settings, the SDK client, and errors that never show the token.

The URL and API key come from ``LABEL_STUDIO_URL`` and ``LABEL_STUDIO_API_KEY`` in the environment, or else
from a git-ignored ``.env`` file. Both kinds of key work: a personal access token (a JWT refresh token,
which the SDK exchanges for short-lived access tokens) and a legacy token (sent as ``Token <key>``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

URL_VAR = "LABEL_STUDIO_URL"
KEY_VAR = "LABEL_STUDIO_API_KEY"
T = TypeVar("T")


class LabelStudioError(RuntimeError):
    """A problem talking to Label Studio or reading its data; the message is safe to print."""


@dataclass(frozen=True)
class Settings:
    url: str
    api_key: str = field(repr=False)

    def scrub(self, text: str) -> str:
        """``text`` with the API key (and any access token derived from it) replaced by ``***``."""
        return scrub(text, self.api_key)


def scrub(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def load_settings(env_file: str | Path = ".env", environ: dict[str, str] | None = None) -> Settings:
    """Read URL and key from the environment, falling back to ``env_file`` (never to anything else)."""
    from dotenv import dotenv_values

    environ = dict(os.environ if environ is None else environ)
    file_values = {k: v for k, v in dotenv_values(env_file).items() if v} if Path(env_file).is_file() else {}
    url = environ.get(URL_VAR) or file_values.get(URL_VAR)
    key = environ.get(KEY_VAR) or file_values.get(KEY_VAR)
    missing = [name for name, value in ((URL_VAR, url), (KEY_VAR, key)) if not value]
    if missing:
        raise LabelStudioError(
            f"{' and '.join(missing)} not set: export {'them' if len(missing) > 1 else 'it'} or put "
            f"{'them' if len(missing) > 1 else 'it'} in {env_file} (git-ignored), e.g. "
            f"{URL_VAR}=http://127.0.0.1:8080 and {KEY_VAR}=<personal access token or legacy token from "
            "Label Studio's Account & Settings page>"
        )
    assert url is not None and key is not None
    if not url.startswith(("http://", "https://")):
        raise LabelStudioError(f"{URL_VAR} must start with http:// or https://, got {url!r}")
    return Settings(url=url.rstrip("/"), api_key=key.strip())


def connect(settings: Settings) -> Any:
    """An SDK client for ``settings``, checked with one request (so a bad URL or key fails here)."""
    with translate_errors(settings, "connecting"):
        from label_studio_sdk import LabelStudio

        client = LabelStudio(base_url=settings.url, api_key=settings.api_key, timeout=120)
        client.users.whoami()
    return client


@contextmanager
def translate_errors(settings: Settings, doing: str) -> Iterator[None]:
    """Turn SDK and network exceptions into :class:`LabelStudioError` with a plain, token-free message."""
    try:
        yield
    except LabelStudioError:
        raise
    except Exception as error:  # noqa: BLE001 - every failure becomes one clear message
        message = describe(error, settings.url)
        if message is None:
            raise
        raise LabelStudioError(settings.scrub(f"{doing}: {message}")) from None


def call(settings: Settings, doing: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with translate_errors(settings, doing):
        return function(*args, **kwargs)


def describe(error: Exception, url: str) -> str | None:
    """A one-line explanation of an SDK/network error, or None if it is not one of those."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return f"cannot reach Label Studio at {url} ({error}); is the server running? (`make label-studio`)"
    if isinstance(error, httpx.TimeoutException):
        return f"Label Studio at {url} did not answer in time ({type(error).__name__})"
    if isinstance(error, httpx.HTTPError):
        return f"HTTP error talking to {url}: {type(error).__name__}: {error}"
    if isinstance(error, ApiError):
        status, detail = error.status_code, _detail(error.body)
        if status == 401:
            return (
                f"Label Studio at {url} rejected the API key (401 {detail}). Check {KEY_VAR}: use a "
                "personal access token, or a legacy token if legacy tokens are enabled for the organization"
            )
        if status == 403:
            return f"the API key's user may not do this on {url} (403 {detail})"
        if status == 404:
            return f"not found on {url} (404 {detail}); is {URL_VAR} the Label Studio root URL?"
        return f"Label Studio answered {status}: {detail}"
    return None


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        parts = [str(body[key]) for key in ("detail", "validation_errors", "message") if body.get(key)]
        return (" ".join(parts) or str(body))[:800]
    return str(body)[:800] if body else "no details"
