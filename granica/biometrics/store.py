"""A gallery's shards on disk, beside the database, so that a restart maps them into memory
instead of rebuilding every finger's cylinders from its template (about 2 ms a finger: half
an hour for a million).

One folder per gallery: `manifest.json` and one sub-folder per shard holding its arrays as
`.npy` files (read back memory-mapped, so start-up costs the page faults of what a search
touches), the templates as one byte blob with its offsets, and the subject and entry ids as
text, one per line. A store written by another template version or other cylinder
parameters is not used: the gallery is rebuilt from the templates and saved again. Saving
writes a new folder and renames it into place, so a crash leaves the old store or the new
one, never half of one."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from granica.biometrics.gallery import Shard
from granica.biometrics.mcc import MCCParams
from granica.biometrics.template import TEMPLATE_VERSION

FORMAT = 1
ARRAYS = ("bits", "masks", "theta", "xy", "norms", "rows", "offsets", "position_array")


def fingerprint_of_layout() -> str:
    """What the stored arrays depend on: the store's format, the template version and the
    cylinder parameters."""
    params = json.dumps(dataclasses.asdict(MCCParams()), sort_keys=True)
    raw = f"{FORMAT}|{TEMPLATE_VERSION}|{params}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def _write_lines(path: Path, values: Sequence[str]) -> None:
    for v in values:
        if "\n" in v:
            raise ValueError(f"an id holds a line break: {v!r}")
    path.write_text("\n".join(values), encoding="utf-8")


def _read_lines(path: Path, count: int) -> list[str]:
    text = path.read_text(encoding="utf-8")
    values = text.split("\n") if text else []
    if len(values) != count:
        raise ValueError(f"{path} holds {len(values)} ids, the shard {count} rows")
    return values


def _write_shard(part: Path, shard: Shard, ids: Sequence[str]) -> None:
    if len(ids) != len(shard):
        raise ValueError(f"{part.name}: {len(ids)} entry ids for {len(shard)} rows")
    part.mkdir()
    for name in ARRAYS:
        np.save(part / f"{name}.npy", np.ascontiguousarray(getattr(shard, name)))
    lengths = np.fromiter((len(t) for t in shard.templates), np.int64, len(shard))
    np.save(part / "template_offsets.npy", np.concatenate([[0], np.cumsum(lengths)]))
    (part / "templates.bin").write_bytes(b"".join(shard.templates))
    _write_lines(part / "subjects.txt", shard.subjects)
    _write_lines(part / "entries.txt", list(ids))
    for f in part.iterdir():
        with f.open("rb") as fh:
            os.fsync(fh.fileno())


def _manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / "manifest.json"
    if not path.exists():
        return None
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("layout") != fingerprint_of_layout():
        return None
    return manifest


def exists(folder: Path) -> bool:
    """Whether `folder` holds a store of this layout (its manifest read, nothing else)."""
    return _manifest(folder) is not None


def _put_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    tmp = folder / f".manifest.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest), encoding="utf-8")
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, folder / "manifest.json")


def save(folder: Path, shards: Sequence[tuple[Shard, Sequence[str]]]) -> dict[str, Any]:
    """Write the shards (each with the entry id of every row) as the whole store in
    `folder`, replacing what was there."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    names = []
    for i, (shard, ids) in enumerate(shards):
        names.append(f"shard-{i:04d}")
        _write_shard(tmp / names[-1], shard, ids)
    manifest = {"format": FORMAT, "layout": fingerprint_of_layout(), "shards": names,
                "next": len(names), "removed": 0}
    _put_manifest(tmp, manifest)
    old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return manifest


def append(folder: Path, shards: Sequence[tuple[Shard, Sequence[str]]],
           removed: Sequence[str]) -> dict[str, Any]:
    """Add shards to the store and note entries removed from the stored ones, without
    rewriting what is stored. The manifest is replaced last: a crash before it leaves the
    store as it was (a half-written shard folder is not listed and is deleted next time)."""
    manifest = _manifest(folder)
    if manifest is None:
        raise ValueError(f"{folder} holds no store of this layout to add to: save it whole")
    listed = set(manifest["shards"])
    for stray in folder.glob("shard-*"):
        if stray.name not in listed:
            shutil.rmtree(stray, ignore_errors=True)
    names = list(manifest["shards"])
    n = int(manifest["next"])
    for shard, ids in shards:
        if len(shard):
            name = f"shard-{n:04d}"
            n += 1
            _write_shard(folder / name, shard, ids)
            names.append(name)
    count = int(manifest["removed"])
    if removed:
        removed_file = folder / f"removed-{count + len(removed):012d}.txt"
        _write_lines(removed_file, list(removed))
        with removed_file.open("rb") as fh:
            os.fsync(fh.fileno())
    manifest.update(shards=names, next=n, removed=count + len(removed))
    _put_manifest(folder, manifest)
    return manifest


def _removed(folder: Path, upto: int) -> set[str]:
    """Entry ids removed up to the manifest's count (a file written after it is not yet
    part of the store)."""
    out: set[str] = set()
    for f in sorted(folder.glob("removed-*.txt")):
        if int(f.stem.split("-")[1]) <= upto:
            text = f.read_text(encoding="utf-8")
            out.update(text.split("\n") if text else [])
    return out


def load(folder: Path) -> tuple[list[tuple[Shard, list[str]]], set[str]] | None:
    """The stored shards with their entry ids, memory-mapped, and the ids removed since they
    were written; None when there is no store or it was written for another layout (the
    caller rebuilds from the templates). A store that does not read back whole raises
    ValueError naming the file."""
    manifest = _manifest(folder)
    if manifest is None:
        return None
    out = []
    for name in manifest["shards"]:
        part = folder / name
        shard = Shard()
        for array in ARRAYS:
            setattr(shard, array, np.load(part / f"{array}.npy", mmap_mode="r"))
        # rows removed after loading are marked in this array, so it is the one copied
        shard.position_array = np.array(shard.position_array)
        n = len(shard.position_array)
        shard.positions = shard.position_array.tolist()
        shard.subjects = _read_lines(part / "subjects.txt", n)
        ends = np.load(part / "template_offsets.npy").tolist()
        blob = (part / "templates.bin").read_bytes()
        if len(ends) != n + 1 or ends[-1] != len(blob):
            raise ValueError(f"{part}: the templates do not match their offsets")
        shard.templates = [blob[a:b] for a, b in itertools.pairwise(ends)]
        if len(shard.offsets) != n + 1:
            raise ValueError(f"{part}: {len(shard.offsets) - 1} rows of cylinders for {n}")
        out.append((shard, _read_lines(part / "entries.txt", n)))
    return out, _removed(folder, int(manifest["removed"]))
