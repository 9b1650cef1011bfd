#!/usr/bin/env bash
# build-exporters.sh DIR: the metrics exporters the chart's metrics sidecars run, built from their Go
# modules (the versions of the chart's default images) into DIR, for the real-server tier. The
# modules are downloaded and built in a copy outside this repository: their go.mod is not ours.
# (x509-certificate-exporter is not served by the Go module proxy; its test needs X509_EXPORTER.)
set -euo pipefail
out="${1:?usage: build-exporters.sh DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
build() { # NAME MODULE VERSION PACKAGE
  local name=$1 module=$2 version=$3 package=$4
  if [ -x "$out/$name" ] && [ "$("$out/$name" --version 2>&1 | grep -c "${version#v}")" -gt 0 ]; then
    echo "build-exporters: $name ${version} already built"
    return
  fi
  local dir
  dir="$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir" ] || { echo "build-exporters: go mod download $module@$version gave no directory" >&2; exit 1; }
  cp -r "$dir" "$work/$name" && chmod -R u+w "$work/$name"
  (cd "$work/$name" && go build -trimpath -o "$out/$name" \
    -ldflags "-s -w -X main.BuildVersion=$version -X github.com/prometheus/common/version.Version=${version#v}" "$package")
  echo "build-exporters: $name $version"
}
# The versions of the chart's default images (charts/datastores/charts/*/values.yaml metrics.image.tag).
build postgres_exporter github.com/prometheus-community/postgres_exporter v0.19.1 ./cmd/postgres_exporter
build redis_exporter github.com/oliver006/redis_exporter v1.88.0 .
