# SPDX-License-Identifier: Apache-2.0
# The two commands a newcomer needs (see README.md):
#   make run    install packages, build, start the NVR with a simulated camera
#   make test   install packages, build, run every test (plain and ASan+UBSan builds)
# and a few more: build, unit, asan, bench, install (as root: docs/guide/install.md),
# deb (the Debian package, debian/), lint (clang-format and eslint), format, clean.
# `make build` warns; `make test` and `make asan` (what CI runs) make warnings errors.

BUILD      ?= build
PREFIX     ?= /usr/local
ASAN_BUILD ?= build-asan
DEB_OUT    ?= build-deb
JOBS       ?= 2
CTEST_ARGS ?=
# the C sources that `make lint` and `make format` check (.clang-format)
C_DIRS     ?= lib nvr storage
# (the patterns quoted: unquoted, the shell would expand nvr/*.c to nvr/main.c alone)
C_SOURCES   = $(shell git ls-files -- $(foreach d,$(C_DIRS),'$(d)/*.c' '$(d)/*.h') 2>/dev/null)

.PHONY: all deps test-deps bench-deps deb-deps lint-deps build run test unit asan bench install deb lint format clean

all: build

deps:
	packaging/install-deps.sh

test-deps:
	packaging/install-deps.sh --test

deb-deps:
	packaging/install-deps.sh --deb

lint-deps:
	packaging/install-deps.sh --lint

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

run: test-deps build
	tests/run-demo.sh $(BUILD)

# Every test: the normal build, then the sanitizer build.
test: test-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNVR_WERROR=ON -DNVR_WEB=ON
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(CTEST_ARGS)
	$(MAKE) asan

# Quick: unit tests only.
unit: test-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

asan: test-deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNVR_SANITIZE=ON -DNVR_WERROR=ON -DNVR_WEB=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE slow $(CTEST_ARGS)

bench: bench-deps build
	bench/ingest --nvr $(BUILD)/nvr --camera $(BUILD)/tests/camera/nvr-replay-camera
	bench/serve --nvr $(BUILD)/nvr --camera $(BUILD)/tests/camera/nvr-test-camera

# As a systemd service on this machine (packaging/install.sh, docs/guide/install.md).
install:
	packaging/install.sh --prefix $(PREFIX)

bench-deps:
	packaging/install-deps.sh --bench

# The Debian package (debian/, dpkg-buildpackage, lintian): DEB_OUT/nvr_VERSION_ARCH.deb;
# installed with `apt install ./build-deb/nvr_*.deb` (docs/guide/install.md).
deb: deps deb-deps
	packaging/build-deb.sh --out $(DEB_OUT)

# Style checks: clang-format (.clang-format) on the C sources, eslint (web/eslint.config.cjs)
# on the web UI's JavaScript; `make format` rewrites the C sources in place.
# Both run; either failing fails the target.
lint: deps lint-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNVR_WEB=ON
	cmake --build $(BUILD) --target web_npm
	@rc=0; \
	echo "eslint web/ui/js"; \
	NODE_PATH=$(abspath $(BUILD))/npm/node_modules $(abspath $(BUILD))/npm/node_modules/.bin/eslint \
	  --config web/eslint.config.cjs --max-warnings 0 web/ui/js || rc=1; \
	echo "clang-format --dry-run --Werror $(C_DIRS)"; \
	clang-format --dry-run --Werror $(C_SOURCES) || rc=1; \
	exit $$rc

format: lint-deps
	clang-format -i $(C_SOURCES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(DEB_OUT)
