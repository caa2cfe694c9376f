# syntax=docker/dockerfile:1
# The one `crm` image: `crm serve` (default), `crm worker` and `crm migrate` are chosen by the
# command. Build (BuildKit):
#   docker build --build-arg VERSION=0.1.0 --build-arg GIT_REVISION=$(git rev-parse HEAD) -t crm:0.1.0 .
# scripts/validate-deploy.sh checks this file statically (no Docker engine on the dev machines).

ARG RUST_VERSION=1.95
ARG NODE_VERSION=20
ARG DEBIAN_RELEASE=bookworm

# --- browser assets (Swagger UI) from the npm registry, exactly as scripts/assets.sh does ---
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS assets
WORKDIR /src
COPY assets/package.json assets/package-lock.json assets/
COPY scripts/assets.sh scripts/
RUN scripts/assets.sh

# --- the binary; sqlx checks queries against the committed .sqlx/ data, no database needed ---
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS builder
ARG VERSION=0.0.0-dev
ARG GIT_REVISION=unknown
# CRM_VERSION and CRM_GIT_REVISION are compiled into the binary (`crm --version`, the
# `crm_build_info` metric, the start-up log line).
ENV SQLX_OFFLINE=true \
    CARGO_TERM_COLOR=never \
    CRM_VERSION="${VERSION}" \
    CRM_GIT_REVISION="${GIT_REVISION}"
WORKDIR /src
# Manifests and query data first, sources last: the registry and target caches below survive
# source edits, so a rebuild only recompiles the workspace crates.
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY .sqlx .sqlx
COPY migrations migrations
COPY crates crates
COPY tests tests
COPY loadtest loadtest
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p crm --bin crm \
 && install -D -m 0755 target/release/crm /out/crm

# --- runtime: Debian slim, non-root numeric user, read-only root filesystem friendly ---
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
ARG VERSION=0.0.0-dev
ARG GIT_REVISION=unknown
LABEL org.opencontainers.image.title="crm" \
      org.opencontainers.image.description="Multi-tenant CRM: API (crm serve), background jobs (crm worker), migrations (crm migrate)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${GIT_REVISION}" \
      org.opencontainers.image.licenses="UNLICENSED"
# Debian's security updates replace pinned versions, so packages follow the release, not a pin.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 crm \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin crm
WORKDIR /app
COPY --from=builder /out/crm /usr/local/bin/crm
COPY --from=assets /src/assets/dist /app/assets/dist
# In a container the listeners must not be loopback-only; everything else keeps the binary's
# defaults (README "Settings") and comes from the chart's ConfigMap and Secret.
ENV CRM_ASSETS_DIR=/app/assets/dist \
    CRM_HTTP_ADDR=0.0.0.0:8080 \
    CRM_METRICS_ADDR=0.0.0.0:9090 \
    CRM_WORKER_METRICS_ADDR=0.0.0.0:9091 \
    CRM_LOG_FORMAT=json
USER 10001:10001
EXPOSE 8080 9090 9091
ENTRYPOINT ["/usr/local/bin/crm"]
CMD ["serve"]
