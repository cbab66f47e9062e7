# The same Java program built in two stages: the final image holds a JRE
# (openjdk-17-jre-headless) and the jar, no compiler, no sources.
ARG BASE=debian:bookworm-slim
FROM ${BASE} AS build
RUN mkdir -p /usr/share/man/man1 && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jdk-headless
WORKDIR /src
COPY src ./src
RUN javac -d classes src/main/java/*.java \
    && javac -cp classes -d test-classes src/test/java/*.java \
    && java -ea -cp classes:test-classes MainTest \
    && jar --create --file app.jar --main-class Main -C classes .

FROM ${BASE}
RUN mkdir -p /usr/share/man/man1 && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/app.jar ./
USER 65532:65532
CMD ["java", "-jar", "/app/app.jar"]
