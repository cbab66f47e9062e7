# Suggested by imgdiff from java-app:single and Dockerfile.
# Build it with BuildKit (Docker's default builder since 23.0; DOCKER_BUILDKIT=1
# before): its RUN --mount=type=cache lines need it.
# The original build is kept as the build stage; the final stage holds
# what the app needs at run time only. Decisions are commented with their
# evidence; what could not be decided is asked at the end.
ARG BASE=debian:bookworm-slim

# the original build, as the build stage
FROM ${BASE} AS build
# cache mounts added for apt: the caches stay out of the layers and are reused by the next build
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked mkdir -p /usr/share/man/man1 && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jdk-headless
WORKDIR /src
COPY src ./src
RUN javac -d classes src/main/java/*.java \
    && javac -cp classes -d test-classes src/test/java/*.java \
    && java -ea -cp classes:test-classes MainTest \
    && jar --create --file app.jar --main-class Main -C classes .
CMD ["java", "-jar", "/src/app.jar"]

# the final stage: base debian:bookworm-slim, the original base (Dockerfile:5)
FROM ${BASE}
# openjdk-17-jdk-headless: 80 MB of build-tool packages stay in the build stage
# 3 kB of source files the build wrote stay in the build stage
# 9.0 MB of cache files the build wrote stay in the build stage
# runtime packages:
#   openjdk-17-jre-headless: the JRE matching openjdk-17-jdk-headless (dpkg: openjdk-17-jdk-headless)
RUN mkdir -p /usr/share/man/man1 && apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# 5 kB, written by the build and not flagged
COPY --from=build --chown=65532:65532 /src/app.jar /src/
# /src/classes: 4 kB, written by the build and not flagged
COPY --from=build --chown=65532:65532 /src/classes /src/classes
# /src/test-classes: 2 kB, written by the build and not flagged
COPY --from=build --chown=65532:65532 /src/test-classes /src/test-classes
# non-root: the original ran as root; the copied files stay root-owned, readable by this user, but those copied into the working directory /src: its own (--chown)
USER 65532:65532
CMD ["java", "-jar", "/src/app.jar"]

# Questions imgdiff could not decide:
# ? the original ran as root; the files copied into the working directory /src are given to USER 65532:65532 (--chown), as the app may write there (logs, a database); the directory itself stays root's: does the app create files directly in it?
