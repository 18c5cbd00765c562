# The two commands a newcomer needs (see README.md):
#   make run    install packages, build, start the NVR with a simulated camera
#   make test   install packages, build, run every test (plain and ASan+UBSan builds)
# and a few more: build, unit, asan, bench, install (as root: docs/guide/install.md), clean.

BUILD      ?= build
PREFIX     ?= /usr/local
ASAN_BUILD ?= build-asan
JOBS       ?= 2
CTEST_ARGS ?=

.PHONY: all deps test-deps bench-deps build run test unit asan bench install clean

all: build

deps:
	packaging/install-deps.sh

test-deps:
	packaging/install-deps.sh --test

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

run: test-deps build
	tests/run-demo.sh $(BUILD)

# Every test: the normal build, then the sanitizer build.
test: test-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(CTEST_ARGS)
	$(MAKE) asan

# Quick: unit tests only.
unit: test-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

asan: test-deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNVR_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -LE slow $(CTEST_ARGS)

bench: bench-deps build
	bench/ingest --nvr $(BUILD)/nvr --camera $(BUILD)/tests/camera/nvr-test-camera
	bench/serve --nvr $(BUILD)/nvr --camera $(BUILD)/tests/camera/nvr-test-camera

# As a systemd service on this machine (packaging/install.sh, docs/guide/install.md).
install:
	packaging/install.sh --prefix $(PREFIX)

bench-deps:
	packaging/install-deps.sh --bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
