# Thin wrapper around Meson: `make`, `make check`, `make demo`.
BUILD ?= build
MESON ?= meson
PYTHON ?= /usr/bin/python3

.PHONY: all check demo deps clean install fuzz asan format bench

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD)

# Unit tests (cmocka), fuzz-corpus replay, end-to-end tests (pytest), then a
# one-line summary.  Oracle tests fail (not skip) under CI=1 when a tool is
# missing.
check: all
	DIMG=$(abspath $(BUILD))/dimg BUILD=$(abspath $(BUILD)) PYTHON=$(PYTHON) \
	  $(PYTHON) tests/run_checks.py

# Installs the Debian packages dimg and its tests need (when root), builds,
# and runs the main job on bundled sample input.
demo:
	sh tests/install-deps.sh
	$(MAKE) all
	sh tests/demo.sh $(BUILD)/dimg

deps:
	sh tests/install-deps.sh

asan:
	$(MESON) setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
	  -Dbuildtype=debug 2>/dev/null || true
	ninja -C build-asan
	$(MAKE) check BUILD=build-asan

fuzz:
	CC=clang $(MESON) setup build-fuzz -Dfuzzing=true -Dtests=disabled -Db_sanitize=address,undefined \
	  -Db_lundef=false 2>/dev/null || true
	ninja -C build-fuzz

install: all
	$(MESON) install -C $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) build-asan build-fuzz
