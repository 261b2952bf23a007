#!/usr/bin/env bash
# Installs what linlearn needs to build and test, from Debian 12's packages. As root it
# runs apt-get; otherwise it prints the apt-get line to run and stops if anything is missing.
set -euo pipefail
packages=(
  cmake g++ make pkg-config binutils          # toolchain; nm/readelf for the ABI test
  libeigen3-dev libboost-dev doctest-dev      # the design card: Eigen, Boost.DLL, doctest
  nlohmann-json3-dev libcli11-dev libfast-float-dev
  clang libclang-rt-14-dev                    # libFuzzer targets (tests/fuzz), the tsan preset
  libomp-dev                                  # the tsan preset: LLVM's OpenMP and its TSan tool (Archer)
  abigail-tools                               # the ABI baseline check (abidiff)
  python3 python3-numpy python3-scipy python3-sklearn python3-pytest python3-setuptools python3-pip
  liblinear-tools                             # tests/quality: L2 logistic regression against LIBLINEAR's optimum
  chromium                                    # renders `linlearn report`'s HTML in tests/cli (headless)
  python3-jsonschema prometheus prometheus-pushgateway protobuf-compiler  # tracking sinks' tests: EMF schema, promtool, Pushgateway, protoc
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "linlearn needs these Debian packages; install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
