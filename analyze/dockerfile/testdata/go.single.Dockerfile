# A Go service built the naive way: one stage, so the final image keeps the
# Go toolchain (Debian's golang-go), the sources and the build cache.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends golang-go
ENV CGO_ENABLED=0
WORKDIR /src
COPY go.mod main.go main_test.go ./
RUN go test ./... && go build -o /usr/local/bin/hello-svc .
EXPOSE 8080
CMD ["/usr/local/bin/hello-svc"]
