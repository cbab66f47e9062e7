package dockerfile

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// History entries below are written the way each builder writes them
// (BuildKit's dockerfile2llb commitToHistory, the legacy builder's
// dispatchers), the expected lines by hand from the Dockerfiles.

// bk is a BuildKit entry; layer says whether it has a layer.
func bk(createdBy string, layer bool) Entry {
	return Entry{CreatedBy: createdBy, Comment: "buildkit.dockerfile.v0", EmptyLayer: !layer}
}

func legacy(createdBy string, layer bool) Entry {
	return Entry{CreatedBy: createdBy, EmptyLayer: !layer}
}

// debianBase is debian:bookworm-slim's own history: one debuerreotype entry.
var debianBase = []Entry{{CreatedBy: "# debian.sh --arch 'amd64' out/ 'bookworm' '@1731888000'", Comment: "debuerreotype 0.15"}}

// alpineBase is alpine's history, itself built by BuildKit.
var alpineBase = []Entry{
	bk("ADD alpine-minirootfs-3.20.3-x86_64.tar.gz / # buildkit", true),
	bk(`CMD ["/bin/sh"]`, false),
}

type want struct {
	Kind       Kind
	Start, End int
	Stage      string
}

func from(line int, stage string) want { return want{KindBase, line, line, stage} }
func at(start, end int, stage string) want {
	return want{KindInstruction, start, end, stage}
}

var none = want{}

