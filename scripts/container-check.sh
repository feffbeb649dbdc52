#!/usr/bin/env bash
# Container check (issue 12): the image as shipped, run as an operator would.
#   build the image -> run it with PORT=3300 against this machine's PostgreSQL -> /readyz 200 ->
#   Docker's health status becomes healthy (the HEALTHCHECK follows PORT) -> unsigned webhooks are
#   refused (401: never open, even with no Vonage settings) -> docker stop exits 0 (clean SIGTERM).
# Uses ../shared/tools/local-docker (starts a Docker engine, builds a stand-in for node:20-slim;
# needs root). Prints each step with the seconds elapsed and the total. Not run by .ci/run: it takes
# minutes (a cold build installs every dependency twice).
# Usage: scripts/container-check.sh    (CONTAINER_CHECK_POSTGRES=postgres://... to use another server)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
local_docker=${LOCAL_DOCKER:-$(cd "$repo/.." && pwd)/shared/tools/local-docker}
pg_admin=${CONTAINER_CHECK_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
port=3300
name="batsignal-check-$$"
image="batsignal:check"
db_name="batsignal_container_$(date +%s)_$$"
admin_token="container-check-admin-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
work=$(mktemp -d "${TMPDIR:-/tmp}/batsignal-container.XXXXXX")
t0=$(date +%s)
db_created=0

step() { echo "=== container ($(($(date +%s) - t0)) s): $*"; }
fail() {
  echo "container: FAILED: $*" >&2
  { docker logs --tail 40 "$name" 2>&1 || true; } >&2   # the container's stderr too
  exit 1
}
cleanup() {
  local rc=$?
  docker rm -f "$name" >/dev/null 2>&1 || true
  if [ "$db_created" = 1 ]; then psql "$pg_admin" -qAtc "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null 2>&1 || echo "container: could not drop $db_name" >&2; fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

step "Docker engine and base image ($local_docker)"
"$local_docker"

step "docker build -t $image"
docker build --network host -t "$image" "$repo" >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; fail "docker build"; }
echo "  built in $(($(date +%s) - t0)) s so far"

step "a fresh database $db_name"
psql "$pg_admin" -v ON_ERROR_STOP=1 -qAtc "CREATE DATABASE \"$db_name\""
db_created=1
db_url=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$pg_admin" "$db_name")

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port is already in use"; fi
step "docker run with PORT=$port (no Vonage settings: the phone simulator)"
docker run -d --name "$name" --network host -e PORT="$port" -e DATABASE_URL="$db_url" -e ADMIN_TOKEN="$admin_token" "$image" >/dev/null
base="http://127.0.0.1:$port"

step "wait for /readyz 200"
ready=0
for _ in $(seq 1 120); do
  [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] || fail "the container exited during start-up"
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz" || true)" = 200 ]; then ready=1; break; fi
  sleep 0.5
done
[ "$ready" = 1 ] || fail "/readyz did not answer 200 within 60 s"
echo "  ready: $(curl -s "$base/readyz")"

step "health status becomes healthy (HEALTHCHECK probes PORT=$port; first probe after its 30 s interval)"
health=""
for _ in $(seq 1 90); do
  health=$(docker inspect -f '{{.State.Health.Status}}' "$name")
  [ "$health" = healthy ] && break
  [ "$health" = unhealthy ] && fail "the container became unhealthy"
  sleep 1
done
[ "$health" = healthy ] || fail "health is '$health' after 90 s"
echo "  healthy"

step "unsigned webhooks are refused"
code=$(curl -s -o "$work/inbound.out" -w '%{http_code}' -H 'content-type: application/x-www-form-urlencoded' \
  --data 'msisdn=447700900001&to=447700900000&messageId=FORGED0001&text=RAISE&type=text' "$base/webhooks/vonage/inbound")
[ "$code" = 401 ] || fail "an unsigned inbound text answered $code: $(cat "$work/inbound.out")"
echo "  inbound: 401 $(cat "$work/inbound.out")"
code=$(curl -s -o "$work/status.out" -w '%{http_code}' "$base/webhooks/vonage/status?messageId=FORGED0002&status=delivered&client-ref=1")
[ "$code" = 401 ] || fail "an unsigned receipt answered $code: $(cat "$work/status.out")"
echo "  receipt: 401 $(cat "$work/status.out")"
# To a file first: grep -q stops reading early, and under pipefail docker logs' SIGPIPE would fail the step.
docker logs "$name" >"$work/container.log" 2>&1
grep -q 'NO REAL TEXTS ARE SENT' "$work/container.log" || fail "the start-up did not say the simulator is on"
echo "  the start-up says the simulator is on and no real texts are sent"

step "docker stop exits 0"
docker stop -t 30 "$name" >/dev/null || fail "docker stop failed"
exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$name")
[ "$exit_code" = 0 ] || fail "the container exited $exit_code on SIGTERM"
echo "  exit code 0"

step "passed in $(($(date +%s) - t0)) s"
