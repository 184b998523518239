#!/usr/bin/env bash
# `cmake --install` into a fresh prefix, then a program outside the tree built
# against it twice, with find_package(Tessera) and with pkg-config, each run
# under mpiexec -n 2; and the installed launcher runs.
#   install_test.sh BUILD_DIR OUT MPIEXEC "MPIEXEC_FLAGS"
set -u
build=$1; out=$2; mpiexec=$3; flags=$4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
rm -rf "$out" && mkdir -p "$out"
prefix=$out/prefix

cmake --install "$build" --prefix "$prefix" > "$out/install.log" 2>&1 || { cat "$out/install.log"; exit 1; }
"$prefix/bin/tessera" --version | grep -q "^tessera " || fail "the installed launcher does not run"
[ -f "$prefix/include/tessera/version.hpp" ] || fail "version.hpp not installed"

cmake -S "$here/consumer" -B "$out/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  > "$out/cmake.log" 2>&1 && cmake --build "$out/cmake-build" >> "$out/cmake.log" 2>&1 ||
  fail "find_package(Tessera) build: $(tail -20 "$out/cmake.log")"
got=$("$mpiexec" -n 2 $flags "$out/cmake-build/consumer" 2>&1) || fail "the CMake-built consumer exited $?: $got"
grep -q "^consumer ranks=2 sum=328350$" <<<"$got" || fail "the CMake-built consumer printed: $got"

pc_dir=$(dirname "$(find "$prefix" -name tessera.pc | head -1)")
flags_pc=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs tessera) || fail "pkg-config does not know tessera"
c++ -std=c++20 -O1 "$here/consumer/consumer.cpp" $flags_pc -o "$out/consumer_pc" > "$out/pc.log" 2>&1 ||
  fail "pkg-config build: $(tail -20 "$out/pc.log")"
got=$("$mpiexec" -n 2 $flags "$out/consumer_pc" 2>&1) || fail "the pkg-config consumer exited $?: $got"
grep -q "^consumer ranks=2 sum=328350$" <<<"$got" || fail "the pkg-config consumer printed: $got"

[ $failures -eq 0 ] && echo "OK: installed to $prefix; built and ran with CMake and pkg-config" || exit 1
