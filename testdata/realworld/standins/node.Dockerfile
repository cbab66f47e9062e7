# Stand-in for node:VERSION-slim (Debian bookworm): the host's Node.js tree laid
# out as the official image does (/usr/local/bin/node, npm and corepack under
# /usr/local/lib/node_modules). npm trusts the host's CA bundle (global npmrc)
# to reach the registry through the local re-signing proxy.
# --build-arg FULL=1 adds what the non-slim tags (buildpack-deps) carry for
# native modules: build-essential, python3, git.
FROM imgdiff-e2e/bookworm:base
ARG FULL=
RUN if [ -n "$FULL" ]; then apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates curl git build-essential python3 procps && rm -rf /var/lib/apt/lists/*; fi
COPY node /usr/local/bin/node
COPY node_modules /usr/local/lib/node_modules
COPY ca-certificates.crt /usr/local/share/standin-ca.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && ln -s ../lib/node_modules/corepack/dist/corepack.js /usr/local/bin/corepack \
 && mkdir -p /usr/local/etc && printf 'cafile=/usr/local/share/standin-ca.crt\nupdate-notifier=false\nfund=false\naudit=false\n' > /usr/local/etc/npmrc \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION=standin
CMD ["node"]
