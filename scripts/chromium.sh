#!/usr/bin/env bash
# The browser tests (tests/ui) drive the machine's Chromium through Playwright; Playwright's
# own browser downloads are not used. Debian's `chromium` package is installed when missing
# and we may (root, apt); LEGATO_CHROMIUM names another binary. Without one the tests skip,
# unless LEGATO_REQUIRE_BROWSER is set (CI), where they fail.
set -euo pipefail

if [[ -n "${LEGATO_CHROMIUM:-}" ]] || command -v chromium >/dev/null; then
    exit 0
fi
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "chromium: installing Debian's chromium package"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    exit 0
fi
echo "chromium: not found; install it (apt-get install chromium) or set LEGATO_CHROMIUM" >&2
