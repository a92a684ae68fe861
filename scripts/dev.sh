#!/usr/bin/env bash
# Set up, build and run adjoint on Debian 12: installs the missing build dependencies
# (apt, only when something is missing), builds in Release, then runs the main example
# or the whole test suite. It does not install python3-torch: that is only for
# regenerating golden fixtures and for benchmarks, never for building or testing.
#
#   bash scripts/dev.sh example   # set up, build only the main example, run it (its default run)
#   bash scripts/dev.sh test      # set up, build; every test, then test-asan, test-tsan, fuzz 60
#   bash scripts/dev.sh build     # set up and build only
#   bash scripts/dev.sh test-release  # only the first part of `test`: every test, Release build
#   bash scripts/dev.sh test-asan # every test under AddressSanitizer + UBSan (build-asan/)
#   bash scripts/dev.sh test-tsan # the threading tests under ThreadSanitizer (build-tsan/)
#   bash scripts/dev.sh fuzz [seconds]  # each libFuzzer target for `seconds` (default 60; build-fuzz/)
#   bash scripts/dev.sh soak [steps]    # long training run, RSS and graph nodes (default 10000)
# (docs/reliability.md explains the last four.)
#
# Environment: ADJOINT_BUILD_DIR (default <repo>/build), JOBS (default: nproc).
set -euo pipefail

# The program `example` builds and runs: examples/<main_example>, target <main_example>.
# toy_segmentation trains a tiny encoder-decoder for a few minutes and writes its results
# (montage, curves, checkpoints) to runs/toy_segmentation under the repository root.
main_example=toy_segmentation

# ocl-icd-opencl-dev: libdnnl-dev only recommends it, but its CMake config requires OpenCL.
packages=(build-essential cmake libxtensor-dev xtl-dev libxsimd-dev libopenblas-dev
          libgtest-dev nlohmann-json3-dev libstb-dev libcli11-dev libdnnl-dev
          ocl-icd-opencl-dev)
# Only the test suite needs these: Open MPI, for the optional adjoint::distributed component.
test_packages=(libopenmpi-dev openmpi-bin)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${ADJOINT_BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}

usage()
{
    echo "usage: bash scripts/dev.sh example|test|build|test-release|test-asan|test-tsan|fuzz [seconds]|soak [steps]" >&2
    exit 2
}

