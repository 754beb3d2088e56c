# kube-ipvs-proxy image: `docker build -t kube-ipvs-proxy:dev .`
#
# Runs as root, but the only capability it uses is CAP_NET_ADMIN (netlink for IPVS, links and
# addresses; /proc/sys/net writes). It never loads kernel modules (so no CAP_SYS_MODULE) and never
# starts a process: the image carries no ipvsadm/ip/iptables; check it with the node's `ipvsadm -Ln`.
# The DaemonSet in hack/deploy runs it privileged only because container runtimes mount /proc/sys
# read-only otherwise (see the comment there).
ARG NODE_IMAGE=node:24.19.0-bookworm-slim

# --- build: all dependencies, then tsc and the one-file bundle into dist/ -------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npm run build

# --- production dependencies only, in a clean tree ---------------------------------------------
# `netlink` ships a prebuilt N-API binary; its install script (allowed by package.json's
# allowScripts) only picks it, so no compiler is needed.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force

# --- runtime -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
# glibc's malloc keeps up to 8 arenas per core for Node's helper threads (GC, libuv) and hands little
# back: with 2 the proxy's RSS after 10,000 events grew 3-4% instead of 7-10% (hack/bench, 2000x5)
ENV MALLOC_ARENA_MAX=2
COPY --from=deps /app/node_modules ./node_modules
# the command is one bundled file; netlink (native) and client-node (exec auth) come from node_modules
COPY --from=build /src/dist/kube-ipvs-proxy*.mjs* ./dist/
COPY package.json ./
# warm Node's compile cache where the command runs (the cache is keyed by file and Node build): a
# start then skips parsing the bundle; a read-only root filesystem only stops it from being updated
RUN node /app/dist/kube-ipvs-proxy.mjs --version
# kube-proxy's path too: kubeadm's DaemonSet (and others) set `command: [/usr/local/bin/kube-proxy,
# --config=..., --hostname-override=...]`, which replaces the entrypoint; with this the image is a
# drop-in there. The commands are scripts, not links, so each starts the bundle by its real path.
RUN for name in kube-proxy kube-ipvs-proxy; do \
      printf '#!/bin/sh\nexec node /app/dist/kube-ipvs-proxy.mjs "$@"\n' > "/usr/local/bin/$name" && chmod 0755 "/usr/local/bin/$name"; \
    done \
 && /usr/local/bin/kube-proxy --version
# health on 0.0.0.0:10256, IPv6 too (/healthz, /livez, /readyz); metrics on 127.0.0.1:10249 (/metrics)
EXPOSE 10256
ENTRYPOINT ["node", "/app/dist/kube-ipvs-proxy.mjs"]
