#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_style.sh SRC NPM_DIR - the style checks `make lint` runs, as a test (so CI runs them):
#   clang-format --dry-run --Werror on every C file of lib/, nvr/, storage/ (.clang-format);
#   eslint (web/eslint.config.cjs, from NPM_DIR's node_modules) on web/ui/js, unless NPM_DIR is "-".
# `make format` rewrites the C files in place.  Exit 0 when both are clean.
set -uo pipefail
src=$1 npm=$2
cd "$src" || exit 2
rc=0
mapfile -t files < <(git ls-files -- 'lib/*.[ch]' 'nvr/*.[ch]' 'storage/*.[ch]' 2>/dev/null ||
                     find lib nvr storage -name '*.[ch]')
echo "clang-format: ${#files[@]} files"
if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "FAIL: clang-format would change the files above: run \`make format\`" >&2
  rc=1
fi
if [[ $npm != - ]]; then
  echo "eslint: web/ui/js"
  if ! NODE_PATH=$npm/node_modules "$npm/node_modules/.bin/eslint" --config web/eslint.config.cjs --max-warnings 0 web/ui/js; then
    echo "FAIL: eslint" >&2
    rc=1
  fi
fi
exit $rc
