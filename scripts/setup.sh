#!/usr/bin/env bash
# Tessera setup from nothing, on Debian 12 as root (or with sudo).
#
#   bash scripts/setup.sh demo   install what is missing, build, run `tessera demo`
#   bash scripts/setup.sh test   install what is missing, build, run the whole test suite
#                                (Release build, then an ASan+UBSan build of the unit tests,
#                                then a TSan build of the loopback scheduler test)
#   bash scripts/setup.sh build  install and build only
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
mode=${1:-build}

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  openmpi-bin libopenmpi-dev libhdf5-openmpi-dev
  libeigen3-dev libboost-serialization-dev libcli11-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  zlib1g-dev libdeflate-dev liblz4-dev libzstd-dev libxxhash-dev libfast-float-dev libsimdjson-dev
  graphviz time libjs-d3 chromium slurm-wlm munge
  python3 python3-numpy python3-pandas python3-dask python3-distributed python3-h5py
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# MPI refuses root unless told; these make mpiexec work in containers and CI.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
jobs=$(nproc)

configure_and_build() {  # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

# Warnings are errors in the project's own builds (they are not a user's flags).
configure_and_build build -DTESSERA_WERROR=ON
case "$mode" in
  build) ;;
  demo)
    ./build/launcher/tessera demo
    ;;
  test)
    ctest --test-dir build --output-on-failure -j "$jobs"
    # Sanitizers over the unit tests only: MPI's own allocations would drown ASan's report.
    configure_and_build build-asan -DCMAKE_BUILD_TYPE=Debug -DTESSERA_WERROR=ON -DTESSERA_SANITIZE="address;undefined" \
      -DTESSERA_BUILD_BENCHMARKS=OFF
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      ctest --test-dir build-asan --output-on-failure -j "$jobs" -L unit
    # ThreadSanitizer over the distributed scheduler, its ranks as threads of
    # one process (lib/schedule/loopback_network.hpp): TSan cannot follow MPI
    # processes. One target only, to keep the extra build short.
    cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTESSERA_WERROR=ON -DTESSERA_SANITIZE=thread \
      -DTESSERA_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build build-tsan -j "$jobs" --target loopback_scheduler_test
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
      ctest --test-dir build-tsan --output-on-failure -j "$jobs" -R '^loopback_scheduler_test'  # and its forced_spill run
    ;;
  *) echo "usage: $0 demo|test|build" >&2; exit 2 ;;
esac
