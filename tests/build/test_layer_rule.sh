#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The layer rule (cmake/layers.cmake) holds on the tree and stops a wrong-way
# include two ways: the checker names the file, the line's include and the
# rule; and the compiler, given one layer's include roots, cannot find a
# header of a layer above it -- neither as "<layer>/x.h" nor by its path from
# the repository root.
#   test_layer_rule.sh SOURCE_DIR BUILD_DIR CC
set -u
src=$1 build=$2 cc=$3
map=$build/layers/map.cmake
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
no() { echo "CHECK FAILED: $*" >&2; fail=1; }

# 1. the tree as it is passes
cmake -DROOT="$src" -DMAP="$map" -P "$src/cmake/check_layers.cmake" >"$tmp/ok.log" 2>&1 ||
    { cat "$tmp/ok.log"; no "the checker rejects the tree as it is"; }

# 2. a storage file that includes the HTTP server, by layer and by repository path
mkdir -p "$tmp/root/storage"
printf '#include "storage/index.h"\n#include "http/http_server.h"\n#include "nvr/http/http_server.h"\n' \
    >"$tmp/root/storage/bad.c"
if cmake -DROOT="$tmp/root" -DMAP="$map" -P "$src/cmake/check_layers.cmake" >"$tmp/bad.log" 2>&1; then
    no "the checker accepts storage/bad.c including the HTTP server"
fi
grep -q 'storage/bad.c (layer storage) includes "http/http_server.h" of layer http' "$tmp/bad.log" ||
    no "no message naming the file, the include and the layer: $(cat "$tmp/bad.log")"
grep -q 'storage/bad.c includes "nvr/http/http_server.h"' "$tmp/bad.log" ||
    no "no message for the include by repository path"
grep -q '2 include(s) break the dependency rule' "$tmp/bad.log" || no "the count of broken includes is not 2"

# 3. the compiler with the storage layer's include roots (what nvr_storage compiles with)
flags=(-I"$build/layers/storage" -I"$build/layers/base" -I"$build/generated" -fsyntax-only -x c)
printf '#include "storage/index.h"\n#include "base/err.h"\nint x;\n' >"$tmp/good.c"
"$cc" "${flags[@]}" "$tmp/good.c" 2>"$tmp/cc_good.log" || no "a storage file cannot include its own layer: $(cat "$tmp/cc_good.log")"
for inc in http/http_server.h nvr/http/http_server.h core/recorder.h; do
    printf '#include "%s"\nint x;\n' "$inc" >"$tmp/up.c"
    if "$cc" "${flags[@]}" "$tmp/up.c" 2>/dev/null; then
        no "the compiler finds \"$inc\" from the storage layer"
    fi
done

if [ $fail = 0 ]; then echo "test_layer_rule: 1 passed, 0 failed"; else echo "test_layer_rule: 0 passed, 1 failed"; fi
exit $fail
