#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Adds the SPDX licence line to source files that lack it, as their first line
# (after a #! line, which must stay first):
#   /* SPDX-License-Identifier: Apache-2.0 */   C (.c .h), CSS
#   // SPDX-License-Identifier: Apache-2.0      JavaScript (.js .mjs .cjs)
#   # SPDX-License-Identifier: Apache-2.0       shell, Python, CMake, Makefiles, debian/rules
# A file that names an SPDX-License-Identifier in its first 5 lines is left alone;
# other files (Markdown, HTML, JSON, data) are skipped. Idempotent.
#
# Usage: packaging/spdx-headers.sh [--check] [--id SPDX-ID] PATH...
#   PATH     files or directories (a directory: its files that git tracks, else all)
#   --check  change nothing; list the files that lack the line, exit 1 if any do
#   --id ID  the licence identifier (default Apache-2.0, the LICENSE file's)
set -euo pipefail

check=0
id=Apache-2.0
paths=()
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1; shift ;;
    --id) id=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "spdx-headers.sh: unknown option $1" >&2; exit 2 ;;
    *) paths+=("$1"); shift ;;
  esac
done
if [ ${#paths[@]} -eq 0 ]; then
  echo "usage: packaging/spdx-headers.sh [--check] [--id SPDX-ID] PATH..." >&2
  exit 2
fi

# the comment line for a file, or nothing when the file is not a kind we mark
header_for() {
  local f=$1 base
  base=$(basename "$f")
  case "$base" in
    *.c|*.h|*.css) printf '/* SPDX-License-Identifier: %s */' "$id" ;;
    *.js|*.mjs|*.cjs) printf '// SPDX-License-Identifier: %s' "$id" ;;
    *.sh|*.bash|*.py|*.cmake|CMakeLists.txt|Makefile|*.mk|rules|.clang-format|*.yml|*.yaml)
      printf '# SPDX-License-Identifier: %s' "$id" ;;
    *)
      # scripts without an extension, known by their #! line
      if head -c 2 "$f" 2>/dev/null | grep -q '^#!' && head -n 1 "$f" | grep -Eq 'sh|python|make'; then
        printf '# SPDX-License-Identifier: %s' "$id"
      fi ;;
  esac
}

list_files() {
  local p=$1
  if [ -d "$p" ]; then
    if git -C "$p" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      (cd "$p" && git ls-files -z --cached --others --exclude-standard . | xargs -0 -r -n1 printf '%s\n' |
        sed "s|^|$p/|")
    else
      find "$p" -type f -not -path '*/node_modules/*' -not -path '*/.git/*'
    fi
  elif [ -f "$p" ]; then
    printf '%s\n' "$p"
  else
    echo "spdx-headers.sh: no such file or directory: $p" >&2
    return 1
  fi
}

missing=0
changed=0
for p in "${paths[@]}"; do
  while IFS= read -r f; do
    [ -f "$f" ] && [ ! -L "$f" ] || continue
    h=$(header_for "$f")
    [ -n "$h" ] || continue
    if head -n 5 "$f" | grep -q 'SPDX-License-Identifier:'; then
      continue
    fi
    if [ "$check" = 1 ]; then
      echo "$f"
      missing=$((missing + 1))
      continue
    fi
    tmp=$(mktemp)
    if head -n 1 "$f" | grep -q '^#!'; then
      { head -n 1 "$f"; printf '%s\n' "$h"; tail -n +2 "$f"; } >"$tmp"
    else
      { printf '%s\n' "$h"; cat "$f"; } >"$tmp"
    fi
    cat "$tmp" >"$f"   # keeps the file's mode and owner
    rm -f "$tmp"
    changed=$((changed + 1))
  done < <(list_files "$p")
done

if [ "$check" = 1 ]; then
  if [ "$missing" -gt 0 ]; then
    echo "spdx-headers.sh: $missing file(s) lack SPDX-License-Identifier" >&2
    exit 1
  fi
else
  echo "spdx-headers.sh: added the SPDX line to $changed file(s)"
fi
