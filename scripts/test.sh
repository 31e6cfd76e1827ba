#!/usr/bin/env bash
# Runs every test of qunzhu: vet, formatting, and `go test ./...` on SQLite
# and on a real PostgreSQL server, which it installs from Debian's packages
# (when missing) and starts on 127.0.0.1 for the run, the console's
# browser tests in Debian's Chromium (installed as root when missing), and
# the Telegram adapter against telegram-test-api (installed with npm).
#
# QUNZHU_TEST_POSTGRES=<url> uses an existing server instead.
set -euo pipefail
cd "$(dirname "$0")/.."
# The toolchain go.mod names (a patched standard library; see
# docs/security.md), downloaded once, whatever the machine's default.
export GOTOOLCHAIN=auto

if [ -z "${QUNZHU_TEST_POSTGRES:-}" ]; then
  if [ "$(id -u)" = 0 ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    pgdir=$(mktemp -d /tmp/qunzhu-pg.XXXXXX)
    QUNZHU_TEST_POSTGRES=$(.ci/start-postgres "${QUNZHU_TEST_PG_PORT:-}" "$pgdir")
    export QUNZHU_TEST_POSTGRES
    stop_pg() {
      bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)")
      if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
      else "$bin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true; fi
      rm -rf "$pgdir"
    }
    trap stop_pg EXIT
    echo "PostgreSQL for tests: $QUNZHU_TEST_POSTGRES"
  else
    echo "note: PostgreSQL not installed and not root: PostgreSQL tests will be skipped" >&2
  fi
fi

go mod download
# Chromium and a CJK font for the console's browser tests (internal/app,
# TestBrowser…): installed as root when missing; otherwise those tests skip
# (fail with CI=true).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Chromium and a CJK font from Debian's packages…"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
# An independent Telegram Bot API server for the Telegram adapter's
# end-to-end tests (internal/app/telegram_testapi_e2e_test.go):
# telegram-test-api, an npm package, pinned with its dependencies in
# internal/app/testdata/telegram-test-api/package-lock.json and installed
# once with npm (Debian's nodejs and npm, installed as root when missing).
ttapi_lock=internal/app/testdata/telegram-test-api/package-lock.json
export QUNZHU_TEST_TELEGRAM_API=${QUNZHU_TEST_TELEGRAM_API:-${XDG_CACHE_HOME:-$HOME/.cache}/qunzhu/telegram-test-api}
if ! cmp -s "$ttapi_lock" "$QUNZHU_TEST_TELEGRAM_API/package-lock.json" || [ ! -d "$QUNZHU_TEST_TELEGRAM_API/node_modules/telegram-test-api" ]; then
  if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing Node.js and npm from Debian's packages…"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  if command -v npm >/dev/null 2>&1; then
    echo "installing telegram-test-api (once)…"
    mkdir -p "$QUNZHU_TEST_TELEGRAM_API" # npm ci replaces node_modules there
    cp internal/app/testdata/telegram-test-api/package.json "$ttapi_lock" "$QUNZHU_TEST_TELEGRAM_API/"
    (cd "$QUNZHU_TEST_TELEGRAM_API" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  else
    echo "note: npm not installed and not root: the telegram-test-api tests will be skipped (fail with CI=true)" >&2
  fi
fi
# A real Matrix homeserver for the Matrix adapter's end-to-end test.
dendrite_version=v0.13.8
if ! command -v dendrite >/dev/null 2>&1 && [ ! -x "$(go env GOPATH)/bin/dendrite" ]; then
  echo "installing Dendrite $dendrite_version (once; about a minute)…"
  go install "github.com/matrix-org/dendrite/cmd/dendrite@$dendrite_version" \
    "github.com/matrix-org/dendrite/cmd/generate-keys@$dendrite_version" \
    "github.com/matrix-org/dendrite/cmd/generate-config@$dendrite_version" \
    "github.com/matrix-org/dendrite/cmd/create-account@$dendrite_version"
fi
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
# go.mod must say what the code imports (direct dependencies as direct).
if ! go mod tidy -diff; then
  echo "go.mod or go.sum is not tidy: run go mod tidy" >&2
  exit 1
fi
go vet ./...
# Known vulnerabilities in code qunzhu calls (standard library included):
# govulncheck against a pinned, offline copy of the Go vulnerability
# database.
./scripts/vulncheck.sh
# The consumers declare the small interfaces they need; only internal/app
# wires the store into them.
if go list -deps ./internal/api ./internal/console ./internal/pipeline | grep internal/store; then
  echo "internal/api, internal/console or internal/pipeline imports internal/store: declare an interface instead" >&2
  exit 1
fi
go test -count=1 -timeout 20m ./...
# The concurrent core once more under the race detector (the SQLite and
# PostgreSQL schemas' agreement, TestSchemasAgree in internal/store, is
# part of both runs). Left out, to keep CI well inside its time: the
# console's and the demo's page-by-page tests (request handlers over the
# store, ten minutes under the detector) and internal/app's, which drive
# the built binary and a browser, processes the detector cannot see into.
go test -count=1 -race -timeout 20m $(go list ./internal/... | grep -v -E '/internal/(app|console|demo)$')
