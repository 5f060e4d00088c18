"""The stored template: compact, versioned, and its reader fails cleanly on anything else."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from granica.biometrics.template import TEMPLATE_VERSION, Template
from granica.errors import InputFormatError, UnsupportedVersionError

minutia = st.tuples(
    st.integers(0, 2000), st.integers(0, 2000), st.floats(0, 2 * math.pi - 1e-3),
    st.integers(0, 2), st.integers(0, 100),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(minutia, max_size=120))
def test_round_trip(rows: list[tuple[int, int, float, int, int]]) -> None:
    t = Template(width=500, height=500, minutiae=np.array(rows, dtype=np.float32).reshape(-1, 5))
    back = Template.from_bytes(t.to_bytes())
    assert len(back) == len(t)
    if rows:
        assert np.allclose(back.minutiae[:, :2], t.minutiae[:, :2], atol=0.5)
        d = np.abs(np.mod(back.minutiae[:, 2] - t.minutiae[:, 2] + math.pi, 2 * math.pi) - math.pi)
        assert d.max() < 1e-3
        assert np.array_equal(back.minutiae[:, 3], t.minutiae[:, 3])
    # what was read once is stored exactly: it writes the same bytes and reads back equal
    assert Template.from_bytes(back.to_bytes()) == back
    assert back.to_bytes() == t.to_bytes()


@settings(max_examples=150, deadline=None)
@given(st.lists(minutia, max_size=60), st.lists(minutia, min_size=1, max_size=150))
def test_round_trip_with_secondary_set(rows: list, extra: list) -> None:
    t = Template(width=500, height=500, minutiae=np.array(rows, np.float32).reshape(-1, 5),
                 secondary=np.array(extra, np.float32))
    blob = t.to_bytes()
    assert blob[3] == 2
    back = Template.from_bytes(blob)
    assert len(back) == len(t) and len(back.secondary) == len(extra)
    assert np.allclose(back.secondary[:, :2], t.secondary[:, :2], atol=0.5)
    assert np.array_equal(back.secondary[:, 3], t.secondary[:, 3])
    # A truncated version-2 template is refused, naming both counts.
    with pytest.raises(InputFormatError, match=r"\+ \d+ minutiae"):
        Template.from_bytes(blob[:-1])


def test_version_1_templates_still_read() -> None:
    rows = [(10, 20, 1.0, 1, 50), (30, 40, 2.0, 2, 60)]
    v1 = Template(width=100, height=100, minutiae=np.array(rows, np.float32)).to_bytes()
    assert v1[3] == 1  # no secondary set: written in the version every reader knows
    back = Template.from_bytes(v1)
    assert len(back) == 2 and len(back.secondary) == 0
    assert back.version == 1


def test_templates_compare_and_hash_by_value() -> None:
    rows = np.array([(10, 20, 1.0, 1, 50), (30, 40, 2.0, 2, 60)], np.float32)
    a = Template(width=100, height=100, minutiae=rows)
    b = Template(width=100, height=100, minutiae=rows.copy())
    with_second = Template(width=100, height=100, minutiae=rows, secondary=rows[:1])
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != with_second and with_second.version == 2
    assert a != Template(width=101, height=100, minutiae=rows)
    moved = rows.copy()
    moved[1, 0] += 1
    assert a != Template(width=100, height=100, minutiae=moved)
    assert a != "not a template"
    stored = Template.from_bytes(a.to_bytes())  # angles quantised to 1/65536 turn
    assert {stored: "x"}[Template.from_bytes(stored.to_bytes())] == "x"


def _accepted_round_trips(data: bytes) -> None:
    """Whatever the reader accepts is exactly what it would write back."""
    try:
        t = Template.from_bytes(data)
    except InputFormatError:
        return
    assert t.to_bytes() == data
    assert Template.from_bytes(t.to_bytes()) == t


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_reader_rejects_garbage_cleanly(data: bytes) -> None:
    _accepted_round_trips(data)
    _accepted_round_trips(b"GRT\x01" + data)


@settings(max_examples=200, deadline=None)
@given(st.lists(minutia, min_size=1, max_size=60), st.data())
def test_reader_on_truncated_and_mutated_templates(rows: list, data: st.DataObject) -> None:
    blob = bytearray(Template(width=400, height=400, minutiae=np.array(rows, np.float32)).to_bytes())
    cut = data.draw(st.integers(0, len(blob)))
    pos = data.draw(st.integers(0, len(blob) - 1))
    blob[pos] = data.draw(st.integers(0, 255))
    _accepted_round_trips(bytes(blob[:cut]))


def test_quality_above_100_is_refused() -> None:
    blob = bytearray(Template(width=10, height=10, minutiae=[(1, 2, 0.5, 1, 40)]).to_bytes())
    blob[-1] = 150
    with pytest.raises(InputFormatError, match="quality 150 is above 100"):
        Template.from_bytes(bytes(blob))


def test_newer_version_is_refused() -> None:
    blob = bytearray(Template(width=10, height=10, minutiae=np.zeros((0, 5))).to_bytes())
    blob[3] = TEMPLATE_VERSION + 1
    with pytest.raises(UnsupportedVersionError, match="newer"):
        Template.from_bytes(bytes(blob))


def test_typical_template_is_under_2kb(fvc_templates: dict) -> None:
    sizes = [len(t.to_bytes()) for t in fvc_templates.values()]
    assert max(sizes) <= 2048
    t40 = Template(width=400, height=400, minutiae=np.zeros((40, 5), np.float32))
    assert len(t40.to_bytes()) <= 2048
    assert struct.unpack_from("<3s", t40.to_bytes())[0] == b"GRT"
