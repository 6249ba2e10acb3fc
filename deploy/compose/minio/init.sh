#!/bin/sh
# One-shot set-up of docker-compose.yml's MinIO, run by the minio-init service (mc image)
# after MinIO is healthy; running it again changes nothing.
set -eu

mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

# the cold tier (AKOSHA_COLD_S3_BUCKET) and the bucket Session-Buddy uploads to (AKOSHA_SB_BUCKET)
mc mb --ignore-existing local/akosha-cold
mc mb --ignore-existing local/session-buddy

# Akosha's own user: reads and writes the cold tier, only reads Session-Buddy's uploads
mc admin policy create local akosha /etc/minio-init/akosha-policy.json
mc admin user add local "$AKOSHA_S3_ACCESS_KEY" "$AKOSHA_S3_SECRET_KEY"
if ! mc admin user info local "$AKOSHA_S3_ACCESS_KEY" --json |
  grep -Eq '"policyName": ?"([^"]*,)?akosha(,[^"]*)?"'; then
  mc admin policy attach local akosha --user "$AKOSHA_S3_ACCESS_KEY"
fi

# a manifest written (the last object of an upload) is published on NATS, where the cloud
# watcher listens (target `akosha`: the MINIO_NOTIFY_NATS_*_akosha settings of the minio service)
mc event add --ignore-existing local/session-buddy arn:minio:sqs::akosha:nats \
  --event put --suffix manifest.json
echo "minio: buckets akosha-cold and session-buddy, user $AKOSHA_S3_ACCESS_KEY, manifest events to NATS"
