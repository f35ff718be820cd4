#!/usr/bin/env bash
# Single-entry verifier (seed § 1 step 6): every integration concurrently, one line per request,
# then the summary. Exit 0 GREEN, 1 a FAIL, 2 usage or configuration error, 3 HOLD (unconfirmed
# or blocked). Mode from OPERATOR_WIRING_MODE (mock by default); extra flags go to `opwire verify`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_opwire.sh"
exec "$OPWIRE" verify "$@"