# Installs whichever of the named packages are missing.
install_missing_packages()
{
    local missing=()
    for p in "$@"; do
        # dpkg-query is instant, so a machine that has everything never touches the network.
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return
    fi
    echo "dev.sh: installing ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# Configures, then builds the given targets (everything when none is given).
configure_and_build()
{
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
    local targets=()
    for t in "$@"; do
        targets+=(--target "$t")
    done
    cmake --build "$build" -j"$jobs" "${targets[@]}"
}

# ---- reliability: sanitizer, fuzz and soak builds, each in a folder of its own ----
# The sanitizer's clang and runtime, installed only by the fuzz command.
fuzz_packages=(clang-14 libclang-rt-14-dev)

# cmake -S root -B <dir> with ccache when it is installed, plus the given arguments.
configure_in()
{
    local dir=$1
    shift
    local launcher=()
    if command -v ccache >/dev/null 2>&1; then
        launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    fi
    cmake -S "$root" -B "$dir" "${launcher[@]}" "$@"
}

# Sanitizer builds: -O1 with line tables is quick to compile and still fast enough to run.
sanitizer_build_type=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1")
# allocator_may_return_null: the tests ask for impossible sizes on purpose and expect the
# library's std::runtime_error, not ASan's allocation-size-too-big report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

test_asan()
{
    local dir=${ADJOINT_ASAN_BUILD_DIR:-$root/build-asan}
    configure_in "$dir" "${sanitizer_build_type[@]}" -DADJOINT_SANITIZE=address,undefined \
        -DADJOINT_TEST_STATIC_INSTALL=OFF -DADJOINT_BUILD_BENCH=OFF
    cmake --build "$dir" -j"$jobs"
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" -LE 'static|distributed' -E '^install_and_consume$'
    # Open MPI is built without frame pointers, so only the slow unwinder gives the stacks
    # through it that the leak suppressions match (it makes every malloc ~20x slower: only
    # the tests that start MPI get it). The install test's consumers use MPI too.
    ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0" \
        ctest --test-dir "$dir" --output-on-failure -j"$jobs" -L distributed
    ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0" \
        ctest --test-dir "$dir" --output-on-failure -R '^install_and_consume$'
}

test_tsan()
{
    local dir=${ADJOINT_TSAN_BUILD_DIR:-$root/build-tsan}
    configure_in "$dir" "${sanitizer_build_type[@]}" -DADJOINT_SANITIZE=thread \
        -DADJOINT_TEST_STATIC_INSTALL=OFF -DADJOINT_BUILD_BENCH=OFF -DADJOINT_BUILD_EXAMPLES=OFF \
        -DADJOINT_BUILD_DISTRIBUTED=OFF
    cmake --build "$dir" -j"$jobs" --target test_graph_lifetime
    # OpenBLAS's own threads are not instrumented: one BLAS thread keeps TSan's reports to
    # adjoint's code (the threads in the tests are the tests' own).
    OPENBLAS_NUM_THREADS=1 "$dir/tests/test_graph_lifetime"
}

run_fuzz()
{
    local seconds=${1:-60}
    local dir=${ADJOINT_FUZZ_BUILD_DIR:-$root/build-fuzz}
    configure_in "$dir" "${sanitizer_build_type[@]}" -DCMAKE_CXX_COMPILER=clang++-14 \
        -DADJOINT_SANITIZE=address,undefined -DADJOINT_BUILD_FUZZ=ON -DADJOINT_BUILD_TESTS=OFF \
        -DADJOINT_BUILD_EXAMPLES=OFF -DADJOINT_BUILD_BENCH=OFF -DADJOINT_BUILD_DISTRIBUTED=OFF
    cmake --build "$dir" -j"$jobs" --target fuzz_all
    local target
    for target in $(cat "$dir/tests/fuzz/targets.txt"); do
        # The committed seeds stay as they are; what a run finds goes to the build folder.
        local found=$dir/fuzz-corpus/$target
        mkdir -p "$found" "$dir/fuzz-artifacts"
        echo "dev.sh: fuzzing $target for ${seconds}s"
        "$dir/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
            -dict="$root/tests/fuzz/$target.dict" -artifact_prefix="$dir/fuzz-artifacts/$target-" \
            "$found" "$root/tests/fuzz/corpus/$target"
    done
}

run_soak()
{
    local steps=${1:-10000}
    local dir=${ADJOINT_SOAK_BUILD_DIR:-$build}
    configure_in "$dir" -DCMAKE_BUILD_TYPE=Release
    cmake --build "$dir" -j"$jobs" --target soak
    "$dir/bench/soak" "$steps"
}

case "${1:-}" in
    test-asan|test-tsan) [ $# -eq 1 ] || usage; install_missing_packages "${packages[@]}" "${test_packages[@]}" ;;
    fuzz) [ $# -le 2 ] || usage; install_missing_packages "${packages[@]}" "${fuzz_packages[@]}" ;;
    soak) [ $# -le 2 ] || usage; install_missing_packages "${packages[@]}" ;;
    *) [ $# -eq 1 ] || usage ;;
esac
case "$1" in
    test-asan) test_asan; exit ;;
    test-tsan) test_tsan; exit ;;
    fuzz) run_fuzz "${2:-}"; exit ;;
    soak) run_soak "${2:-}"; exit ;;
esac

case "$1" in
    example)
        install_missing_packages "${packages[@]}"
        configure_and_build "$main_example"
        cd "$root"
        "$build/examples/$main_example/$main_example"
        ;;
    test-release)
        install_missing_packages "${packages[@]}" "${test_packages[@]}"
        configure_and_build
        ctest --test-dir "$build" --output-on-failure -j"$jobs"
        ;;
    test)
        # The whole suite: Release, then the sanitizer builds and a bounded fuzz run of each
        # target; the first failure or sanitizer report stops it (set -e).
        install_missing_packages "${packages[@]}" "${test_packages[@]}" "${fuzz_packages[@]}"
        configure_and_build
        ctest --test-dir "$build" --output-on-failure -j"$jobs"
        test_asan
        test_tsan
        run_fuzz 60
        ;;
    build)
        install_missing_packages "${packages[@]}" "${test_packages[@]}"
        configure_and_build
        ;;
    *)
        usage
        ;;
esac
