#!/bin/sh
# check_install.sh BUILD_DIR SOURCE_DIR WORK_DIR [LIBDIR] [VERSION]
#
# Installs BUILD_DIR into WORK_DIR/prefix and uses the installed tree the way users do:
#  - the layout: headers, liblinlearn with its SONAME links, plugins, CMake package, .pc,
#    and no path of the build tree in what was installed;
#  - find_package(linlearn): the targets, the version rule (SameMajorVersion);
#  - examples/embed_c and examples/embed_cpp configured with -DCMAKE_PREFIX_PATH, built
#    warning-free, and run (each trains, cancels from a thread, saves, loads, predicts);
#  - examples/embed_c compiled with `cc $(pkg-config --cflags --libs linlearn)`, run;
#  - the installed `linlearn` command: found its library through RUNPATH $ORIGIN/../lib
#    and its sinks in lib/linlearn/plugins, with no LD_LIBRARY_PATH or LINLEARN_PLUGIN_PATH.
# Environment: CC, CXX, CFLAGS, CXXFLAGS, LDFLAGS (the build's, e.g. sanitizers), CMAKE.
set -eu
build=$1 src=$2 work=$3 libdir=${4:-lib} version=${5:-}
cmake=${CMAKE:-cmake}
cc=${CC:-cc} cxx=${CXX:-c++}
warn="-Wall -Wextra -pedantic -Werror"
prefix=$work/prefix

step() { printf '\n== %s\n' "$*"; }
die() { echo "check_install: FAILED: $*" >&2; exit 1; }
# The tools below must not find anything outside the installed tree by accident.
unset LINLEARN_PLUGIN_PATH LD_LIBRARY_PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH 2>/dev/null || true

rm -rf "$work"
mkdir -p "$work"

step "cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log"; die "install"; }

step "layout"
for f in include/linlearn/linlearn.h include/linlearn/event.h include/linlearn/sink.h \
         "$libdir/liblinlearn.so" "$libdir/liblinlearn.so.1" \
         "$libdir/cmake/linlearn/linlearnConfig.cmake" "$libdir/cmake/linlearn/linlearnConfigVersion.cmake" \
         "$libdir/cmake/linlearn/linlearnTargets.cmake" "$libdir/pkgconfig/linlearn.pc" \
         "$libdir/linlearn/plugins/liblinlearn_sink_json.so" "$libdir/linlearn/plugins/liblinlearn_sink_csv.so" \
         "$libdir/linlearn/plugins/liblinlearn_sink_stdout.so" bin/linlearn; do
  [ -e "$prefix/$f" ] || die "missing $f"
done
# The dev link names the SONAME link, which names the real file.
[ "$(readlink "$prefix/$libdir/liblinlearn.so")" = liblinlearn.so.1 ] || die "liblinlearn.so does not link to liblinlearn.so.1"
[ -f "$(readlink -f "$prefix/$libdir/liblinlearn.so.1")" ] || die "liblinlearn.so.1 is dangling"
readelf -d "$prefix/$libdir/liblinlearn.so.1" | grep -q 'SONAME.*\[liblinlearn\.so\.1\]' || die "SONAME"
# Nothing private: no static core, no C++ headers.
[ -z "$(find "$prefix" -name '*.a' -o -name '*.hpp')" ] || die "private files installed: $(find "$prefix" -name '*.a' -o -name '*.hpp')"
# Nothing that points back into the build or source tree, so that the installed tree
# works alone, moved, or packaged: not in the text files (CMake package, .pc; -I skips
# binaries, whose debug info may name sources), not in a RUNPATH.
for p in "$build/$libdir/" "$build/bin" "$build/CMakeFiles" "$src/capi" "$src/cmake"; do
  if grep -rlIF "$p" "$prefix" >"$work/leaks" 2>/dev/null; then die "'$p' in: $(cat "$work/leaks")"; fi
done
find "$prefix" -type f \( -name '*.so*' -o -path '*/bin/*' \) | while read -r f; do
  if readelf -d "$f" | grep -E 'R(UN)?PATH' | grep -F "$build"; then die "build RUNPATH in $f"; fi
done
# The command finds its library beside it, wherever the tree is installed.
readelf -d "$prefix/bin/linlearn" | grep -E 'R(UN)?PATH' | grep -qF "[\$ORIGIN/../$libdir]" ||
  die "bin/linlearn RUNPATH: $(readelf -d "$prefix/bin/linlearn" | grep -E 'R(UN)?PATH' || echo none)"

step "find_package(linlearn): targets and version rule"
mkdir -p "$work/probe"
cat >"$work/probe/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(probe NONE)
find_package(linlearn 0.1 REQUIRED)
foreach(t linlearn::linlearn linlearn::sink_api)
  if(NOT TARGET ${t})
    message(FATAL_ERROR "no target ${t}")
  endif()
endforeach()
get_target_property(type linlearn::linlearn TYPE)
get_target_property(sink_type linlearn::sink_api TYPE)
get_target_property(inc linlearn::sink_api INTERFACE_INCLUDE_DIRECTORIES)
if(NOT type STREQUAL "SHARED_LIBRARY" OR NOT sink_type STREQUAL "INTERFACE_LIBRARY"
   OR NOT EXISTS "${inc}/linlearn/sink.h" OR NOT IS_DIRECTORY "${linlearn_PLUGIN_DIR}")
  message(FATAL_ERROR "targets: ${type} ${sink_type} ${inc} ${linlearn_PLUGIN_DIR}")
