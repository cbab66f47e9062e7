package dockerfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// found is a finding reduced to what the tests pin.
type found struct {
	ID         string
	Severity   Severity
	Start, End int
	Bytes      int64
}

func check(t *testing.T, f *File, ev Evidence) []found {
	t.Helper()
	fs, err := Check(f, ev)
	if err != nil {
		t.Fatal(err)
	}
	var out []found
	for _, x := range fs {
		if x.File != "Dockerfile" || x.Title == "" || x.Message == "" {
			t.Errorf("finding %+v: file, title or message missing", x)
		}
		out = append(out, found{x.ID, x.Severity, x.Lines.Start, x.Lines.End, x.Bytes})
	}
	return out
}

// only keeps the findings with the given ids.
func only(fs []found, ids ...string) []found {
	var out []found
	for _, f := range fs {
		for _, id := range ids {
			if f.ID == id {
				out = append(out, f)
			}
		}
	}
	return out
}

func TestCheckBuildToolsSingleStage(t *testing.T) {
	// c.single as the e2e builds it: line 5 installs build-essential.
	f := parseFile(t, "c.single.Dockerfile")
	ev := Evidence{User: "", Lines: map[int]LineEvidence{
		5: {Bytes: 262_000_000, BuildTools: []Package{{"build-essential", 20_000}, {"gcc-12", 74_000_000}, {"cpp-12", 31_000_000}, {"binutils-x86-64-linux-gnu", 10_000_000}}},
		8: {Bytes: 40_000},
	}}
	got := check(t, f, ev)
	want := []found{{CheckBuildTools, SeverityError, 5, 5, 115_020_000}}
	if diff := cmp.Diff(want, only(got, CheckBuildTools)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	fs, _ := Check(f, ev)
	if fs[0].ID != CheckBuildTools || fs[0].Message != "Dockerfile:5 puts 115 MB of build tools into the final image (gcc-12, cpp-12, binutils-x86-64-linux-gnu, build-essential): build in a stage and COPY --from it the artefacts only" {
		t.Errorf("first finding %q", fs[0].Message)
	}
	// The multi-stage image: the build stage is not in the final image,
	// whatever the evidence says about its lines.
	multi := parseFile(t, "c.multi.Dockerfile")
	if got := only(check(t, multi, Evidence{User: "65532:65532", Lines: map[int]LineEvidence{5: ev.Lines[5]}}), CheckBuildTools); len(got) != 0 {
		t.Errorf("multi-stage: %v", got)
	}
}

func TestCheckPackageCache(t *testing.T) {
	f := parseText(t, `FROM debian:bookworm-slim@sha256:1111111111111111111111111111111111111111111111111111111111111111
RUN apt-get update && apt-get install -y curl
RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y git
RUN echo no install here
USER 1000
`)
	ev := Evidence{User: "1000", Lines: map[int]LineEvidence{
		2: {CacheBytes: 18_500_000, CachePaths: []string{"/var/lib/apt/lists"}},
		3: {CacheBytes: 18_500_000, CachePaths: []string{"/var/lib/apt/lists"}},
		4: {CacheBytes: 5_000},
	}}
	want := []found{{CheckPackageCache, SeverityWarning, 2, 2, 18_500_000}}
	if diff := cmp.Diff(want, check(t, f, ev)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCheckContext(t *testing.T) {
	early := parseText(t, `FROM node:20.11-bookworm
WORKDIR /app
COPY . .
RUN npm ci --omit=dev
USER node
CMD ["node", "server.js"]
`)
	ev := Evidence{User: "node", Lines: map[int]LineEvidence{
		3: {ContextJunk: []PathBytes{{"/app/.git", 4_200_000}, {"/app/.env", 120}}},
		4: {Bytes: 61_000_000},
	}}
	want := []found{
		{CheckContextFirst, SeverityWarning, 3, 3, 61_000_000},
		{CheckContextJunk, SeverityWarning, 3, 3, 4_200_120},
	}
	got := only(check(t, early, ev), CheckContextFirst, CheckContextJunk)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	fs, _ := Check(early, ev)
	for _, x := range fs {
		if x.ID == CheckContextJunk && x.Message != "Dockerfile:3 copies the build context with /app/.git, /app/.env (4.2 MB): there is no .dockerignore next to the Dockerfile" {
			t.Errorf("message %q", x.Message)
		}
	}
	// Manifests first: the install is cached; no junk shipped.
	good := parseText(t, `FROM node:20.11-bookworm
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
USER node
CMD ["node", "server.js"]
`)
	if got := only(check(t, good, Evidence{User: "node"}), CheckContextFirst, CheckContextJunk); len(got) != 0 {
		t.Errorf("manifests first: %v", got)
	}
}

func TestCheckBaseAndAdd(t *testing.T) {
	f := parseText(t, `ARG ALPINE=3.20
FROM golang:1.22 AS build
FROM alpine:${ALPINE}
FROM ubuntu
FROM debian:latest
FROM scratch
FROM build AS again
FROM gcr.io/distroless/static@sha256:2222222222222222222222222222222222222222222222222222222222222222
ADD https://example.com/tool.tar.gz /opt/
ADD --checksum=sha256:3333333333333333333333333333333333333333333333333333333333333333 https://example.com/x /x
ADD vendor.tar.gz /opt/
ADD config.json /etc/
USER 65532
`)
	got := only(check(t, f, Evidence{User: "65532"}), CheckBaseLatest, CheckBaseNotPinned, CheckAddURL, CheckAddArchive)
	want := []found{
		{CheckBaseNotPinned, SeverityInfo, 2, 2, 0},
		{CheckBaseNotPinned, SeverityInfo, 3, 3, 0},
		{CheckBaseLatest, SeverityWarning, 4, 4, 0},
		{CheckBaseLatest, SeverityWarning, 5, 5, 0},
		{CheckAddURL, SeverityWarning, 9, 9, 0},
		{CheckAddArchive, SeverityInfo, 11, 11, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCheckSecretsUserEntrypoint(t *testing.T) {
	f := parseText(t, `FROM python:3.12-slim
ARG GITHUB_TOKEN
ARG PUBLIC_KEY=abc
ENV DB_PASSWORD=hunter2 APP_ENV=prod
ENV API_KEY=sk-live-123
USER root
ENTRYPOINT python -m app
CMD ["--serve"]
`)
	fs, err := Check(f, Evidence{User: "root"})
	if err != nil {
		t.Fatal(err)
	}
	var got []found
	for _, x := range fs {
		got = append(got, found{x.ID, x.Severity, x.Lines.Start, x.Lines.End, x.Bytes})
		for _, secret := range []string{"hunter2", "sk-live-123"} {
			if contains(x.Message, secret) {
				t.Errorf("finding prints a secret value: %q", x.Message)
			}
		}
	}
	want := []found{
		{CheckBaseNotPinned, SeverityInfo, 1, 1, 0},
		{CheckSecret, SeverityError, 2, 2, 0},
		{CheckSecret, SeverityError, 4, 4, 0},
		{CheckSecret, SeverityError, 5, 5, 0},
		{CheckRootUser, SeverityWarning, 6, 6, 0},
		{CheckShellEntrypoint, SeverityWarning, 7, 7, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// No USER at all, shell-form CMD alone: root from the base, on FROM.
	g := parseFile(t, "go.single.Dockerfile")
	got = only(check(t, g, Evidence{}), CheckRootUser, CheckShellCmd)
	if diff := cmp.Diff([]found{{CheckRootUser, SeverityWarning, 4, 4, 0}}, got); diff != "" {
		t.Errorf("go.single (-want +got):\n%s", diff)
	}
	sh := parseText(t, "FROM alpine:3.20\nUSER 1000\nCMD node server.js\n")
	if diff := cmp.Diff([]found{{CheckShellCmd, SeverityWarning, 3, 3, 0}}, only(check(t, sh, Evidence{User: "1000"}), CheckShellCmd, CheckRootUser)); diff != "" {
		t.Errorf("shell CMD (-want +got):\n%s", diff)
	}
}

func TestCheckStages(t *testing.T) {
	f := parseText(t, `FROM golang:1.22 AS build
RUN go build -o /out/app .
FROM golang:1.22 AS lint
RUN go vet ./...
FROM alpine:3.20 AS assets
RUN mkdir /assets
FROM alpine:3.20
COPY --from=build /out/app /app
COPY --from=biuld /out/app /app2
COPY --from=nginx:1.25 /etc/nginx/nginx.conf /etc/
RUN --mount=type=bind,from=assets,target=/mnt cp -r /mnt/assets /assets
USER 1000
CMD ["/app"]
`)
	got := only(check(t, f, Evidence{User: "1000"}), CheckCopyFromUnknown, CheckUnusedStage)
	want := []found{
		{CheckUnusedStage, SeverityInfo, 3, 3, 0},
		{CheckCopyFromUnknown, SeverityError, 9, 9, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := Check(f, Evidence{Target: "nope"}); err == nil {
		t.Error("no error for an unknown target")
	}
	rules := Rules()
	for i, r := range rules {
		if r.ID == "" || r.Title == "" || r.Description == "" || r.Help == "" || (i > 0 && rules[i-1].ID >= r.ID) {
			t.Errorf("rule %d %+v: empty field or not in id order", i, r)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
