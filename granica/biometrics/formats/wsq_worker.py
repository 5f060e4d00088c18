"""A child process that runs the NBIS WSQ decoder, so that a file which crashes NBIS's C code
(atheris found some) costs one error instead of the whole Granica process.

The worker is started on first use, kept for later calls, restarted after a crash or a time-out,
and limited in address space so that a hostile file cannot exhaust memory.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import select
import struct
import subprocess
import sys
import threading
import time

from granica.biometrics.formats.errors import ImageFormatError

MEMORY_LIMIT = 3 * 1024**3  # address space of the worker
TIMEOUT_SECONDS = 30.0

# Runs with -I -S: no site packages, only the folder that holds the _wsq extension.
_SCRIPT = """
import resource, struct, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
sys.path.insert(0, sys.argv[1])
import _wsq
inp, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    head = inp.read(4)
    if len(head) < 4:
        break
    data = inp.read(struct.unpack(">I", head)[0])
    try:
        pixels, width, height, _ = _wsq.decompress(data)
    except Exception as exc:
        message = str(exc).encode("utf-8", "replace")
        out.write(b"E" + struct.pack(">I", len(message)) + message)
    else:
        out.write(b"K" + struct.pack(">II", width, height) + pixels)
    out.flush()
"""


class _Crashed(Exception):
    pass


class WsqWorker:
    """One decoder process, used by one call at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        spec = importlib.util.find_spec("_wsq")
        if spec is None or spec.origin is None:
            raise ImageFormatError("WSQ support needs the `wsq` package (pip install wsq==0.9)")
        folder = os.path.dirname(spec.origin)
        return subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _SCRIPT, folder, str(MEMORY_LIMIT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def decode(self, data: bytes, timeout: float = TIMEOUT_SECONDS) -> tuple[bytes, int, int]:
        """Pixels, width and height; ImageFormatError if NBIS refuses, crashes or hangs."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start()
            proc = self._proc
            assert proc.stdin is not None and proc.stdout is not None
            deadline = time.monotonic() + timeout
            try:
                proc.stdin.write(struct.pack(">I", len(data)) + data)
                proc.stdin.flush()
                status = self._read(proc, 1, deadline)
                if status == b"E":
                    (size,) = struct.unpack(">I", self._read(proc, 4, deadline))
                    message = self._read(proc, size, deadline).decode("utf-8", "replace")
                    raise ImageFormatError(f"corrupt WSQ: the NBIS decoder failed ({message})")
                width, height = struct.unpack(">II", self._read(proc, 8, deadline))
                return self._read(proc, width * height, deadline), width, height
            except (_Crashed, BrokenPipeError, OSError) as exc:
                try:  # a crashed child may not be reaped yet when its pipe closes
                    code: int | None = proc.wait(
                        timeout=2 if isinstance(exc, _Crashed) and str(exc) == "exited" else 0.01
                    )
                except subprocess.TimeoutExpired:
                    code = None
                self.close()
                how = f"crashed (exit status {code})" if code is not None else str(exc)
                raise ImageFormatError(
                    f"corrupt WSQ: the NBIS decoder {how} on this file; the file is damaged or "
                    "hostile, ask the sender for a new copy"
                ) from None

    @staticmethod
    def _read(proc: subprocess.Popen[bytes], size: int, deadline: float) -> bytes:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        chunks: list[bytes] = []
        left = size
        while left > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise _Crashed(f"did not answer within {TIMEOUT_SECONDS:.0f} s")
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise _Crashed("exited")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


WORKER = WsqWorker()
atexit.register(WORKER.close)
