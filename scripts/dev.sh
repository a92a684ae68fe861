#!/usr/bin/env bash
# Set up, build and run adjoint on Debian 12: installs the missing build dependencies
# (apt, only when something is missing), builds in Release, then runs the main example
# or the whole test suite. It does not install python3-torch: that is only for
# regenerating golden fixtures and for benchmarks, never for building or testing.
#
#   bash scripts/dev.sh example   # set up, build only the main example, run it (its default run)
#   bash scripts/dev.sh test      # set up, build, run every test through ctest
#   bash scripts/dev.sh build     # set up and build only
#
# Environment: ADJOINT_BUILD_DIR (default <repo>/build), JOBS (default: nproc).
set -euo pipefail

# The program `example` builds and runs: examples/<main_example>, target <main_example>.
# toy_segmentation trains a tiny encoder-decoder for a few minutes and writes its results
# (montage, curves, checkpoints) to runs/toy_segmentation under the repository root.
main_example=toy_segmentation

packages=(build-essential cmake libxtensor-dev xtl-dev libxsimd-dev libopenblas-dev
          libgtest-dev nlohmann-json3-dev libstb-dev libcli11-dev libdnnl-dev)
# Only the test suite needs these: Open MPI, for the optional adjoint::distributed component.
test_packages=(libopenmpi-dev openmpi-bin)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${ADJOINT_BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}

usage()
{
    echo "usage: bash scripts/dev.sh example|test|build" >&2
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

[ $# -eq 1 ] || usage
case "$1" in
    example)
        install_missing_packages "${packages[@]}"
        configure_and_build "$main_example"
        cd "$root"
        "$build/examples/$main_example/$main_example"
        ;;
    test)
        install_missing_packages "${packages[@]}" "${test_packages[@]}"
        configure_and_build
        ctest --test-dir "$build" --output-on-failure -j"$jobs"
        ;;
    build)
        install_missing_packages "${packages[@]}" "${test_packages[@]}"
        configure_and_build
        ;;
    *)
        usage
        ;;
esac
