# Suggested by imgdiff from wordfreq:single and Dockerfile.
# Build it with BuildKit (Docker's default builder since 23.0; DOCKER_BUILDKIT=1
# before): its RUN --mount=type=cache lines need it.
# The original build is kept as the build stage; the final stage holds
# what the app needs at run time only. Decisions are commented with their
# evidence; what could not be decided is asked at the end.

# the original build, as the build stage
FROM debian:bookworm-slim AS build
# cache mounts added for apt: the caches stay out of the layers and are reused by the next build
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update && apt-get install -y --no-install-recommends build-essential
WORKDIR /src
COPY Makefile wordfreq.c entrypoint.sh ./
RUN make check && make install
ENTRYPOINT ["/src/entrypoint.sh"]

# the final stage: base debian:bookworm-slim, the original base (Dockerfile:1)
# not scratch with the binaries' libraries copied: the container runs a script, which needs its interpreter
FROM debian:bookworm-slim
# make, libc6-dev, build-essential: 301 kB of build-tool packages stay in the build stage
# 9.0 MB of cache files the build wrote stay in the build stage
# 2 kB of package-manager state the build wrote (dpkg, apt, apk databases, logs) stays in the build stage; an install here writes its own
# runtime packages:
#   gcc-12: build-tool (dpkg: gcc-12), but ENTRYPOINT script entrypoint.sh runs gcc-12 (line 2)
RUN apt-get update && apt-get install -y --no-install-recommends gcc-12 \
    && rm -rf /var/lib/apt/lists/*
# /src: 13 kB, written by the build, sources included (see the questions)
COPY --from=build /src /src
# /usr/local: 17 kB, written by the build and not flagged
COPY --from=build /usr/local /usr/local
# non-root: the original ran as root; the copied files stay root-owned, readable by this user
USER 65532:65532
ENTRYPOINT ["/src/entrypoint.sh"]

# Questions imgdiff could not decide:
# ? gcc-12 is a build-tool, yet ENTRYPOINT script entrypoint.sh runs gcc-12 (line 2): kept in the final stage; can the container run without it?
# ? 3 source file(s) the build wrote (13 kB) are copied, as the container runs gcc-12, which may read them: does it?
