# A Node service built the naive way: one stage, so the final image keeps npm,
# the devDependencies (typescript, mocha, @types), the TypeScript sources,
# the tests and npm's download cache.
#
# npm-cache/ is copied to npm's cache dir: the e2e script fills it on the
# host (containers there cannot reach the npm registry over TLS) and builds
# with NPM_FLAGS=--offline; built elsewhere, it is empty and npm downloads.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm
WORKDIR /app
COPY npm-cache /root/.npm
COPY package.json package-lock.json ./
ARG NPM_FLAGS=--prefer-offline
RUN npm ci $NPM_FLAGS --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
RUN npm run build && npm test
EXPOSE 8080
CMD ["node", "dist/server.js"]
