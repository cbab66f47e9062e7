# The same Go service built in two stages: the final image holds the static
# binary on the base image, nothing of the toolchain.
ARG BASE=debian:bookworm-slim
FROM ${BASE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends golang-go
ENV CGO_ENABLED=0
WORKDIR /src
COPY go.mod main.go main_test.go ./
RUN go test ./... && go build -o /out/hello-svc .

FROM ${BASE}
COPY --from=build /out/hello-svc /usr/local/bin/hello-svc
USER 65532:65532
EXPOSE 8080
CMD ["/usr/local/bin/hello-svc"]
