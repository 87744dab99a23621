# mlpipe: the two commands of the quick start, and a few more.
#   make demo   install what is missing, build, run a real pipeline end to end
#   make test   install what is missing, build, run every test under ASan+UBSan (one build, every test),
#               then build Release and test its installation and Debian package
#   make test-fast   the same tests in a plain Debug build (quicker to iterate)
#   make install PREFIX=DIR   a Release build installed under DIR (default /usr/local)
#   make package     the Debian package, build-release/mlpipe_<version>_<arch>.deb
JOBS ?= 2
BUILD ?= build
TEST_BUILD ?= build-test
ASAN_BUILD ?= build-asan
RELEASE_BUILD ?= build-release
PREFIX ?= /usr/local
CMAKE_FLAGS ?=
# ccache when there is one (never required).
LAUNCHER := $(if $(shell command -v ccache 2>/dev/null),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: crash-campaign fuzz fuzz-ci all deps build demo demo-server demo-delivery test test-fast test-asan test-install release install package bench clean format

all: build

deps:
	@scripts/deps.sh build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(LAUNCHER) $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target mlpipe

demo: build
	@scripts/demo.sh $(BUILD)/src/mlpipe/cli/mlpipe

# The control plane: lending_club under `mlpipe server`, driven with curl.
demo-server: build
	cmake --build $(BUILD) -j $(JOBS) --target mlpipe-serve
	@scripts/demo_server.sh $(BUILD)/src/mlpipe/cli/mlpipe

# Continuous delivery: gates, a canary promoted, a broken model rejected, a
# slow one rolled back, under live load (examples/continuous_delivery).
demo-delivery: build
	cmake --build $(BUILD) -j $(JOBS) --target mlpipe-serve
	@scripts/demo_delivery.sh $(BUILD)/src/mlpipe/cli/mlpipe

# The test passes build in Debug (fast to compile; -Werror as everywhere).
$(TEST_BUILD)/build.ninja:
	cmake -S . -B $(TEST_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug $(LAUNCHER) $(CMAKE_FLAGS)

test-fast: deps $(TEST_BUILD)/build.ninja
	cmake --build $(TEST_BUILD) -j $(JOBS)
	scripts/services/with_services.sh sh -c 'cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)'

# The kill -9 campaign at any size (make test runs it at 4 kills a pipeline):
# make crash-campaign KILLS=100 SEED=7
KILLS ?= 50
SEED ?= 20261207
crash-campaign: deps $(TEST_BUILD)/build.ninja
	cmake --build $(TEST_BUILD) -j $(JOBS) --target mlpipe mlpipe_e2e_test
	cd $(TEST_BUILD) && MLPIPE_CRASH_KILLS=$(KILLS) MLPIPE_CRASH_SEED=$(SEED) \
	  ./tests/mlpipe_e2e_test --gtest_filter='CrashCampaignE2ETest.*'

# libFuzzer targets (fuzz/), built with clang: make fuzz FUZZ_SECONDS=600
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 0
FUZZ_TARGETS ?= spec_loader_fuzz csv_reader_fuzz oip_request_fuzz http_request_fuzz
$(FUZZ_BUILD)/build.ninja:
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DMLPIPE_FUZZ=ON -DMLPIPE_TESTS=OFF -DMLPIPE_WERROR=OFF -DMLPIPE_WEB_UI=OFF \
	  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8 $(LAUNCHER) $(CMAKE_FLAGS)

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_SEED) "$(FUZZ_TARGETS)"

# What make test runs: every target briefly, from a fixed seed.
fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=15 FUZZ_SEED=1

# A unity build (8 files a compile): the sanitized build is what CI waits for,
# and most of a file's compile time is parsing the same headers. The Debug,
# RelWithDebInfo and bench builds compile file by file, so a file that forgets
# an include still fails there.
$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMLPIPE_SANITIZE=ON \
	  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8 $(LAUNCHER) $(CMAKE_FLAGS)

test-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	scripts/services/with_services.sh sh -c 'cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)'

# What is installed and packaged: a Release build of the executables only,
# a unity build as the sanitized one (CI builds both from nothing).
$(RELEASE_BUILD)/build.ninja:
	cmake -S . -B $(RELEASE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLPIPE_TESTS=OFF \
	  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8 $(LAUNCHER) $(CMAKE_FLAGS)

release: deps $(RELEASE_BUILD)/build.ninja
	cmake --build $(RELEASE_BUILD) -j $(JOBS)

# DESTDIR, if set, is honoured (staged installs).
install: release
	cmake --install $(RELEASE_BUILD) --prefix $(PREFIX)

package: release
	cd $(RELEASE_BUILD) && cpack -G DEB
	@ls $(RELEASE_BUILD)/mlpipe_*.deb

# The Release build (warnings are errors there too), installed into a
# temporary prefix and, as root on Debian, as a package; and the commands
# `make demo` prints, pasted (tests/e2e/*.sh).
test-install: package
	tests/e2e/install_test.sh $(RELEASE_BUILD)
	tests/e2e/deb_test.sh $(RELEASE_BUILD)
	tests/e2e/demo_test.sh $(RELEASE_BUILD)/src/mlpipe/cli/mlpipe
	tests/e2e/demo_delivery_test.sh $(RELEASE_BUILD)/src/mlpipe/cli/mlpipe

# CI runs `make test`: one sanitized build that runs every test, end-to-end
# ones included, then the Release build, installed and packaged.
test: test-asan test-install fuzz-ci

bench:
	@scripts/deps.sh bench
	cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLPIPE_BENCH=ON -DMLPIPE_TESTS=OFF $(LAUNCHER)
	cmake --build build-bench -j $(JOBS)
	bench/run_all.sh build-bench

format:
	find src bench -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(ASAN_BUILD) $(RELEASE_BUILD) build-bench
