"""The national fingerprint database's scheduled jobs: transmitting to the central system
every subject not yet sent, the earliest deadline first."""

from __future__ import annotations

import datetime as dt

from granica.asylum import transmission
from granica.jobs import register

register("asylum.transmit", transmission.transmit_due, dt.timedelta(minutes=1),
         "transmit to the central system the subjects not yet sent (earliest deadline first)")
