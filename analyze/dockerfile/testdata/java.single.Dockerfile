# A Java program built the naive way: one stage, so the final image keeps
# the JDK (javac, jar, jmods, headers: openjdk-17-jdk-headless), the
# sources, the tests and the compiled classes beside the jar.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
# The JDK's postinst links its man pages into /usr/share/man/man1, which
# slim images do not have.
RUN mkdir -p /usr/share/man/man1 && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jdk-headless
WORKDIR /src
COPY src ./src
RUN javac -d classes src/main/java/*.java \
    && javac -cp classes -d test-classes src/test/java/*.java \
    && java -ea -cp classes:test-classes MainTest \
    && jar --create --file app.jar --main-class Main -C classes .
CMD ["java", "-jar", "/src/app.jar"]
