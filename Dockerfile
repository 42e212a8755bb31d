# syntax=docker/dockerfile:1.7
# The revloop image: revloop-worker, revloop-api and the revloop CLI (for `revloop config
# check`, the chart's init container) on a slim Debian runtime, as a non-root user, with no
# build tools. The Helm chart's default `image` is this image; the chart sets each container's
# command.
#
#   docker build -t revloop:0.1.0 .

FROM rust:1.95.0-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p revloop-worker -p revloop-api -p revloop-cli --bins \
    && mkdir -p /out \
    && cp target/release/revloop-worker target/release/revloop-api target/release/revloop /out/

FROM debian:bookworm-slim AS runtime
# CA certificates for TLS to Temporal Cloud, AWS and tenants' CRMs; nothing else.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 revloop \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin revloop \
    && install -d -o 10001 -g 10001 /var/lib/revloop
COPY --from=build /out/revloop-worker /out/revloop-api /out/revloop /usr/local/bin/
USER 10001:10001
WORKDIR /var/lib/revloop
ENV REVLOOP_STORE=/var/lib/revloop/revloop.db
# The worker's health, the API's gRPC and HTTP, and the metrics ports the chart uses.
EXPOSE 8081 50051 8080 9464 9465 9466
CMD ["revloop-worker"]
