#!/usr/bin/env bash
# Set up, build and run adjoint on Debian 12: installs the missing build dependencies
# (apt, only when something is missing), builds in Release, then runs the main example
# or the whole test suite. It does not install python3-torch: that is only for
# regenerating golden fixtures and for benchmarks, never for building or testing.
#
#   bash scripts/dev.sh example   # set up, build, run the main example
#   bash scripts/dev.sh test      # set up, build, run every test through ctest
#   bash scripts/dev.sh build     # set up and build only
#
# Environment: ADJOINT_BUILD_DIR (default <repo>/build), JOBS (default: nproc).
set -euo pipefail

# The program `example` runs; a segmentation example will take over from the tour.
main_example=tensor_tour

packages=(build-essential cmake libxtensor-dev xtl-dev libxsimd-dev libopenblas-dev
          libgtest-dev nlohmann-json3-dev libstb-dev libopenmpi-dev openmpi-bin libdnnl-dev)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${ADJOINT_BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}

usage()
{
    echo "usage: bash scripts/dev.sh example|test|build" >&2
    exit 2
}

install_missing_packages()
{
    local missing=()
    for p in "${packages[@]}"; do
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

configure_and_build()
{
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
    cmake --build "$build" -j"$jobs"
}

[ $# -eq 1 ] || usage
case "$1" in
    example)
        install_missing_packages
        configure_and_build
        "$build/examples/$main_example"
        ;;
    test)
        install_missing_packages
        configure_and_build
        ctest --test-dir "$build" --output-on-failure -j"$jobs"
        ;;
    build)
        install_missing_packages
        configure_and_build
        ;;
    *)
        usage
        ;;
esac
