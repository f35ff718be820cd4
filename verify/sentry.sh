#!/usr/bin/env bash
# Per-integration probe (seed § 1 steps 13–18): verify sentry alone, e.g.
#   OPERATOR_WIRING_MODE=real_sentry ./verify/sentry.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_opwire.sh"
exec "$OPWIRE" verify sentry "$@"
