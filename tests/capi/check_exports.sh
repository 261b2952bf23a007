#!/bin/sh
# check_exports.sh LIBRARY HEADER SONAME
#
# liblinlearn.so exports the C ABI and nothing else: every dynamic symbol it defines is
# a function named ll_*, versioned LINLEARN_<abi> by capi/linlearn.map; the set is exactly
# the LL_API functions that HEADER (linlearn.h) declares; no C++ (mangled _Z*), Eigen,
# std:: or other symbol leaks; and its SONAME is SONAME (liblinlearn.so.<abi>).
set -eu
lib=$1 header=$2 soname=$3
status=0
fail() { echo "check_exports: $*" >&2; status=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "ADDRESS TYPE NAME@@VERSION" per symbol; the version node itself is an absolute (A)
# symbol named after the node.
nm -D --defined-only "$lib" >"$tmp/nm"
awk '$2 != "A" { print }' "$tmp/nm" >"$tmp/defined"
[ -s "$tmp/defined" ] || fail "nm -D --defined-only found no symbols in $lib"

# Only functions (T), named ll_*, in the LINLEARN_<n> version node.
awk '$2 != "T" { print "  not a function: " $0 }' "$tmp/defined" >"$tmp/bad"
awk '{ split($3, s, "@"); if (s[1] !~ /^ll_[a-z0-9_]+$/) print "  not ll_*: " $0 }' "$tmp/defined" >>"$tmp/bad"
awk '$3 !~ /@@LINLEARN_[0-9]+$/ { print "  unversioned: " $0 }' "$tmp/defined" >>"$tmp/bad"
if [ -s "$tmp/bad" ]; then
  fail "unexpected exported symbols:"
  cat "$tmp/bad" >&2
fi
if grep -E ' _Z|Eigen' "$tmp/nm" >&2; then
  fail "C++ symbols leak (above)"
fi

# Exactly the functions the header declares.
awk '{ split($3, s, "@"); print s[1] }' "$tmp/defined" | sort -u >"$tmp/exported"
tr '\n' ' ' <"$header" | grep -oE 'LL_API[^;{]*\bll_[a-z0-9_]+[[:space:]]*\(' |
  grep -oE 'll_[a-z0-9_]+[[:space:]]*\($' | tr -d ' (' | sort -u >"$tmp/declared"
[ "$(wc -l <"$tmp/declared")" -ge 20 ] || fail "found only $(wc -l <"$tmp/declared") declarations in $header"
if ! diff "$tmp/declared" "$tmp/exported" >"$tmp/diff"; then
  fail "exports differ from the declarations in $header (< declared only, > exported only):"
  cat "$tmp/diff" >&2
fi

# The SONAME.
got=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$got" = "$soname" ] || fail "SONAME is '$got', expected '$soname'"

[ $status -eq 0 ] && echo "check_exports: $(wc -l <"$tmp/exported") ll_* functions, SONAME $got: ok"
exit $status
