"""The national fingerprint database's kinds on the links between nodes: `granica.exchange`
hands each transaction a national node sends to the central system's handler (on a node with
the role eurodac-central), each answer of the central system to the national node's, and
each marking or advance erasure of a transmitted subject to the central system."""

from __future__ import annotations

from granica.asylum import central, transmission
from granica.exchange.service import register_handler

register_handler(transmission.TRANSACTION, central.receive_transaction)
register_handler(transmission.ANSWER, transmission.receive_answer)
register_handler(transmission.UPDATE, central.receive_update)
