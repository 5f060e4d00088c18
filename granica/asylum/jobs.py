"""The national fingerprint database's scheduled jobs: transmitting to the central system
every subject not yet sent, the earliest deadline first; and, on the stand-in central
system, erasing the records at the end of their retention period."""

from __future__ import annotations

import datetime as dt

from granica.asylum import central, transmission
from granica.jobs import register

register("asylum.transmit", transmission.transmit_due, dt.timedelta(minutes=1),
         "transmit to the central system the subjects not yet sent (earliest deadline first)")
register("asylum.central.retention", central.retention_due, dt.timedelta(hours=1),
         "on the stand-in central system: erase the records whose retention period has ended")
