"""Processes the reliability benchmarks and tests start, stop and kill: a Redis of their own and Agora's
application server, each on a free loopback port.  Never the shared Redis on 6379."""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until(check, limit_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not within {limit_s:.0f} s")


class RedisProcess:
    """redis-server on a port of its own, without persistence: killed, it comes back empty."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def pause(self) -> None:
        """Stop answering without closing anything (SIGSTOP): clients wait on it, as on a dead network."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(10)


class AppServer:
    """Agora's application server as a child process: `command` (uvicorn or gunicorn) with `env`."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.command, self.env, self.port, self.log = command, env, port, log
        self.process: subprocess.Popen | None = None

    def start(self, limit_s: float = 60) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        wait_until(self._answers, limit_s, f"{self.command[2]} on port {self.port} (log: {self.log})")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"{' '.join(self.command)} exited; its log: {self.log}")
        try:
            return get(self.port, "/robots.txt")[0] == 200
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server and every process of its session (a gunicorn master's workers too)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def uvicorn_command(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "agora.asgi:application", "--host", HOST, "--port", str(port)]


def get(
    port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 10
) -> tuple[int, bytes]:
    """One GET on loopback: (status, body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
