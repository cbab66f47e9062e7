# A C program built the naive way: one stage, so the final image keeps
# build-essential (gcc, binutils, libc6-dev, make, ...) and the sources.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends build-essential
WORKDIR /src
COPY Makefile wordfreq.c ./
RUN make check && make install
ENTRYPOINT ["/usr/local/bin/wordfreq"]