func hist(parts ...[]Entry) []Entry {
	var out []Entry
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func parseFile(t *testing.T, name string) *File {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("Dockerfile", data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func parseText(t *testing.T, text string) *File {
	t.Helper()
	f, err := Parse("Dockerfile", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func got(m *Mapping) []want {
	var out []want
	for _, e := range m.Entries {
		if e.Kind == KindUnmapped || e.Kind == KindExporter {
			out = append(out, want{Kind: e.Kind})
			continue
		}
		out = append(out, want{e.Kind, e.Lines.Start, e.Lines.End, e.Stage})
	}
	return out
}

func mapOK(t *testing.T, f *File, h []Entry, target string, wants []want) *Mapping {
	t.Helper()
	m, err := f.Map(h, Options{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wants, got(m)); diff != "" {
		t.Errorf("mapping (-want +got):\n%s\nwarnings: %v", diff, m.Warnings)
	}
	return m
}

func TestMapE2EDockerfiles(t *testing.T) {
	s0 := "stage 0"
	tests := []struct {
		name, file, builder string
		hist                []Entry
		want                []want
	}{
		{"c single buildkit", "c.single.Dockerfile", "buildkit", hist(debianBase, []Entry{
			bk("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends build-essential # buildkit", true),
			bk("WORKDIR /src", true),
			bk("COPY Makefile wordfreq.c ./ # buildkit", true),
			bk("RUN /bin/sh -c make check && make install # buildkit", true),
			bk(`ENTRYPOINT ["/usr/local/bin/wordfreq"]`, false),
		}), []want{from(4, s0), at(5, 5, s0), at(6, 6, s0), at(7, 7, s0), at(8, 8, s0), at(9, 9, s0)}},
		{"c single legacy", "c.single.Dockerfile", "legacy", hist(debianBase, []Entry{
			legacy("/bin/sh -c apt-get update && apt-get install -y --no-install-recommends build-essential", true),
			legacy("/bin/sh -c #(nop) WORKDIR /src", false),
			legacy("/bin/sh -c #(nop) COPY multi:5c0b6b1d2e3f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b in ./ ", true),
			legacy("/bin/sh -c make check && make install", true),
			legacy(`/bin/sh -c #(nop)  ENTRYPOINT ["/usr/local/bin/wordfreq"]`, false),
		}), []want{from(4, s0), at(5, 5, s0), at(6, 6, s0), at(7, 7, s0), at(8, 8, s0), at(9, 9, s0)}},
		{"c multi buildkit", "c.multi.Dockerfile", "buildkit", hist(debianBase, []Entry{
			bk("COPY /out/usr/local/bin/wordfreq /usr/local/bin/wordfreq # buildkit", true),
			bk("USER 65532:65532", false),
			bk(`ENTRYPOINT ["/usr/local/bin/wordfreq"]`, false),
		}), []want{from(10, "stage 1"), at(11, 11, "stage 1"), at(12, 12, "stage 1"), at(13, 13, "stage 1")}},
		{"c multi legacy", "c.multi.Dockerfile", "legacy", hist(debianBase, []Entry{
			legacy("/bin/sh -c #(nop) COPY file:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b in /usr/local/bin/wordfreq ", true),
			legacy("/bin/sh -c #(nop)  USER 65532:65532", false),
			legacy(`/bin/sh -c #(nop)  ENTRYPOINT ["/usr/local/bin/wordfreq"]`, false),
		}), []want{from(10, "stage 1"), at(11, 11, "stage 1"), at(12, 12, "stage 1"), at(13, 13, "stage 1")}},
		{"go single buildkit", "go.single.Dockerfile", "buildkit", hist(debianBase, []Entry{
			bk("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends golang-go # buildkit", true),
			bk("ENV CGO_ENABLED=0", false),
			bk("WORKDIR /src", true),
			bk("COPY go.mod main.go main_test.go ./ # buildkit", true),
			bk("RUN /bin/sh -c go test ./... && go build -o /usr/local/bin/hello-svc . # buildkit", true),
			bk("EXPOSE [8080/tcp]", false),
			bk(`CMD ["/usr/local/bin/hello-svc"]`, false),
		}), []want{from(4, s0), at(5, 5, s0), at(6, 6, s0), at(7, 7, s0), at(8, 8, s0), at(9, 9, s0), at(10, 10, s0), at(11, 11, s0)}},
		{"go multi legacy", "go.multi.Dockerfile", "legacy", hist(debianBase, []Entry{
			legacy("/bin/sh -c #(nop) COPY file:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0 in /usr/local/bin/hello-svc ", true),
			legacy("/bin/sh -c #(nop)  USER 65532:65532", false),
			legacy("/bin/sh -c #(nop)  EXPOSE 8080", false),
			legacy(`/bin/sh -c #(nop)  CMD ["/usr/local/bin/hello-svc"]`, false),
		}), []want{from(11, "stage 1"), at(12, 12, "stage 1"), at(13, 13, "stage 1"), at(14, 14, "stage 1"), at(15, 15, "stage 1")}},
		{"java single buildkit (continuation lines)", "java.single.Dockerfile", "buildkit", hist(debianBase, []Entry{
			bk("RUN /bin/sh -c mkdir -p /usr/share/man/man1 && apt-get update     && apt-get install -y --no-install-recommends openjdk-17-jdk-headless # buildkit", true),
			bk("WORKDIR /src", true),
			bk("COPY src ./src # buildkit", true),
			bk("RUN /bin/sh -c javac -d classes src/main/java/*.java     && javac -cp classes -d test-classes src/test/java/*.java     && java -ea -cp classes:test-classes MainTest     && jar --create --file app.jar --main-class Main -C classes . # buildkit", true),
			bk(`CMD ["java" "-jar" "/src/app.jar"]`, false),
		}), []want{from(5, s0), at(8, 9, s0), at(10, 10, s0), at(11, 11, s0), at(12, 15, s0), at(16, 16, s0)}},
		{"java multi buildkit", "java.multi.Dockerfile", "buildkit", hist(debianBase, []Entry{
			bk("RUN /bin/sh -c mkdir -p /usr/share/man/man1 && apt-get update     && apt-get install -y --no-install-recommends openjdk-17-jre-headless     && rm -rf /var/lib/apt/lists/* # buildkit", true),
			bk("WORKDIR /app", true),
			bk("COPY /src/app.jar ./ # buildkit", true),
			bk("USER 65532:65532", false),
			bk(`CMD ["java" "-jar" "/app/app.jar"]`, false),
		}), []want{from(14, "stage 1"), at(15, 17, "stage 1"), at(18, 18, "stage 1"), at(19, 19, "stage 1"), at(20, 20, "stage 1"), at(21, 21, "stage 1")}},
		{"node single buildkit (ARG-expanded RUN)", "node.single.Dockerfile", "buildkit", hist(debianBase, []Entry{
			bk("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends nodejs npm # buildkit", true),
			bk("WORKDIR /app", true),
			bk("COPY npm-cache /root/.npm # buildkit", true),
			bk("COPY package.json package-lock.json ./ # buildkit", true),
			bk("ARG NPM_FLAGS=--offline", false),
			bk("RUN |1 NPM_FLAGS=--offline /bin/sh -c npm ci $NPM_FLAGS --no-audit --no-fund # buildkit", true),
			bk("COPY tsconfig.json ./ # buildkit", true),
			bk("COPY src ./src # buildkit", true),
			bk("COPY test ./test # buildkit", true),
			bk("RUN |1 NPM_FLAGS=--offline /bin/sh -c npm run build && npm test # buildkit", true),
			bk("EXPOSE [8080/tcp]", false),
			bk(`CMD ["node" "dist/server.js"]`, false),
		}), []want{from(9, s0), at(10, 10, s0), at(11, 11, s0), at(12, 12, s0), at(13, 13, s0), at(14, 14, s0), at(15, 15, s0),
			at(16, 16, s0), at(17, 17, s0), at(18, 18, s0), at(19, 19, s0), at(20, 20, s0), at(21, 21, s0)}},
		{"node single legacy", "node.single.Dockerfile", "legacy", hist(debianBase, []Entry{
			legacy("/bin/sh -c apt-get update && apt-get install -y --no-install-recommends nodejs npm", true),
			legacy("/bin/sh -c #(nop) WORKDIR /app", false),
			legacy("/bin/sh -c #(nop) COPY dir:1111111111111111111111111111111111111111111111111111111111111111 in /root/.npm ", true),
			legacy("/bin/sh -c #(nop) COPY multi:2222222222222222222222222222222222222222222222222222222222222222 in ./ ", true),
			legacy("/bin/sh -c #(nop)  ARG NPM_FLAGS=--prefer-offline", false),
			legacy("|1 NPM_FLAGS=--offline /bin/sh -c npm ci $NPM_FLAGS --no-audit --no-fund", true),
			legacy("/bin/sh -c #(nop) COPY file:3333333333333333333333333333333333333333333333333333333333333333 in ./ ", true),
			legacy("/bin/sh -c #(nop) COPY dir:4444444444444444444444444444444444444444444444444444444444444444 in ./src ", true),
			legacy("/bin/sh -c #(nop) COPY dir:5555555555555555555555555555555555555555555555555555555555555555 in ./test ", true),
			legacy("|1 NPM_FLAGS=--offline /bin/sh -c npm run build && npm test", true),
			legacy("/bin/sh -c #(nop)  EXPOSE 8080", false),
			legacy(`/bin/sh -c #(nop)  CMD ["node" "dist/server.js"]`, false),
		}), []want{from(9, s0), at(10, 10, s0), at(11, 11, s0), at(12, 12, s0), at(13, 13, s0), at(14, 14, s0), at(15, 15, s0),
			at(16, 16, s0), at(17, 17, s0), at(18, 18, s0), at(19, 19, s0), at(20, 20, s0), at(21, 21, s0)}},
		{"node multi buildkit", "node.multi.Dockerfile", "buildkit", hist(debianBase, []Entry{
			bk("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends nodejs     && rm -rf /var/lib/apt/lists/* # buildkit", true),
			bk("WORKDIR /app", true),
			bk("COPY /app/package.json ./ # buildkit", true),
			bk("COPY /app/node_modules ./node_modules # buildkit", true),
			bk("COPY /app/dist ./dist # buildkit", true),
			bk("USER 65532:65532", false),
			bk("EXPOSE map[8080/tcp:{}]", false), // older BuildKit printed the port map; v0.26 prints a list
			bk(`CMD ["node" "dist/server.js"]`, false),
		}), []want{from(17, "stage 1"), at(18, 19, "stage 1"), at(20, 20, "stage 1"), at(21, 21, "stage 1"), at(22, 22, "stage 1"),
			at(23, 23, "stage 1"), at(24, 24, "stage 1"), at(25, 25, "stage 1"), at(26, 26, "stage 1")}},
		{"python single buildkit", "python.single.Dockerfile", "buildkit", hist(debianBase, []Entry{
			bk("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends     python3 python3-dev gcc python3-pip python3-pytest # buildkit", true),
			bk("WORKDIR /src", true),
			bk("COPY pyproject.toml setup.py ./ # buildkit", true),
			bk("COPY src ./src # buildkit", true),
			bk("COPY tests ./tests # buildkit", true),
			bk("RUN /bin/sh -c pip install --break-system-packages --no-index --no-build-isolation .     && python3 -m pytest -q -p no:cacheprovider tests # buildkit", true),
			bk(`CMD ["wordstats"]`, false),
		}), []want{from(6, s0), at(7, 8, s0), at(9, 9, s0), at(10, 10, s0), at(11, 11, s0), at(12, 12, s0), at(15, 16, s0), at(17, 17, s0)}},
		{"python multi buildkit", "python.multi.Dockerfile", "buildkit", hist(debianBase, []Entry{
			bk("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends python3     && rm -rf /var/lib/apt/lists/* # buildkit", true),
			bk("COPY /usr/local/lib/python3.11/dist-packages /usr/local/lib/python3.11/dist-packages # buildkit", true),
			bk("COPY /usr/local/bin/wordstats /usr/local/bin/wordstats # buildkit", true),
			bk("USER 65532:65532", false),
			bk(`CMD ["wordstats"]`, false),
		}), []want{from(15, "stage 1"), at(16, 17, "stage 1"), at(20, 20, "stage 1"), at(21, 21, "stage 1"), at(22, 22, "stage 1"), at(23, 23, "stage 1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mapOK(t, parseFile(t, tt.file), tt.hist, "", tt.want)
			if len(m.Warnings) != 0 {
				t.Errorf("warnings: %v", m.Warnings)
			}
			if m.MatchRate() != 1 {
				t.Errorf("match rate %v, want 1", m.MatchRate())
			}
			if string(m.Builder) != tt.builder {
				t.Errorf("builder %q, want %q", m.Builder, tt.builder)
			}
		})
	}
}

func TestMapBuildArgsRecorded(t *testing.T) {
	f := parseFile(t, "node.single.Dockerfile")
	h := hist(debianBase, []Entry{
		bk("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends nodejs npm # buildkit", true),
		bk("WORKDIR /app", true),
		bk("COPY npm-cache /root/.npm # buildkit", true),
		bk("COPY package.json package-lock.json ./ # buildkit", true),
		bk("ARG NPM_FLAGS=--offline --loglevel=warn", false),
		bk("RUN |1 NPM_FLAGS=--offline --loglevel=warn /bin/sh -c npm ci $NPM_FLAGS --no-audit --no-fund # buildkit", true),
	})
	m, err := f.Map(h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A value with a space stays whole.
	if diff := cmp.Diff([]Arg{{Key: "NPM_FLAGS", Value: "--offline --loglevel=warn", HasValue: true}}, m.Entries[6].BuildArgs); diff != "" {
		t.Errorf("build args (-want +got):\n%s", diff)
	}
	if m.Entries[6].Lines != (Lines{15, 15}) {
		t.Errorf("RUN npm ci mapped to %v, want 15", m.Entries[6].Lines)
	}
}

const chainDockerfile = `ARG DEBIAN=bookworm
FROM debian:${DEBIAN}-slim AS base
ENV LANG=C.UTF-8
WORKDIR /app

FROM base AS deps
ARG VERSION=1.0
ARG APP=hello
RUN echo $VERSION > version
COPY ${APP}.txt notes/

FROM deps
COPY --chown=app:app --link run.sh ./
WORKDIR bin
USER app
CMD ./run.sh
`

func TestMapStageChain(t *testing.T) {
	f := parseText(t, chainDockerfile)
	if got := f.Stages[0].BaseName; got != "debian:bookworm-slim" {
		t.Errorf("base name %q", got)
	}
	h := hist(debianBase, []Entry{
		bk("ENV LANG=C.UTF-8", false),
		bk("WORKDIR /app", true),
		bk("ARG VERSION=2.0", false),
		bk("ARG APP=hello", false),
		bk("RUN |2 VERSION=2.0 APP=hello /bin/sh -c echo $VERSION > version # buildkit", true),
		bk("COPY hello.txt notes/ # buildkit", true),
		bk("COPY --chown=app:app run.sh ./ # buildkit", true),
		bk("WORKDIR /app/bin", true),
		bk("USER app", false),
		bk(`CMD ["/bin/sh" "-c" "./run.sh"]`, false),
	})
	m := mapOK(t, f, h, "", []want{from(2, "base"), at(3, 3, "base"), at(4, 4, "base"),
		at(7, 7, "deps"), at(8, 8, "deps"), at(9, 9, "deps"), at(10, 10, "deps"),
		at(13, 13, "stage 2"), at(14, 14, "stage 2"), at(15, 15, "stage 2"), at(16, 16, "stage 2")})
	want := []Arg{{"VERSION", "2.0", true}, {"APP", "hello", true}}
	if diff := cmp.Diff(want, m.Entries[5].BuildArgs); diff != "" {
		t.Errorf("build args (-want +got):\n%s", diff)
	}
}

const heredocDockerfile = `# syntax=docker/dockerfile:1
FROM alpine:3.20
RUN <<EOF
apk add --no-cache curl
echo done
EOF
RUN <<-EOT bash
	set -e
	echo hi
EOT
COPY <<EOF /etc/motd
hello
EOF
RUN <<EOF
#!/bin/sh
echo script
EOF
`

func TestMapHeredocAndBaseHistory(t *testing.T) {
	f := parseText(t, heredocDockerfile)
	h := hist(alpineBase, []Entry{
		bk("RUN /bin/sh -c apk add --no-cache curl\necho done\n # buildkit", true),
		bk("RUN /bin/sh -c <<-EOT bash\n\tset -e\n\techo hi\nEOT # buildkit", true),
		bk("COPY <<EOF /etc/motd # buildkit", true),
		bk("RUN /bin/sh -c /dev/pipes/EOF # buildkit", true),
	})
	mapOK(t, f, h, "", []want{from(2, "stage 0"), from(2, "stage 0"), at(3, 6, "stage 0"), at(7, 10, "stage 0"), at(11, 13, "stage 0"), at(14, 17, "stage 0")})
}

func TestMapExporterEntries(t *testing.T) {
	f := parseFile(t, "c.multi.Dockerfile")
	h := hist(debianBase, []Entry{
		bk("COPY /out/usr/local/bin/wordfreq /usr/local/bin/wordfreq # buildkit", true),
		bk("USER 65532:65532", false),
		bk(`ENTRYPOINT ["/usr/local/bin/wordfreq"]`, false),
		{CreatedBy: "", Comment: "buildkit.exporter.image.v0"},
	})
	m := mapOK(t, f, h, "", []want{from(10, "stage 1"), at(11, 11, "stage 1"), at(12, 12, "stage 1"), at(13, 13, "stage 1"), {Kind: KindExporter}})
	if m.Total != 4 || m.Mapped != 4 {
		t.Errorf("mapped %d of %d, want 4 of 4", m.Mapped, m.Total)
	}
}

// goSingleBuildKit is the history BuildKit writes for go.single.Dockerfile.
var goSingleBuildKit = hist(debianBase, []Entry{
	bk("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends golang-go # buildkit", true),
	bk("ENV CGO_ENABLED=0", false),
	bk("WORKDIR /src", true),
	bk("COPY go.mod main.go main_test.go ./ # buildkit", true),
	bk("RUN /bin/sh -c go test ./... && go build -o /usr/local/bin/hello-svc . # buildkit", true),
	bk("EXPOSE [8080/tcp]", false),
	bk(`CMD ["/usr/local/bin/hello-svc"]`, false),
})

func editedGoSingle(t *testing.T, edit func(lines []string) []string) *File {
	t.Helper()
	data, err := os.ReadFile("testdata/go.single.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	lines := edit(strings.Split(string(data), "\n"))
	return parseText(t, strings.Join(lines, "\n"))
}

func TestMapEditedAfterBuild(t *testing.T) {
	s0 := "stage 0"
	t.Run("line inserted", func(t *testing.T) {
		// A RUN inserted as line 7, after ENV; WORKDIR moves to 8.
		f := editedGoSingle(t, func(l []string) []string {
			return append(l[:6:6], append([]string{"RUN apt-get install -y git"}, l[6:]...)...)
		})
		m := mapOK(t, f, goSingleBuildKit, "", []want{from(4, s0), at(5, 5, s0), at(6, 6, s0), none, none, none, none, none})
		wantWarning(t, m, 7, 3)
	})
	t.Run("RUN changed", func(t *testing.T) {
		f := editedGoSingle(t, func(l []string) []string {
			l[8] = "RUN go vet ./... && go build -o /usr/local/bin/hello-svc ."
			return l
		})
		m := mapOK(t, f, goSingleBuildKit, "", []want{from(4, s0), at(5, 5, s0), at(6, 6, s0), at(7, 7, s0), at(8, 8, s0), none, none, none})
		wantWarning(t, m, 9, 5)
		if m.Mapped != 5 || m.Total != 8 {
			t.Errorf("mapped %d of %d, want 5 of 8", m.Mapped, m.Total)
		}
	})
	t.Run("another target", func(t *testing.T) {
		// go.multi built with --target build, mapped as if the last stage
		// was built: nothing maps, and the warning names the stage that does.
		f := parseFile(t, "go.multi.Dockerfile")
		h := hist(debianBase, []Entry{
			bk("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends golang-go # buildkit", true),
			bk("ENV CGO_ENABLED=0", false),
			bk("WORKDIR /src", true),
			bk("COPY go.mod main.go main_test.go ./ # buildkit", true),
			bk("RUN /bin/sh -c go test ./... && go build -o /out/hello-svc . # buildkit", true),
		})
		m := mapOK(t, f, h, "", []want{none, none, none, none, none, none})
		if len(m.Warnings) != 2 || m.Warnings[0].Line != 12 || !strings.Contains(m.Warnings[1].Message, `target "build"`) {
			t.Errorf("warnings %v: want the first mismatch at line 12 and a hint at target build", m.Warnings)
		}
		mapOK(t, f, h, "build", []want{from(4, "build"), at(5, 5, "build"), at(6, 6, "build"), at(7, 7, "build"), at(8, 8, "build"), at(9, 9, "build")})
	})
	t.Run("unknown target", func(t *testing.T) {
		if _, err := parseFile(t, "go.multi.Dockerfile").Map(goSingleBuildKit, Options{Target: "nope"}); err == nil {
			t.Error("no error for an unknown target")
		}
	})
}

func wantWarning(t *testing.T, m *Mapping, line, entry int) {
	t.Helper()
	if len(m.Warnings) == 0 || m.Warnings[0].Line != line || m.Warnings[0].Entry != entry {
		t.Errorf("warnings %+v: want the first at line %d, entry %d", m.Warnings, line, entry)
	}
}

func TestParseErrors(t *testing.T) {
	for _, text := range []string{"", "RUN echo hi\n", "FROM\n", "FROM a\nRUN <<EOF\nunterminated\n"} {
		if _, err := Parse("Dockerfile", []byte(text)); err == nil {
			t.Errorf("Parse(%q): no error", text)
		}
	}
}

// Odd history entries (other tools, truncated build-arg prefixes) map to
// nothing without a panic, and the match stops at them.
func TestMapOddEntries(t *testing.T) {
	f := parseFile(t, "c.single.Dockerfile")
	odd := []string{"", "|", "|x", "|2 A", "|1 A=b", "RUN", "RUN |3 A=1 /bin/sh -c x # buildkit", "#(nop)", "/bin/sh -c #(nop) ",
		"COPY # buildkit", "WORKDIR", "ENTRYPOINT", "ƒ☃ " + strings.Repeat("é", 100)}
	for _, s := range odd {
		for _, c := range []string{"", "buildkit.dockerfile.v0"} {
			h := hist(debianBase, []Entry{{CreatedBy: s, Comment: c}})
			m, err := f.Map(h, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Mapped != 0 || len(m.Warnings) == 0 {
				t.Errorf("%q: mapped %d, warnings %v", s, m.Mapped, m.Warnings)
			}
		}
	}
	for _, head := range []string{"|", "|x", "|2 A=1", "|1 =x", "|1 1A=x", "|0 junk"} {
		if _, ok := splitBuildArgs(head, nil); ok {
			t.Errorf("splitBuildArgs(%q) accepted", head)
		}
	}
}
