# mlpipe: the two commands of the quick start, and a few more.
#   make demo   install what is missing, build, run a real pipeline end to end
#   make test   install what is missing, build, run every test under ASan+UBSan (one build, every test)
#   make test-fast   the same tests in a plain Debug build (quicker to iterate)
JOBS ?= 2
BUILD ?= build
TEST_BUILD ?= build-test
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-fast test-asan bench clean format

all: build

deps:
	@scripts/deps.sh build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target mlpipe

demo: build
	@scripts/demo.sh $(BUILD)/src/mlpipe/cli/mlpipe

# The test passes build in Debug (fast to compile; -Werror as everywhere).
$(TEST_BUILD)/build.ninja:
	cmake -S . -B $(TEST_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)

test-fast: deps $(TEST_BUILD)/build.ninja
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

# A unity build (8 files a compile): the sanitized build is what CI waits for,
# and most of a file's compile time is parsing the same headers. The other
# builds compile file by file, so a file that forgets an include still fails.
$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMLPIPE_SANITIZE=ON \
	  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8 $(CMAKE_FLAGS)

test-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

# CI runs `make test`: one sanitized build that runs every test, end-to-end ones included.
test: test-asan

bench:
	@scripts/deps.sh bench
	cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLPIPE_BENCH=ON -DMLPIPE_TESTS=OFF
	cmake --build build-bench -j $(JOBS)
	bench/run_all.sh build-bench

format:
	find src bench -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(ASAN_BUILD) build-bench
