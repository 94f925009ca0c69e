"""Run a local Label Studio server from its own venv (used by ``make label-studio`` and the tests).

Label Studio conflicts with the project's dependencies, so it lives in ``.labelstudio/venv`` (override with
``WINNOW_LS_VENV``). It is started with a clean environment (it reads ``LABEL_STUDIO_X``, ``HEARTEX_X`` and
bare ``X``: a stray ``USERNAME``, ``PASSWORD``, ``PORT`` or ``HOST`` would leak in), bound to 127.0.0.1
(``--internal-host``; ``--host`` is only the public URL), with telemetry, Sentry and version checks off and
every file under the data dir. A secret key is kept in the data dir so sessions and personal access tokens
survive restarts.

    python -m winnow.labelstudio.server --data-dir .labelstudio/data --port 8080
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1"
# Label Studio settings a user may pass through from their environment (documented in --help).
PASSTHROUGH = (
    "LABEL_STUDIO_USERNAME",
    "LABEL_STUDIO_PASSWORD",
    "LABEL_STUDIO_USER_TOKEN",
    "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN",
    "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK",
)
STARTED = re.compile(r"Starting development server at https?://[^:/\s]+:(\d+)")


class ServerError(RuntimeError):
    """Label Studio could not be started; the message says why (and shows the end of its log)."""


def venv_dir() -> Path:
    return Path(os.environ.get("WINNOW_LS_VENV") or REPO_ROOT / ".labelstudio" / "venv")


def executable() -> Path:
    path = venv_dir() / "bin" / "label-studio"
    if not path.exists():
        raise ServerError(f"{path} not found: create the Label Studio venv with `make .labelstudio/venv/.installed`")
    return path


def secret_key(data_dir: Path) -> str:
    """The data dir's Django secret key, created once (sessions and tokens are signed with it)."""
    path = data_dir / "winnow-secret-key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def server_env(data_dir: Path, extra: dict[str, str] | None = None, passthrough: bool = False) -> dict[str, str]:
    """A clean environment for the server: nothing inherited but PATH/locale (and PASSTHROUGH if asked)."""
    data_dir = data_dir.resolve()
    env = {
        "PATH": f"{executable().parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(data_dir),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "XDG_CONFIG_HOME": str(data_dir / ".config"),
        "XDG_CACHE_HOME": str(data_dir / ".cache"),
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "SECRET_KEY": secret_key(data_dir),
    }
    if passthrough:
        env.update({name: os.environ[name] for name in PASSTHROUGH if os.environ.get(name)})
    env.update(extra or {})
    return env


def command(data_dir: Path, port: int) -> list[str]:
    return [
        str(executable()), "start", "--no-browser", "--internal-host", HOST, "--port", str(port),
        "--data-dir", str(data_dir.resolve()),
    ]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self, timeout: float = 20) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)


def start(data_dir: Path, port: int, log: Path, extra_env: dict[str, str] | None = None,
          timeout: float = 300) -> RunningServer:
    """Start a server in the background and wait until it answers ``/health``; refuses a taken port."""
    if not port_is_free(port):
        raise ServerError(f"port {port} on {HOST} is taken (Label Studio would silently pick another one)")
    data_dir.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:
        process = subprocess.Popen(
            command(data_dir, port), env=server_env(data_dir, extra_env), stdin=subprocess.DEVNULL,
            stdout=handle, stderr=subprocess.STDOUT, cwd=data_dir, start_new_session=True,
        )
    server = RunningServer(process, f"http://{HOST}:{port}", log)
    try:
        wait_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def wait_ready(server: RunningServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerError(f"Label Studio exited with code {server.process.returncode}:\n{tail(server.log)}")
        match = STARTED.search(server.log.read_text(errors="replace"))
        if match and not server.url.endswith(f":{match.group(1)}"):
            raise ServerError(f"Label Studio chose port {match.group(1)} instead of {server.url}")
        if healthy(server.url):
            return
        time.sleep(0.5)
    raise ServerError(f"Label Studio did not answer within {timeout:.0f} s:\n{tail(server.log)}")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310 - local URL
            return bool(response.status == 200)
    except OSError:
        return False


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Start a local Label Studio (own venv, 127.0.0.1 only, no telemetry). Passes through "
        + ", ".join(PASSTHROUGH) + " if set (e.g. LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true on the first "
        "start enables legacy tokens).",
    )
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / ".labelstudio" / "data")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    try:
        if not port_is_free(args.port):
            raise ServerError(f"port {args.port} on {HOST} is taken; choose another with LS_PORT=<port>")
        argv_ = command(args.data_dir, args.port)
        env = server_env(args.data_dir, passthrough=True)
    except ServerError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    print(
        f"Label Studio {HOST}:{args.port}, data in {args.data_dir} (first start takes ~30 s to migrate).\n"
        f"Open http://{HOST}:{args.port}, sign up, copy a personal access token from Account & Settings into\n"
        f".env as LABEL_STUDIO_URL=http://{HOST}:{args.port} and LABEL_STUDIO_API_KEY=<token>. Ctrl+C stops it.",
        file=sys.stderr,
    )
    os.execve(argv_[0], argv_, env)


if __name__ == "__main__":
    main()
