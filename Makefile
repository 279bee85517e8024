# lpbf-bench: `make run`, `make test` and `make check` each do all set-up on a fresh Debian machine.
# Targets: deps build run test check perf perf-gate profile fuzz format format-check clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
# make run's stream: 1920 batches (120 layers of 16 tiles, every TIFF layout), the first 320 left out
# of the statistics, so that the figures are the steady state's, not start-up's. The first run
# prepares the stream (tens of seconds on 2 cores), cached afterwards: about 0.9 GB on disk.
RUN_ARGS   ?= --layers 120 --warmup 320
# ccache, when installed, for every build directory configured here (a contributor's rebuilds);
# `make CCACHE=` builds without it. CI's fresh clone has an empty cache either way.
CCACHE     ?= $(shell command -v ccache 2>/dev/null)
CMAKE_LAUNCHER = $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE))
# The tests make check runs again on one core (taskset -c 0): the doctest test suites of tests
# that wait on time, signals or other processes.
TIMING_SUITES ?= chaos,timing
CHECK_REPEAT  ?= 3
# ctest's parallelism for the suite: its shards mostly wait (sockets, child processes), so more
# shards than cores shortens the wall time without loading the machine (CMakeLists.txt).
TEST_JOBS     ?= 5

# Everything the build, the tests and the benchmarks need, from Debian. The browser and the Python
# modules only for the tests (the HTML report drawn in headless Chromium; the organisers' client,
# tests/peers/organisers_client.py), and Prometheus (promtool on /metrics, a real server scraping a run).
PACKAGES := cmake make g++ pkg-config zlib1g-dev libboost-dev libtiff-dev libdeflate-dev libsimdjson-dev \
            libmsgpack-cxx-dev doctest-dev libconcurrentqueue-dev librdkafka-dev libcli11-dev libssl-dev
TEST_PACKAGES := chromium python3-requests python3-msgpack prometheus openssl time

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test-deps install-missing build run test check unit-test chaos-test repeat-test one-core-test sanitize-test fuzz fuzz-build fuzz-smoke perf perf-gate profile format format-check clean
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TARGETS := batch_decoder result_decoder tiff_decoder expected_json create_body challenger_request go_duration
PROFILE_BUILD ?= build-profile
PROFILE_DATASET ?= --layers 40 --layout raw
PROFILE_ARGS    ?= --quiet

# Installs only what is missing; with everything present it costs one dpkg-query.
deps:
	@$(MAKE) --no-print-directory install-missing WANTED="$(PACKAGES)"

test-deps:
	@$(MAKE) --no-print-directory install-missing WANTED="$(PACKAGES) $(TEST_PACKAGES)"

install-missing:
	@missing=$$(for p in $(WANTED); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_LAUNCHER)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Builds only what it runs (lpbf-bench); also draws the run as build/last-run.html (self-contained:
# open it in any browser).
run: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target lpbf-bench
	./$(BUILD)/lpbf-bench --report $(BUILD)/last-run.html $(RUN_ARGS)

# A contributor's check, one optimised build (about 8 minutes from a clean clone on 2 cores): the
# format check, the throughput regression gate (ratios against perf/baseline.json), then the unit
# and end-to-end tests but the chaos seeds.
test: test-deps format-check perf-gate unit-test

# CI's (.ci/run): make test, then the chaos seeds, the unit and end-to-end tests CHECK_REPEAT
# times in a row, the chaos and timing tests on one core, the tests under ASan + UBSan, and each
# fuzzer briefly.
check: test chaos-test repeat-test one-core-test sanitize-test fuzz-smoke

# ctest runs the doctest suite (but the chaos seeds: four shards and the timing tests) and the
# golden replays side by side.
unit-test: build
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS) -LE check

chaos-test: build
	cd $(BUILD) && ctest --output-on-failure -L check

repeat-test: build
	@for i in $$(seq $(CHECK_REPEAT)); do echo "unit and end-to-end tests, round $$i of $(CHECK_REPEAT)"; \
	  (cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS) -LE check) || exit 1; done

one-core-test: build
	taskset -c 0 ./$(BUILD)/lpbf-tests --test-suite=$(TIMING_SUITES)

sanitize-test: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPBF_SANITIZE=ON $(CMAKE_LAUNCHER) >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target lpbf-bench lpbf-tests
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# libFuzzer harnesses (clang, ASan + UBSan) in their own build directory; clang is installed if missing.
fuzz-build: deps
	@command -v clang++ >/dev/null && [ -n "$$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ] || \
	  { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends clang libclang-rt-dev libomp-dev; }
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLPBF_FUZZ=ON $(CMAKE_LAUNCHER) >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz-,$(FUZZ_TARGETS))

# Each harness for FUZZ_SECONDS from the seeds in tests/fuzz/corpus/; prints executions and findings.
fuzz: fuzz-build
	@tests/fuzz/run_fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The same, FUZZ_SMOKE_SECONDS each: part of make check.
fuzz-smoke: fuzz-build
	@tests/fuzz/run_fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

perf: build
	./$(BUILD)/lpbf-perf perf/results.json

perf-gate: build
	./$(BUILD)/lpbf-perf --gate perf/baseline.json

# A run under `perf record -g` with symbols and frame pointers; prints the top of the report.
# The challenger runs in its own process, so that the profile holds the runner alone (its
# dataset preparation, scored by the reference kernels, would otherwise fill the report).
profile: deps
	@command -v perf >/dev/null || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q linux-perf; }
	cmake -S . -B $(PROFILE_BUILD) -DCMAKE_BUILD_TYPE=Release -DLPBF_PROFILE=ON >/dev/null
	cmake --build $(PROFILE_BUILD) -j $(JOBS) --target lpbf-bench
	@./$(PROFILE_BUILD)/lpbf-bench challenger --port 0 $(PROFILE_DATASET) > $(PROFILE_BUILD)/challenger.log 2>&1 & \
	pid=$$!; trap 'kill $$pid 2>/dev/null' EXIT; \
	for i in $$(seq 600); do grep -q 'listening on' $(PROFILE_BUILD)/challenger.log && break; \
	  kill -0 $$pid 2>/dev/null || { cat $(PROFILE_BUILD)/challenger.log; exit 1; }; sleep 0.1; done; \
	url=$$(grep -o 'http://[0-9.:]*' $(PROFILE_BUILD)/challenger.log | head -1); \
	echo "profiling the runner against the challenger at $$url"; \
	perf record -g -e cpu-clock -o $(PROFILE_BUILD)/perf.data ./$(PROFILE_BUILD)/lpbf-bench --url $$url $(PROFILE_ARGS)
	perf report -i $(PROFILE_BUILD)/perf.data --no-children --stdio --sort sym -g none 2>/dev/null | grep -E '^ +[0-9]' | head -30

# The C++ sources in the style of .clang-format. format-check changes nothing and fails on any
# difference (part of make test).
FORMAT_SOURCES = $(shell git ls-files '*.h' '*.cpp' 2>/dev/null || find main.cpp analysis io core perf tests -name '*.h' -o -name '*.cpp')

format:
	@$(MAKE) --no-print-directory install-missing WANTED=clang-format
	clang-format -i $(FORMAT_SOURCES)

format-check:
	@$(MAKE) --no-print-directory install-missing WANTED=clang-format
	@clang-format --dry-run -Werror $(FORMAT_SOURCES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(PROFILE_BUILD) $(FUZZ_BUILD)
