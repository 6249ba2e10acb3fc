#!/usr/bin/env bash
# Checks what the Dockerfile's runtime stage holds, without a Docker engine: the package as
# `npm pack` makes it from a fresh build, production dependencies from `npm ci --omit=dev`,
# run the way the container runs it: as a user other than root, on a read-only root
# filesystem where only the image's /data and /tmp (tmpfs here) and the compose file's
# token volumes are writable. Against a nats-server on an ephemeral loopback port, it runs
# deploy/compose/akosha-init.sh twice, starts Akosha (ingest, writer, api, scheduler),
# checks /health, the scrape token on /metrics, /ready and a search, then SIGTERM: the
# process must drain and exit 0. Also checks that a listener on 0.0.0.0 without
# authentication refuses to start. The tree's dist/ is left alone.
#
# Needs root (a mount namespace emulates the read-only root), nats-server and the npm cache
# or registry. About 2 minutes on 2 cores. Prints "image layout: ok" last when all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

fail() {
  echo "image layout: FAILED: $*" >&2
  exit 1
}
step() { echo "== $* ($SECONDS s)"; }
[ "$(id -u)" = 0 ] || fail "run as root: a mount namespace emulates the read-only root filesystem"
command -v nats-server >/dev/null || fail "nats-server is not installed (apt-get install nats-server)"

