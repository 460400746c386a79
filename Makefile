# The two set-up-and-go commands: `make run` (the built-in default job) and `make test` (what
# CI runs). Both install missing Debian packages first, then configure and build with CMake.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
# The unit-test binaries (one per layer) that also run under the sanitizers.
UNIT_TESTS := util gguf kernels model tokenizer tokenizer_chat sampling_grammar sampling engine
space := $(subst ,, )
# Brute-force mask checks over whole or large vocabularies: minutes each under the sanitizers, so
# the sanitizer run leaves them to the Release run, which runs every test.
ASAN_SKIP := -Llama3Vocab.*MasksMatchBruteForce:TokenMask.MatchesBruteForceOnJson:$\
TokenMask.BoundedAndUnicodeStringsInLargeSubtreesMatchBruteForce:$\
TokenMask.LongTokensInBoundedStringsMatchBruteForce

.PHONY: all deps build run test check asan-test clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

run: build
	./$(BUILD)/rightsize demo

# Release build: every test (unit, conformance, CLI). Then the unit tests under ASan+UBSan.
# Tests run in parallel except the server tests, which time their requests and run alone.
test: check asan-test

check: build
	cd $(BUILD) && ctest -j$(JOBS) --output-on-failure -E '^server_' && ctest --output-on-failure -R '^server_'
	@if [ -z "$$RIGHTSIZE_TESTDATA" ] && [ ! -d ../shared/testdata ]; then \
	  echo "NOTE: ../shared/testdata not found and RIGHTSIZE_TESTDATA unset:" \
	       "the conformance cases that need it were SKIPPED (they say so in their output)."; fi

asan-test: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DRS_SANITIZE=ON -DRS_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j$(JOBS) --target $(UNIT_TESTS:%=%_test)
	cd $(ASAN_BUILD) && GTEST_FILTER='$(ASAN_SKIP)' ctest -j$(JOBS) --output-on-failure -R '^($(subst $(space),|,$(UNIT_TESTS)))$$'

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
