#!/usr/bin/env bash
# Run pytest from the venv the way every make target does, print its summary line, and
# fail when no test ran: exit code 5 (nothing collected, or everything deselected) and a
# run where every test was skipped are failures, not green builds.
set -euo pipefail

mkdir -p build
log=build/pytest.log
set +e
.venv/bin/pytest -p no:cacheprovider -q -rs "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

summary=$(grep -E '(passed|failed|error|skipped|deselected|no tests ran).* in [0-9.]+s' "$log" | tail -n 1 || true)
echo "pytest summary: ${summary:-<none: pytest printed no summary line>} (exit code $status)"

if ((status == 5)); then
    echo "pytest: no tests were collected -- treating this as a failure" >&2
    exit 1
fi
if ((status == 0)) && ! grep -qE '[0-9]+ passed' <<<"$summary"; then
    echo "pytest: no test passed (all skipped?) -- treating this as a failure" >&2
    exit 1
fi
exit "$status"
