#!/usr/bin/env bash
# Installs what `make run` and the tests need on one machine: uv, the PostgreSQL server (Debian
# packages) and the Apache Kafka jars (Maven, into ${CONVIVE_CACHE:-<repo>/.cache}/kafka-libs).
# With --browser, also Chromium (for the browser tests). Idempotent: quiet and fast when
# everything is already there.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${CONVIVE_CACHE:-$repo/.cache}"
pom="$here/pom.xml"

log() { echo "install-deps: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_uv() {
  command -v uv >/dev/null 2>&1 && return 0
  log "installing uv with pip"
  python3 -m pip install --quiet uv 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages uv
}

postgres_bindir() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir 2>/dev/null || true)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"; return 0
    fi
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

install_postgres() {
  postgres_bindir >/dev/null && return 0
  log "installing the PostgreSQL server from apt"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
  # Debian's package starts a cluster of its own; the project starts its own servers, so the
  # packaged one (if it was started) is not needed. It is left alone: it is not ours to stop.
  postgres_bindir >/dev/null || { log "PostgreSQL installed but initdb/pg_ctl not found"; exit 1; }
}

install_kafka_jars() {
  local libs="$cache/kafka-libs" marker want
  marker="$libs/.pom.sha256"
  want="$(sha256sum "$pom" | cut -d' ' -f1)"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then return 0; fi
  command -v mvn >/dev/null 2>&1 || { log "Maven (mvn) is missing"; exit 1; }
  mkdir -p "$cache"
  (
    # The same lock file as convive.localinfra.ensure_kafka_jars().
    flock 9
    if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then exit 0; fi
    log "fetching the Kafka jars with Maven into $libs"
    local tmp="$cache/kafka-libs.tmp-$$"
    rm -rf "$tmp"
    mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DoutputDirectory="$tmp"
    echo "$want" > "$tmp/.pom.sha256"
    rm -rf "$libs.old-$$"
    if [ -d "$libs" ]; then mv "$libs" "$libs.old-$$"; fi
    mv "$tmp" "$libs"
    rm -rf "$libs.old-$$"
  ) 9>"$cache/kafka-libs.lock"
}

install_chromium() {
  # For the browser tests only (`make test`): the distribution's Chromium, driven by
  # Playwright through executable_path; never a browser downloaded by a test tool.
  command -v chromium >/dev/null 2>&1 && return 0
  log "installing Chromium from apt (browser tests)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
}

install_uv
install_postgres
install_kafka_jars
if [ "${1:-}" = "--browser" ]; then install_chromium; fi
