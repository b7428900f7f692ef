#!/usr/bin/env bash
# The embedded setup: SQLite and keys under var/, a local SQLAlchemy broker (its tables made
# by `mkopo migrate`), the Daraja and Airtel Money simulators, one worker with the scheduler built in, and the
# API. Ctrl-C stops everything; so does any one of them exiting (the worker exits 3 when its
# scheduler dies).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var

port="${MKOPO_PORT:-8000}"
sim_port="${MKOPO_SIMULATOR_PORT:-8100}"
airtel_port="${MKOPO_AIRTEL_SIMULATOR_PORT:-8200}"
export MKOPO_PAYMENT_PROVIDER="${MKOPO_PAYMENT_PROVIDER:-daraja}"
export MKOPO_MPESA_BASE_URL="${MKOPO_MPESA_BASE_URL:-http://127.0.0.1:${sim_port}}"
export MKOPO_MPESA_CALLBACK_BASE_URL="${MKOPO_MPESA_CALLBACK_BASE_URL:-http://127.0.0.1:${port}}"
export MKOPO_AIRTEL_BASE_URL="${MKOPO_AIRTEL_BASE_URL:-http://127.0.0.1:${airtel_port}}"
# The console's cookies are Secure (HTTPS only) by default; this local server speaks http.
export MKOPO_CONSOLE_COOKIE_SECURE="${MKOPO_CONSOLE_COOKIE_SECURE:-false}"

wait_for() {  # wait_for URL: until it answers, at most 30 s
  "$BIN/python" - "$1" <<'PY'
import sys, time, httpx
for _ in range(150):
    try:
        httpx.get(sys.argv[1], timeout=1)
        sys.exit(0)
    except httpx.TransportError:
        time.sleep(0.2)
sys.exit(f"{sys.argv[1]} did not answer")
PY
}

"$BIN/mkopo" migrate
"$BIN/mkopo" keys generate --if-missing

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT INT TERM
if [[ "$MKOPO_PAYMENT_PROVIDER" == daraja && "$MKOPO_MPESA_BASE_URL" == *"127.0.0.1:${sim_port}"* ]]; then
  "$BIN/mkopo" simulator --port "$sim_port" > var/simulator.log 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:${sim_port}/__sim__/state"
fi
if [[ "$MKOPO_PAYMENT_PROVIDER" == daraja && "$MKOPO_AIRTEL_BASE_URL" == *"127.0.0.1:${airtel_port}"* ]]; then
  # It writes its key pair (MKOPO_AIRTEL_PUBLIC_KEY_PATH) on first start, before the worker
  # first pays an Airtel borrower.
  "$BIN/mkopo" simulator --provider airtel --port "$airtel_port" > var/airtel-simulator.log 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:${airtel_port}/__sim__/state"
fi
"$BIN/mkopo" serve > var/api.log 2>&1 &
pids+=($!)
"$BIN/mkopo" worker --concurrency 1 > var/worker.log 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:${port}/healthz"
if [[ "$MKOPO_PAYMENT_PROVIDER" == daraja ]]; then
  "$BIN/mkopo" mpesa register-urls
fi
seeded="$("$BIN/mkopo" seed-demo)"
echo "$seeded"

cat <<MSG

Mkopo is running on http://127.0.0.1:${port}  (logs: var/api.log, var/worker.log,
                var/simulator.log, var/airtel-simulator.log)
  API docs      http://127.0.0.1:${port}/docs
  health        http://127.0.0.1:${port}/healthz  and /readyz (database and scheduler;
                periodic tasks: /admin/v1/operations with an admin or auditor token)
  metrics       http://127.0.0.1:${port}/metrics
  M-Pesa        the Daraja simulator on http://127.0.0.1:${sim_port} (state: /__sim__/state,
                organisation statement: /__sim__/statement.csv)
  Airtel Money  the Airtel simulator on http://127.0.0.1:${airtel_port} (state: /__sim__/state,
                statement: /__sim__/statement.csv?account=collection|disbursement)
  demo          one borrower on each network: 0712345678 (M-Pesa), 0733123478 (Airtel Money)
  console       http://127.0.0.1:${port}/console  sign in as one of the demo staff below with
                the password and the code of  $BIN/mkopo staff totp-code <username>
                (or add the TOTP secret to an authenticator app)
$(echo "$seeded" | sed -n 's/^console sign-in: /                /p')
  staff tokens  $BIN/mkopo users create --username me --role auditor   (or admin, credit_officer)
  then  curl -H "Authorization: Bearer <token>" http://127.0.0.1:${port}/audit/v1/ledger/trial-balance

Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
