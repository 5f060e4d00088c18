"""`granica serve --workers N`: several processes on one listening socket, Nagle's algorithm
off on every connection, and a node that stops whole (issue 10: throughput on 2 cores)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from granica.cli.serve import listening_socket
from granica.errors import ServiceUnavailable
from granica.exchange.nodes import LocalNode, local_nodes


def _nodelay_of_accepted(sock: socket.socket) -> int:
    """TCP_NODELAY of the connection asyncio accepts on `sock` (what uvicorn serves it on)."""
    async def main() -> int:
        seen: list[int] = []

        def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = writer.get_extra_info("socket")
            seen.append(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        async with server:
            reader, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            await reader.read()  # the server closes it
            writer.close()
        return seen[0]

    # in a thread of its own: another test's event loop (Playwright's) may run in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result(timeout=30)


def test_listening_socket_turns_nagle_off_on_each_connection() -> None:
    assert _nodelay_of_accepted(listening_socket("127.0.0.1", 0)) != 0
    # a socket made without the protocol number (as uvicorn's --workers makes it) keeps
    # Nagle on: a keep-alive client then waits for the delayed acknowledgement each time
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    plain.listen(8)
    assert _nodelay_of_accepted(plain) == 0


def test_listening_socket_in_use_says_what_to_do() -> None:
    first = listening_socket("127.0.0.1", 0)
    try:
        with pytest.raises(ServiceUnavailable, match="--port"):
            listening_socket("127.0.0.1", first.getsockname()[1])
    finally:
        first.close()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def _wait_gone(pids: list[int], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids), f"workers still running: {pids}"


@pytest.fixture()
def node(tmp_path: Path) -> LocalNode:
    (only,) = local_nodes(["RS"], tmp_path)
    only.serve_args = ("--workers", "2", "--no-jobs")
    return only


def test_two_workers_answer_and_stop_together(node: LocalNode) -> None:
    node.start()
    assert node.process is not None
    parent = node.process.pid
    workers = _children(parent)
    assert len(workers) == 2, workers
    conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
    for _ in range(20):  # one keep-alive connection, many requests
        conn.request("GET", "/health")
        answer = conn.getresponse()
        assert answer.status == 200 and b'"ok"' in answer.read()
    conn.close()
    node.process.send_signal(signal.SIGTERM)
    assert node.process.wait(30) == 0
    _wait_gone(workers)
    node.process = None


def test_a_worker_that_dies_stops_the_node(node: LocalNode) -> None:
    node.start()
    assert node.process is not None
    workers = _children(node.process.pid)
    assert len(workers) == 2, workers
    os.kill(workers[1], signal.SIGKILL)
    # the node stops whole, non-zero, for the service manager to restart it
    assert node.process.wait(30) == 1
    _wait_gone(workers)
    node.process = None
    assert "worker 1 ended" in (node.data_dir / "serve.log").read_text()
