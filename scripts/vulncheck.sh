#!/usr/bin/env bash
# Checks qunzhu's code against the Go vulnerability database with
# govulncheck (only vulnerabilities in code qunzhu calls fail the check).
#
# The build machines cannot reach vuln.go.dev, so the database is built
# here from a pinned snapshot of golang.org/x/vulndb — its data/osv files,
# which the Go module proxy serves like any module — with that module's
# own indexdb command, once per snapshot, into the cache. To refresh the
# snapshot, set vulndb_version to the newest pseudo-version the proxy has
# (go list -m golang.org/x/vulndb@master), or export QUNZHU_VULNDB_VERSION.
# Both tools are pinned. See docs/security.md.
set -euo pipefail
cd "$(dirname "$0")/.."

govulncheck_version=v1.9.0
vulndb_version=${QUNZHU_VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
db=${XDG_CACHE_HOME:-$HOME/.cache}/qunzhu/vulndb-$vulndb_version

if [ ! -f "$db/index/db.json" ]; then
  echo "building the vulnerability database from golang.org/x/vulndb@$vulndb_version (once)…"
  src=$(go mod download -json "golang.org/x/vulndb@$vulndb_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ ! -d "$src/data/osv" ]; then
    echo "golang.org/x/vulndb@$vulndb_version has no data/osv" >&2
    exit 1
  fi
  rm -rf "$db.tmp"
  mkdir -p "$(dirname "$db")"
  go run "golang.org/x/vulndb/cmd/indexdb@$vulndb_version" -vulns "$src/data/osv" -out "$db.tmp"
  rm -rf "$db"
  mv "$db.tmp" "$db"
fi
echo "govulncheck $govulncheck_version with $(go version | cut -d' ' -f3), database golang.org/x/vulndb@$vulndb_version"
go run "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version" -db "file://$db" ./...
