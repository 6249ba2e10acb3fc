# syntax=docker/dockerfile:1
# One image for every role; the command picks it:
#   docker run … akosha start --roles writer      (start with no --roles runs every role)
#   docker run … akosha token create --name ops --role admin
# Node 22 LTS by default; --build-arg NODE_IMAGE=node:24-bookworm-slim builds on Node 24.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: every dependency, the TypeScript build, and the package as npm would publish it
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
# .dockerignore lets in only what the build and the package read
COPY . .
# `npm pack` keeps exactly package.json's "files" (bin/, dist/, nats.conf, schemas/json/)
RUN npm run build \
 && mkdir /pkg \
 && npm pack --pack-destination /pkg \
 && tar -xzf /pkg/akosha-*.tgz -C /pkg

# ---- deps: production dependencies only
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# .npmrc skips onnxruntime-node's optional CUDA download; its CPU binaries ship in the
# package. Its macOS and Windows binaries are never loaded here (~220 MB): removed.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="akosha" \
      org.opencontainers.image.description="Memory-aggregation pipeline for AI coding sessions on NATS JetStream" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

# tini as PID 1: forwards SIGTERM to node (which drains) and reaps children; npm is not needed
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack

WORKDIR /app
# root owns the code: the process (user node) cannot change it
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /pkg/package/ ./
# Everything the process writes: /data (mount a volume there), /tmp (a tmpfs), and two
# folders that docker-compose.yml shares between services as volumes (a new named volume
# takes the owner of the folder it is first mounted on). The root filesystem can be read-only.
RUN chmod 0755 /app/bin/akosha.js \
 && ln -s /app/bin/akosha.js /usr/local/bin/akosha \
 && mkdir -p /data/models /var/lib/akosha/auth /var/lib/akosha/scrape \
 && chown -R node:node /data /var/lib/akosha \
 && chmod 0700 /var/lib/akosha/auth

ENV NODE_ENV=production \
    AKOSHA_DATA_DIR=/data \
    AKOSHA_HTTP_HOST=0.0.0.0 \
    AKOSHA_HTTP_PORT=8682 \
    AKOSHA_START_NATS=never
# AKOSHA_HTTP_HOST=0.0.0.0 with no token, JWT setting or anonymous role refuses to start:
# configure authentication (README, Security), or AKOSHA_AUTH=off behind a proxy that does.

USER node
EXPOSE 8682

# /health needs no credential; node's fetch, since the image has no curl
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.AKOSHA_HTTP_PORT||8682)+'/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/akosha.js"]
CMD ["start"]