endif()
# SameMajorVersion: another major is a different ABI.
find_package(linlearn 1.0 QUIET)
if(linlearn_FOUND)
  message(FATAL_ERROR "find_package(linlearn 1.0) accepted ${linlearn_VERSION}")
endif()
message(STATUS "linlearn ${PACKAGE_VERSION} ok")
CMAKE
"$cmake" -S "$work/probe" -B "$work/probe/build" -DCMAKE_PREFIX_PATH="$prefix" >"$work/probe.log" 2>&1 ||
  { cat "$work/probe.log"; die "find_package probe"; }

for ex in embed_c embed_cpp; do
  step "examples/$ex through find_package"
  "$cmake" -S "$src/examples/$ex" -B "$work/$ex" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_C_FLAGS="${CFLAGS:-} $warn" -DCMAKE_CXX_FLAGS="${CXXFLAGS:-} $warn" \
    -DCMAKE_EXE_LINKER_FLAGS="${LDFLAGS:-}" >"$work/$ex.log" 2>&1 &&
    "$cmake" --build "$work/$ex" >>"$work/$ex.log" 2>&1 || { cat "$work/$ex.log"; die "$ex: configure or build"; }
  # Run where the model file goes; the build tree's RPATH finds the installed library.
  (cd "$work" && "$work/$ex/$ex" "$work/$ex.llmodel") >"$work/$ex.out" 2>&1 || { cat "$work/$ex.out"; die "$ex: run"; }
  cat "$work/$ex.out"
  grep -q "^watcher: target accuracy" "$work/$ex.out" || die "$ex: the watcher did not cancel"
  grep -q "^reloaded from" "$work/$ex.out" || die "$ex: no predictions from the reloaded model"
  [ -s "$work/$ex.llmodel" ] || die "$ex: no model file"
done

step "examples/embed_c through pkg-config"
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
[ -z "$version" ] || [ "$(pkg-config --modversion linlearn)" = "$version" ] || die "pkg-config version $(pkg-config --modversion linlearn)"
[ -f "$(pkg-config --variable=includedir linlearn)/linlearn/linlearn.h" ] || die "pkg-config includedir"
[ "$(cd "$(pkg-config --variable=plugindir linlearn)" && pwd -P)" = "$(cd "$prefix/$libdir/linlearn/plugins" && pwd -P)" ] ||
  die "pkg-config plugindir"
echo "pkg-config --cflags --libs linlearn: $(pkg-config --cflags --libs linlearn)"
# shellcheck disable=SC2046,SC2086 # the flags are lists of words
"$cc" -std=c11 $warn ${CFLAGS:-} "$src"/examples/embed_c/*.c $(pkg-config --cflags --libs linlearn) -pthread \
  ${LDFLAGS:-} -o "$work/embed_c_pc" || die "cc with pkg-config"
(cd "$work" && LD_LIBRARY_PATH="$prefix/$libdir" "$work/embed_c_pc" "$work/embed_c_pc.llmodel") >"$work/embed_c_pc.out" 2>&1 ||
  { cat "$work/embed_c_pc.out"; die "embed_c (pkg-config): run"; }
grep -q "^reloaded from" "$work/embed_c_pc.out" || die "embed_c (pkg-config): output"
echo "ok"

step "the installed linlearn command"
loaded=$(ldd "$prefix/bin/linlearn" | sed -n 's/^[[:space:]]*liblinlearn\.so\.1 => \(.*\) (0x.*/\1/p')
[ -n "$loaded" ] && [ "$(readlink -f "$loaded")" = "$(readlink -f "$prefix/$libdir/liblinlearn.so.1")" ] ||
  die "bin/linlearn does not load the installed library: $(ldd "$prefix/bin/linlearn" | grep linlearn)"
[ -z "$version" ] || [ "$("$prefix/bin/linlearn" --version)" = "$version" ] || die "linlearn --version"
"$prefix/bin/linlearn" train --train "$src/data/breast_cancer.train.csv" \
  --validation "$src/data/breast_cancer.validation.csv" --test "$src/data/breast_cancer.test.csv" \
  --hp predictor_type=binary_classifier --hp epochs=2 -o "$work/out" >"$work/cli.out" 2>&1 ||
  { cat "$work/cli.out"; die "linlearn train"; }
for f in metrics.json events.jsonl epochs.csv model.llmodel; do
  [ -s "$work/out/$f" ] || { cat "$work/cli.out"; die "linlearn train wrote no $f"; }
done
grep -q '"status": "completed"' "$work/out/metrics.json" && grep -q '"test:binary_classification_accuracy"' "$work/out/metrics.json" ||
  die "metrics.json: no completed run with a test accuracy: $(cat "$work/out/metrics.json")"
echo "ok: metrics.json, events.jsonl, epochs.csv, model.llmodel"

printf '\ncheck_install: all ok\n'