work=$(mktemp -d /tmp/akosha-image-layout.XXXXXX)
chmod 0755 "$work"
nats_pid=""
cleanup() {
  if [ -n "$nats_pid" ]; then
    kill "$nats_pid" 2>/dev/null || true
    wait "$nats_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step "build stage: tsc into a temporary folder, npm pack of the package's files"
mkdir -p "$work/stage"
node node_modules/typescript/bin/tsc -p tsconfig.build.json \
  --outDir "$work/stage/dist" --tsBuildInfoFile "$work/tsbuildinfo" >"$work/tsc.log" 2>&1 ||
  fail "the build failed: $(cat "$work/tsc.log")"
# package.json's "files" (but dist/, built above), as `COPY . .` brings them into the stage
node -e '
  const { cpSync } = require("node:fs");
  const { files } = require("./package.json");
  for (const entry of ["package.json", "README.md", ...files])
    if (!entry.startsWith("!") && !entry.startsWith("dist"))
      cpSync(entry, process.argv[1] + "/" + entry, { recursive: true });
' "$work/stage"
(cd "$work/stage" && npm pack --pack-destination "$work" --silent >/dev/null)
mkdir "$work/app"
tar -xzf "$work"/akosha-*.tgz -C "$work/app" --strip-components=1

step "deps stage: npm ci --omit=dev"
cp package-lock.json .npmrc "$work/app/"
(cd "$work/app" && npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error) ||
  fail "npm ci --omit=dev failed"
# as the Dockerfile does: the ONNX runtime's macOS and Windows binaries are never loaded
rm -rf "$work"/app/node_modules/onnxruntime-node/bin/napi-v*/darwin \
  "$work"/app/node_modules/onnxruntime-node/bin/napi-v*/win32
node -e '
  const { existsSync } = require("node:fs");
  const lock = require(process.argv[1] + "/package-lock.json");
  const dev = Object.entries(lock.packages)
    .filter(([path, p]) => p.dev && existsSync(process.argv[1] + "/" + path))
    .map(([path]) => path);
  if (dev.length) { console.error("dev dependencies installed: " + dev.join(", ")); process.exit(1); }
' "$work/app" || fail "the runtime has dev dependencies"
chmod 0755 "$work/app/bin/akosha.js"
mkdir -p "$work/bin" "$work/data" "$work/tmp" "$work/auth" "$work/scrape" "$work/logs" "$work/ports"
ln -s "$work/app/bin/akosha.js" "$work/bin/akosha"
cp deploy/compose/akosha-init.sh "$work/init.sh"
du -sh "$work/app/node_modules" | sed 's/^/node_modules: /'

step "nats-server on an ephemeral loopback port"
nats-server -a 127.0.0.1 -p -1 -js -sd "$work/nats" --ports_file_dir "$work/ports" \
  -l "$work/nats.log" &
nats_pid=$!
for _ in $(seq 100); do
  ports=$(cat "$work"/ports/*.ports 2>/dev/null || true)
  [ -n "$ports" ] && break
  sleep 0.1
done
nats_url=$(node -e 'console.log(JSON.parse(process.argv[1]).nats[0])' "$ports") ||
  fail "nats-server did not start: $(cat "$work/nats.log")"

step "the runtime, read-only root, non-root user"
cat >"$work/inside.sh" <<'INSIDE'
set -eu
work=$1 nats_url=$2
fail() { echo "image layout: FAILED: $*" >&2; exit 1; }
# every mount read-only, as the container's root filesystem
awk '{print $2}' /proc/self/mounts | sort -u | while read -r m; do
  mount -o remount,bind,ro "$m" 2>/dev/null || echo "warning: $m stays writable"
done
# the image's /data and /tmp, the two token volumes of docker-compose.yml, and the logs
for d in data tmp auth scrape logs; do mount -t tmpfs -o size=512m,mode=1777 tmpfs "$work/$d"; done
# as the image's user node: not root, no capabilities, a fixed environment
as_app() { (exec_as_app "$@"); }
exec_as_app() {
  exec setpriv --reuid=65534 --regid=65534 --clear-groups -- env -i \
    PATH="$work/bin:/usr/local/bin:/usr/bin:/bin" HOME=/nonexistent TMPDIR="$work/tmp" \
    NODE_ENV=production AKOSHA_NATS_URL="$nats_url" AKOSHA_START_NATS=never \
    AKOSHA_DATA_DIR="$work/data" AKOSHA_HTTP_HOST="${HOST:-127.0.0.1}" AKOSHA_HTTP_PORT=0 \
    AKOSHA_AUTH_TOKENS_FILE="${TOKENS:-$work/auth/tokens.json}" \
    AKOSHA_SCRAPE_TOKEN_FILE="$work/scrape/prometheus.token" AKOSHA_LOG_LEVEL=info "$@"
}
as_app sh -c "touch '$work/app/probe'" 2>/dev/null && fail "the app folder is writable"
as_app sh -c 'touch /var/tmp/probe' 2>/dev/null && fail "the root filesystem is writable"
as_app sh -c "touch '$work/data/probe'" || fail "/data is not writable"

echo "-- a listener on 0.0.0.0 without authentication refuses to start"
refused=$(HOST=0.0.0.0 TOKENS="$work/tmp/none/tokens.json" as_app akosha start --roles api 2>&1) &&
  fail "it started: $refused"
echo "$refused" | grep -q 'no authentication is configured' || fail "another refusal: $refused"

echo "-- akosha-init.sh, twice"
as_app sh "$work/init.sh" || fail "akosha-init.sh failed"
as_app sh "$work/init.sh" | grep -q 'exists' || fail "a second akosha-init.sh did not find its token"
token=$(cat "$work/scrape/prometheus.token")

echo "-- akosha start"
start=$(date +%s%N)
# exec: $! is node's own process, which gets the SIGTERM below as in a container
exec_as_app akosha start --roles ingest,writer,api,scheduler >"$work/logs/akosha.log" 2>&1 &
pid=$!
trap 'kill -KILL "$pid" 2>/dev/null || true' EXIT
address=""
for _ in $(seq 600); do
  address=$(grep -o '"address":"http://[^"]*"' "$work/logs/akosha.log" | head -n 1 | cut -d'"' -f4 || true)
  [ -n "$address" ] && break
  kill -0 "$pid" 2>/dev/null || fail "akosha exited: $(tail -n 20 "$work/logs/akosha.log")"
  sleep 0.1
done
[ -n "$address" ] || fail "no HTTP listener within 60 s: $(tail -n 20 "$work/logs/akosha.log")"
echo "listening at $address after $((($(date +%s%N) - start) / 1000000)) ms"
node "$work/probe.js" "$address" "$token" || fail "HTTP checks: $(tail -n 20 "$work/logs/akosha.log")"

echo "-- SIGTERM"
stop=$(date +%s%N)
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
echo "exit $code after $((($(date +%s%N) - stop) / 1000000)) ms"
[ "$code" = 0 ] || fail "exit code $code: $(tail -n 20 "$work/logs/akosha.log")"
grep -q '"msg":"draining"' "$work/logs/akosha.log" || fail "no drain logged"
grep -q '"msg":"pipeline closed"' "$work/logs/akosha.log" || fail "the drain did not finish"
INSIDE

cat >"$work/probe.js" <<'PROBE'
// The HTTP checks: what a health check, Prometheus and a client see.
const [address, token] = process.argv.slice(2);
const auth = { authorization: `Bearer ${token}` };
const get = (path, headers = {}) => fetch(address + path, { headers });
const expectStatus = async (what, response, status) => {
  if (response.status !== status) throw new Error(`${what}: ${response.status}, not ${status}`);
};
const waitReady = async () => {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    if ((await get('/ready', auth)).status === 200) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('/ready did not answer 200 within 60 s');
};
(async () => {
  await expectStatus('/health', await get('/health'), 200);
  await expectStatus('/metrics without a token', await get('/metrics'), 401);
  const metrics = await get('/metrics', auth);
  await expectStatus('/metrics with the scrape token', metrics, 200);
  if (!(await metrics.text()).includes('akosha_')) throw new Error('/metrics has no akosha_ series');
  await waitReady();
  const search = await fetch(address + '/api/v1/search', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'image layout' }),
  });
  await expectStatus('search', search, 200);
  console.log('health, metrics (401 without the token), ready and search answer');
})().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
PROBE

unshare --mount --propagation private sh "$work/inside.sh" "$work" "$nats_url"
step "done"
echo "image layout: ok"
