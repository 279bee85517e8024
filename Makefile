# lpbf-bench: `make run` and `make test` each do all set-up on a fresh Debian machine.
# Targets: deps build run test perf profile clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
RUN_ARGS   ?=

# Everything the build, the tests and the benchmarks need, from Debian.
PACKAGES := cmake make g++ pkg-config zlib1g-dev libboost-dev libtiff-dev libsimdjson-dev \
            libmsgpack-cxx-dev doctest-dev libconcurrentqueue-dev librdkafka-dev

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build run test unit-test sanitize-test perf profile clean

# Installs only what is missing; with everything present it costs one dpkg-query.
deps:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/lpbf-bench $(RUN_ARGS)

# Unit and end-to-end tests in the optimised build, then again under ASan + UBSan.
test: unit-test sanitize-test

unit-test: build
	cd $(BUILD) && ctest --output-on-failure

sanitize-test: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPBF_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target lpbf-bench lpbf-tests
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure

perf: build
	./$(BUILD)/lpbf-perf

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-profile
