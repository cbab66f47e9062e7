# The same Node service built in two stages: the final image holds the Node
# runtime, the production dependencies and the compiled JavaScript only.
# See Dockerfile.single for npm-cache/ and NPM_FLAGS.
ARG BASE=debian:bookworm-slim
FROM ${BASE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm
WORKDIR /app
COPY npm-cache /root/.npm
COPY package.json package-lock.json ./
ARG NPM_FLAGS=--prefer-offline
RUN npm ci $NPM_FLAGS --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
RUN npm run build && npm test && npm prune --omit=dev

FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends nodejs \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 65532:65532
EXPOSE 8080
CMD ["node", "dist/server.js"]
