"""The SIRENE forms' kind on the links between nodes: `granica.exchange` hands each form
received, in order per case, to `service.receive_form`."""

from __future__ import annotations

from granica.exchange.service import register_handler
from granica.sirene import service

register_handler(service.KIND, service.receive_form)
