"""The delivery thread of a serving node: delivers what is due, hands held messages to
their handlers (those a crash left behind), and sleeps until something is sent or the
next retry is due."""

from __future__ import annotations

import logging
import threading

import httpx

from granica.exchange.service import deliver_due, handle_held, wait_for_work
from granica.storage import Database

log = logging.getLogger("granica.exchange")


class DeliveryWorker:
    """One per serving process; `start()` and `stop()` from `granica serve`."""

    def __init__(self, db: Database, idle_seconds: float = 0.5) -> None:
        self.db = db
        self.idle_seconds = idle_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, client: httpx.Client) -> int:
        """One round; returns how many messages it tried to send."""
        return deliver_due(self.db, client).sent

    def _loop(self) -> None:
        try:
            handle_held(self.db)
        except Exception:
            log.exception("handing held messages failed")
        with httpx.Client(http2=False) as client:
            while not self._stop.is_set():
                try:
                    sent = self.run_once(client)
                except Exception:  # a database hiccup must not end delivery for good
                    log.exception("delivery round failed")
                    sent = 0
                if not sent:
                    wait_for_work(self.idle_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="granica-exchange", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
