# Two commands set everything up on a fresh Debian 12 machine:
#   make demo   install dependencies, build, run the main job on the bundled samples
#   make test   install dependencies, build, run every test
BUILD_DIR ?= build
ASAN_BUILD_DIR ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-asan bench clean format

all: build

deps:
	scripts/install-deps

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	scripts/demo $(BUILD_DIR)

test: build
	scripts/run-tests $(BUILD_DIR)

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs it after `make test`).
# Left out: the `accuracy` label, the fixed-seed mesh accuracy benchmark (tens of thousands of ICP
# iterations: 8 min 39 s unoptimised under ASan on 2 cores, measured 2026-11-30, half again the rest of this
# suite); the same matcher code runs under the sanitizers in the
# mesh unit and integration tests, and the accuracy subset itself runs in `make test`.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DINTERDICT_SANITIZE=ON \
	  -DINTERDICT_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	INTERDICT_SANITIZED=1 scripts/run-tests $(ASAN_BUILD_DIR) -LE accuracy

bench: build
	scripts/run-bench $(BUILD_DIR)

format:
	find host plugins tests bench samples -name '*.cc' -o -name '*.h' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR)
