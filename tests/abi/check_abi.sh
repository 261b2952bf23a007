#!/usr/bin/env bash
# usage: check_abi.sh ABIDIFF BASELINE.abi LIBRARY.so HEADERS_DIR
# Fails on an incompatible ABI change (abidiff's bit 8) or an abidiff error (bits 1, 2).
set -u
abidiff=$1 baseline=$2 library=$3 headers=$4
"$abidiff" --exported-interfaces-only --hd1 "$headers" --hd2 "$headers" --no-added-syms "$baseline" "$library"
rc=$?
if (( rc & 8 )); then
  echo "FAIL: incompatible ABI change against $baseline (see above)"; exit 1
elif (( rc & 3 )); then
  echo "FAIL: abidiff could not compare (exit $rc)"; exit 1
fi
echo "ok: the ABI is compatible with the baseline (abidiff exit $rc)"
