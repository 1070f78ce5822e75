# syntax=docker/dockerfile:1
#
# Chimp Assist in one image: the `chimpassist` server with the widget's (and, once built, the
# back-office's) assets next to it. Build from the repository root:
#
#   docker build -t chimpassist .
#
# No Docker engine runs on the development machines: `server/tests/deploy.rs` checks this
# file and deploy/docker-compose.yml instead (stages, and that every variable they set is one
# the server reads).

# --- build: the same `cargo xtask dist` a developer runs ---------------------------------------
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# Installs what building needs and is missing (wasm target, rust-src, wasm-bindgen-cli at the
# Cargo.lock version, wasm-opt and terser from npm, brotli, node), builds the front ends into
# dist/ (failing over the widget's size budget) and the release server.
RUN cargo xtask dist \
 && mkdir -p /out \
 && cp target/release/chimpassist /out/ \
 && cp -r dist /out/dist

# --- runtime: the binary, its assets, nothing else ----------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/chimpassist --create-home chimpassist
COPY --from=build /out/chimpassist /usr/local/bin/chimpassist
COPY --from=build /out/dist /usr/share/chimpassist/dist
USER chimpassist
WORKDIR /var/lib/chimpassist
# On 0.0.0.0 the server never creates the default admin/admin: the first start needs
# ADMIN_EMAIL and ADMIN_PASSWORD (`docker run -e ADMIN_EMAIL=admin -e ADMIN_PASSWORD=…`).
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/var/lib/chimpassist/data \
    ASSETS_DIR=/usr/share/chimpassist/dist \
    LOG_JSON=true
EXPOSE 3000
ENTRYPOINT ["chimpassist"]
CMD ["serve"]
