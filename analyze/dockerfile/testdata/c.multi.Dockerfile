# The same C program built in two stages: the final image holds the binary
# on the base image (whose libc it links against), no compiler.
ARG BASE=debian:bookworm-slim
FROM ${BASE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential
WORKDIR /src
COPY Makefile wordfreq.c ./
RUN make check && make install DESTDIR=/out

FROM ${BASE}
COPY --from=build /out/usr/local/bin/wordfreq /usr/local/bin/wordfreq
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/wordfreq"]
