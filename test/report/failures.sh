#!/usr/bin/env bash
# After a failed `make test`: prints, at the very end of the log, every failed assertion of
# every suite with its diagnostics (tap keeps each file's output in .tap/test-results), so a
# CI log whose middle is cut still shows what failed.
# usage: test/report/failures.sh [RESULTS-DIR]
set -uo pipefail
dir=${1:-.tap/test-results}
[[ -d $dir ]] || { echo "failures: no $dir" >&2; exit 0; }
found=0
while IFS= read -r -d '' f; do
  grep -q '^ *not ok ' "$f" || continue
  found=1
  echo "=== failed in ${f#"$dir"/}"
  # each "not ok" line and its YAML block (up to the block's "..." or 40 lines)
  awk '/^ *not ok /{p=1; n=0} p{print; n++; if ($0 ~ /^ *\.\.\.$/ || n>40) p=0}' "$f"
done < <(find "$dir" -name '*.tap' -print0 | sort -z)
[[ $found -eq 1 ]] || echo "failures: no failed assertion in $dir (a suite may have died: see above)"
