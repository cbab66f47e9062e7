# Suggested by imgdiff from wordfreq:single and Dockerfile.
# Build it with BuildKit (Docker's default builder since 23.0; DOCKER_BUILDKIT=1
# before): its RUN --mount=type=cache lines need it.
# The original build is kept as the build stage; the final stage holds
# what the app needs at run time only. Decisions are commented with their
# evidence; what could not be decided is asked at the end.
ARG BASE=debian:bookworm-slim

# the original build, as the build stage
FROM ${BASE} AS build
# cache mounts added for apt: the caches stay out of the layers and are reused by the next build
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update && apt-get install -y --no-install-recommends build-essential
WORKDIR /src
COPY Makefile wordfreq.c ./
RUN make check && make install
ENTRYPOINT ["/usr/local/bin/wordfreq"]

# the final stage: base scratch, the binaries copied are dynamic, but need only the loader /lib64/ld-linux-x86-64.so.2 and 1 library (libc.so.6; 2.2 MB in all): copied from the build stage, as distroless/cc ships them; no shell or package manager is needed at run time (a library loaded with dlopen, not in DT_NEEDED, is not copied)
FROM scratch
# gcc-12, make, libc6-dev, build-essential: 30 MB of build-tool packages stay in the build stage
# libisl23: 3.0 MB of unflagged packages nothing at run time needs (pulled in by the build's installs) stay in the build stage
# 13 kB of source files the build wrote stay in the build stage
# 9.0 MB of cache files the build wrote stay in the build stage
# 2 kB of package-manager state the build wrote (dpkg, apt, apk databases, logs) stays in the build stage; an install here writes its own
# 2.0 MB: the DT_NEEDED closure of the binaries (libc.so.6)
COPY --from=build /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/
# the loader the binaries name (PT_INTERP), /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 in the image
COPY --from=build /lib64/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
# /usr/local: 17 kB, written by the build and not flagged
COPY --from=build /usr/local /usr/local
# non-root: the original ran as root; the copied files stay root-owned, readable by this user
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/wordfreq"]
