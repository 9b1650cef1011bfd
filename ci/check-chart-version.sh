#!/usr/bin/env bash
# check-chart-version.sh BASE: a change under charts/ since BASE (a git ref: the pull request's
# target branch) must bump the umbrella chart's version, keep the subcharts in lockstep, and add
# the new version to the CHANGELOG, as `ct lint` asks of chart repositories. With --agree instead
# of BASE only the lockstep and the CHANGELOG are checked (the repository's own test, which must
# not fail on a developer's uncommitted edits).
set -euo pipefail
base="${1:?usage: check-chart-version.sh BASE_REF|--agree}"
cd "$(git rev-parse --show-toplevel)"
chart=charts/datastores
version() { sed -n 's/^version: *//p' "$1" | head -n 1 | tr -d '"'; }
current="$(version "$chart/Chart.yaml")"
fail=0
for sub in "$chart"/charts/*/Chart.yaml; do
  if [ "$(version "$sub")" != "$current" ]; then
    echo "check-chart-version: $sub is at $(version "$sub"), not $current: the subcharts move with the umbrella chart" >&2
    fail=1
  fi
done
if ! grep -q "^## $current\$" "$chart/CHANGELOG.md"; then
  echo "check-chart-version: $chart/CHANGELOG.md has no \"## $current\" entry" >&2
  fail=1
fi
if [ "$base" = "--agree" ]; then
  [ "$fail" -eq 0 ] && echo "check-chart-version: $current, subcharts and CHANGELOG agree"
  exit "$fail"
fi
if git diff --quiet "$base" -- charts/; then
  echo "check-chart-version: charts/ unchanged since $base"
  exit "$fail"
fi
previous="$(git show "$base:$chart/Chart.yaml" 2>/dev/null | sed -n 's/^version: *//p' | head -n 1 | tr -d '"')"
if [ "$previous" = "$current" ]; then
  echo "check-chart-version: charts/ changed since $base but the chart is still at $current: bump version in $chart/Chart.yaml (and the subcharts) and add it to $chart/CHANGELOG.md" >&2
  fail=1
fi
[ "$fail" -eq 0 ] && echo "check-chart-version: $previous -> $current"
exit "$fail"
