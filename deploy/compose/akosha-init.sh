#!/bin/sh
# One-shot set-up before docker-compose.yml's Akosha services start, run by the akosha-init
# service (the Akosha image); running it again changes nothing.
set -eu

# The streams and durable consumers, with the cluster's replicas (AKOSHA_STREAM_REPLICAS),
# once, before five kinds of process start at the same time
akosha streams

# The operator token Prometheus scrapes /metrics with. Only its hash is kept in the tokens
# file; the token itself goes to the volume that only this service and Prometheus mount.
token_file=${AKOSHA_SCRAPE_TOKEN_FILE:-/var/lib/akosha/scrape/prometheus.token}
if [ -s "$token_file" ] && akosha token list --json | grep -q '"name":"prometheus"'; then
  echo "the Prometheus token exists"
  exit 0
fi
# a token whose other half was lost (one of the two volumes was recreated) is replaced
akosha token revoke prometheus >/dev/null 2>&1 || true
token=$(akosha token create --name prometheus --role operator | tail -n 1)
case "$token" in
  akosha_*) ;;
  *) echo "akosha token create did not print a token" >&2; exit 1 ;;
esac
umask 022 # Prometheus reads it as another user
printf '%s\n' "$token" > "$token_file.tmp"
mv "$token_file.tmp" "$token_file"
echo "created the operator token \"prometheus\" for Prometheus"
