"""Several Granica nodes on one machine, each a `granica serve` process with its own
data folder and port on 127.0.0.1: how bureaux drill their links and how the
exchange is tested. `local_nodes()` sets them up (keys, peers files naming each
other, migrated databases); each node starts, stops, and can be killed (SIGKILL)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from granica.errors import GranicaError, ServiceUnavailable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _granica() -> list[str]:
    script = Path(sys.executable).with_name("granica")
    return [str(script)] if script.exists() else [sys.executable, "-m", "granica"]


@dataclass
class LocalNode:
    code: str
    data_dir: Path
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    serve_args: tuple[str, ...] = ()  # e.g. ("--workers", "2")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRANICA_")}
        env.update({"GRANICA_DATA_DIR": str(self.data_dir), "GRANICA_BUREAU_CODE": self.code,
                    "GRANICA_COUNTRY": self.code[:2], "GRANICA_NODE_NAME": f"granica-{self.code}",
                    "GRANICA_HOST": "127.0.0.1", "GRANICA_PORT": str(self.port),
                    "GRANICA_LOG_LEVEL": "WARNING"})
        env.update(self.extra_env)
        return env

    def cli(self, *args: str, timeout: float = 120) -> str:
        """Run `granica ARGS` as this node; its standard output (an error names the node)."""
        done = subprocess.run([*_granica(), *args], env=self.env(), capture_output=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            raise GranicaError(f"node {self.code}: `granica {' '.join(args)}` failed "
                               f"({done.returncode}): {done.stderr.decode(errors='replace')[-800:]}")
        return done.stdout.decode()

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args))

    def start(self, wait: float = 120) -> None:
        log = (self.data_dir / "serve.log").open("ab")
        self.process = subprocess.Popen([*_granica(), "serve", *self.serve_args],
                                        env=self.env(), stdout=log,
                                        stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceUnavailable(f"node {self.code} exited with {self.process.returncode}; "
                                         f"see {self.data_dir / 'serve.log'}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop(kill=True)
        raise ServiceUnavailable(f"node {self.code} did not answer on {self.url} within {wait:g} s")

    def stop(self, kill: bool = False) -> None:
        """Stop the node: SIGTERM and wait, or SIGKILL (a crash) when `kill`."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None


def local_nodes(codes: Sequence[str], root: Path) -> list[LocalNode]:
    """Nodes `codes` under `root` (one folder each, made afresh), each knowing the
    others as peers, databases migrated; none started yet."""
    nodes = []
    for code in codes:
        folder = root / code
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        nodes.append(LocalNode(code, folder))
    keys = {node.code: node.cli_json("exchange", "keys", "--json")["public_key"] for node in nodes}
    for node in nodes:
        lines = []
        for other in nodes:
            if other is not node:
                lines += [f"[peers.{other.code}]", f'name = "node {other.code}"',
                          f'url = "{other.url}"', f'public_key = "{keys[other.code]}"', ""]
        (node.data_dir / "peers.toml").write_text("\n".join(lines), encoding="utf-8")
        node.cli("db", "upgrade")
    return nodes
