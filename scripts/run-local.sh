#!/usr/bin/env bash
# The embedded setup: SQLite and keys under var/, a local SQLAlchemy broker, one worker with
# the scheduler built in, and the API in the foreground. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var

"$BIN/mkopo" migrate
"$BIN/mkopo" keys generate --if-missing
"$BIN/mkopo" seed-demo

"$BIN/mkopo" worker --concurrency 1 > var/worker.log 2>&1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM

port="${MKOPO_PORT:-8000}"
cat <<MSG

Mkopo is starting on http://127.0.0.1:${port}  (worker log: var/worker.log)
  API docs      http://127.0.0.1:${port}/docs
  health        http://127.0.0.1:${port}/healthz  and /readyz
  metrics       http://127.0.0.1:${port}/metrics
  ledger (auditors): create a token with
      $BIN/mkopo users create --username me --role auditor
  then  curl -H "Authorization: Bearer <token>" http://127.0.0.1:${port}/audit/v1/ledger/trial-balance

MSG
"$BIN/mkopo" serve
