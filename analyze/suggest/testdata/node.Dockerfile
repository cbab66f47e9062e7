# Suggested by imgdiff from node-svc:single and Dockerfile.
# Build it with BuildKit (Docker's default builder since 23.0; DOCKER_BUILDKIT=1
# before): its RUN --mount=type=cache lines need it.
# The original build is kept as the build stage; the final stage holds
# what the app needs at run time only. Decisions are commented with their
# evidence; what could not be decided is asked at the end.
ARG BASE=debian:bookworm-slim

# the original build, as the build stage
FROM ${BASE} AS build
# cache mounts added for apt: the caches stay out of the layers and are reused by the next build
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update && apt-get install -y --no-install-recommends nodejs npm
WORKDIR /app
COPY npm-cache /root/.npm
COPY package.json package-lock.json ./
ARG NPM_FLAGS=--prefer-offline
# no cache mount on /root/.npm: an earlier COPY/ADD of this stage writes there
RUN npm ci $NPM_FLAGS --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
RUN npm run build && npm test
EXPOSE 8080
CMD ["node", "dist/server.js"]

# Node: npm prune --omit=dev keeps the production dependencies of /app only;
# the devDependencies (20 MB, npm lockfile: dev) stay in build.
FROM build AS prod-deps
WORKDIR /app
RUN npm prune --omit=dev

# the final stage: base debian:bookworm-slim, the original base (Dockerfile:9)
FROM ${BASE}
# npm: 10 MB of build-tool packages stay in the build stage
# 5 kB of source files the build wrote stay in the build stage
# 20 MB of dev-dependency files the build wrote stay in the build stage
# 5.0 MB of cache files the build wrote stay in the build stage
# 7 kB of package-manager state the build wrote (dpkg, apt, apk databases, logs) stays in the build stage; an install here writes its own
# runtime packages:
#   nodejs: asked for by name (apt extended_states: not auto-installed), installed by Dockerfile:10, not flagged
RUN apt-get update && apt-get install -y --no-install-recommends nodejs \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# 21 kB, written by the build and not flagged
COPY --from=build --chown=65532:65532 /app/package-lock.json /app/package.json /app/
# /app/dist: 4 kB, written by the build and not flagged
COPY --from=build --chown=65532:65532 /app/dist /app/dist
# the production dependencies: 200 kB
COPY --from=prod-deps --chown=65532:65532 /app/node_modules /app/node_modules
EXPOSE 8080
# non-root: the original ran as root; the copied files stay root-owned, readable by this user, but those copied into the working directory /app: its own (--chown)
USER 65532:65532
CMD ["node", "dist/server.js"]

# Questions imgdiff could not decide:
# ? /app/package-lock.json, /app/package.json came from the build context and no rule placed them: copied; does the app read them at run time?
# ? the original ran as root; the files copied into the working directory /app are given to USER 65532:65532 (--chown), as the app may write there (logs, a database); the directory itself stays root's: does the app create files directly in it?
