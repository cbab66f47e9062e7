# Suggested by imgdiff from wordstats:single and Dockerfile.
# Build it with BuildKit (Docker's default builder since 23.0; DOCKER_BUILDKIT=1
# before): its RUN --mount=type=cache lines need it.
# The original build is kept as the build stage; the final stage holds
# what the app needs at run time only. Decisions are commented with their
# evidence; what could not be decided is asked at the end.
ARG BASE=debian:bookworm-slim

# the original build, as the build stage
FROM ${BASE} AS build
# cache mounts added for apt: the caches stay out of the layers and are reused by the next build
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update && apt-get install -y --no-install-recommends \
    python3 python3-dev gcc python3-pip python3-pytest
WORKDIR /src
COPY pyproject.toml setup.py ./
COPY src ./src
COPY tests ./tests
# cache mounts added for pip: the caches stay out of the layers and are reused by the next build
RUN --mount=type=cache,target=/root/.cache/pip pip install --break-system-packages --no-index --no-build-isolation . \
    && python3 -m pytest -q -p no:cacheprovider tests
CMD ["wordstats"]

# the final stage: base debian:bookworm-slim, the original base (Dockerfile:6)
# not scratch with the binaries' libraries copied: the container runs a script, which needs its interpreter
FROM ${BASE}
# gcc-12, python3-pip, python3-dev, python3-pytest, gcc: 46 MB of build-tool, dev-dependency packages stay in the build stage
# 5 kB of source files the build wrote stay in the build stage
# 10 MB of cache files the build wrote stay in the build stage
# runtime packages:
#   python3: asked for by name (apt extended_states: not auto-installed), installed by Dockerfile:7-8, not flagged
RUN apt-get update && apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Python: pip installed into /usr/local/lib/python3.11/dist-packages, copied with the rest of its tree; a venv
# (python3 -m venv /opt/venv in the build stage) would make it one COPY of /opt/venv
# 700 B, written by the build and not flagged
COPY --from=build --chown=65532:65532 /src/pyproject.toml /src/setup.py /src/
# 2 kB, written by the build and not flagged
COPY --from=build --chown=65532:65532 /src/src/wordstats/__init__.py /src/src/wordstats/
# /usr/local: 63 kB, written by the build and not flagged
COPY --from=build /usr/local /usr/local
# non-root: the original ran as root; the copied files stay root-owned, readable by this user, but those copied into the working directory /src: its own (--chown)
USER 65532:65532
CMD ["wordstats"]

# Questions imgdiff could not decide:
# ? /src/pyproject.toml, /src/setup.py, /src/src/wordstats/__init__.py came from the build context and no rule placed them: copied; does the app read them at run time?
# ? the original ran as root; the files copied into the working directory /src are given to USER 65532:65532 (--chown), as the app may write there (logs, a database); the directory itself stays root's: does the app create files directly in it?
