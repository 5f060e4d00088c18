"""Two nodes as separate processes on 127.0.0.1: link tests delivered and answered
once each, through a SIGKILL of the recipient and its restart, and a forged
message refused and recorded by the node it was sent to."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from granica import clock
from granica.exchange.envelope import Envelope
from granica.exchange.nodes import LocalNode, local_nodes

pytestmark = pytest.mark.slow


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[tuple[LocalNode, LocalNode]]:
    serbia, hungary = local_nodes(["RS", "HU"], tmp_path)
    try:
        yield serbia, hungary
    finally:
        for node in (serbia, hungary):
            node.stop(kill=True)


def status(node: LocalNode, conversation: str) -> dict[str, Any]:
    result: dict[str, Any] = node.cli_json("exchange", "status", "--json",
                                           "--conversation", conversation)
    return result


def wait_until(what: str, test: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = test()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {timeout:g} s (last: {last})")


def pongs_back(serbia: LocalNode, conversation: str, count: int) -> Any:
    def test() -> Any:
        state = status(serbia, conversation)
        got = state["incoming"].get("HU", {}).get("kinds", {}).get("exchange.pong", 0)
        return state if got >= count else None
    return test


def test_exchange_nodes_deliver_once_through_a_crash_and_refuse_a_forgery(
        two_nodes: tuple[LocalNode, LocalNode]) -> None:
    serbia, hungary = two_nodes
    serbia.start()
    hungary.start()

    serbia.cli("exchange", "ping", "HU", "--count", "20", "--conversation", "drill-1")
    state = wait_until("20 pongs from HU", pongs_back(serbia, "drill-1", 20))
    assert state["outgoing"]["HU"]["delivered"] == 20
    assert state["incoming"]["HU"]["handled"] == 20

    # Hungary crashes; Serbia keeps sending into its outbox, retried with back-off.
    hungary.stop(kill=True)
    serbia.cli("exchange", "ping", "HU", "--count", "30", "--conversation", "drill-2")
    wait_until("delivery to the dead node to be retried",
               lambda: status(serbia, "drill-2")["outgoing"]["HU"]["pending"] == 30, 30)
    hungary.start()
    state = wait_until("30 pongs after the restart", pongs_back(serbia, "drill-2", 30))
    assert state["outgoing"]["HU"] == {"pending": 0, "delivered": 30, "refused": 0}
    seen = status(hungary, "drill-2")["incoming"]["RS"]
    assert seen["handled"] == 30 and seen["held"] == 0  # each ping handled once
    assert seen["kinds"] == {"exchange.ping": 30}
    answered = status(serbia, "drill-2")["incoming"]["HU"]
    assert answered["kinds"] == {"exchange.pong": 30}  # nothing answered twice

    # A message claiming to be Serbia's, signed with another key.
    forged = Envelope(str(uuid.uuid4()), "RS", "HU", "exchange.ping", "forgery", 1,
                      clock.now(), {"n": 1}).signed_with(Ed25519PrivateKey.generate())
    response = httpx.post(f"{hungary.url}/api/v1/exchange/inbox",
                          json={"messages": [forged.to_dict()]}, timeout=10)
    assert response.status_code == 200
    assert response.json()["acks"] == [{
        "id": forged.id, "status": "refused", "reason": "bad_signature",
        "detail": "the signature does not match RS's key"}]
    recorded = hungary.cli_json("exchange", "status", "--json")
    assert recorded["refused_total"] == 1
    assert recorded["refusals"][0]["reason"] == "bad_signature"
    assert recorded["refusals"][0]["claimed_sender"] == "RS"
    assert "forgery" not in str(recorded["incoming"])
