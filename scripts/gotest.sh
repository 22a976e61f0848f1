#!/usr/bin/env bash
# gotest.sh LOG ARGS...: `go test -v ARGS` with the whole output kept in LOG.
# It prints each package's result, the ORACLE summary lines (how many kernel
# scenarios and statements were compared) and any skipped test; on failure
# also the failing tests' output.
set -o pipefail
log=$1
shift
mkdir -p "$(dirname "$log")"
go test -v "$@" >"$log" 2>&1
rc=$?
grep -E -- '^(ok|FAIL|ORACLE|panic:|\?)|--- (FAIL|SKIP)' "$log"
if [ "$rc" -ne 0 ]; then
	echo "---- failing output (the full log is $log) ----"
	grep -E -B2 -A25 -- '--- FAIL|^panic:' "$log" | head -400
fi
exit "$rc"
