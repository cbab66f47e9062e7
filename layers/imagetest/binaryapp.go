package imagetest

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BinaryApp is a single-stage image of a compiled app on the demo's
// Debian base (the node-base image): the C toolchain installed
// (build-essential, gcc-12, make), the sources copied to /src, and the
// build's output, binary (real bytes the caller built, so that the walk
// reads real ELF headers), at /usr/local/bin/app. With a script, the
// sources hold /src/entrypoint.sh, that body, and the config runs it as
// the ENTRYPOINT; without, CMD runs the binary. It returns the image and
// the Dockerfile that built it.
func BinaryApp(binary []byte, script string) (Image, string) {
	src := tree{}.
		body("src/main.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n").
		body("src/Makefile", "app: main.o\n\t$(CC) -o $@ $^\n")
	entry := `CMD ["/usr/local/bin/app"]`
	cfg := v1.Config{
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		WorkingDir: "/src",
		Cmd:        []string{"/usr/local/bin/app"},
	}
	if script != "" {
		src.add(Entry{Path: "src/entrypoint.sh", Body: []byte(script), Mode: 0o755})
		entry = `ENTRYPOINT ["/src/entrypoint.sh"]`
		cfg.Cmd, cfg.Entrypoint = nil, []string{"/src/entrypoint.sh"}
	}
	out := tree{}.object("src/main.o", 1800).add(Entry{Path: "usr/local/bin/app", Body: binary, Mode: 0o755})
	df := fmt.Sprintf(`FROM node-base:20-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends build-essential gcc-12 make
WORKDIR /src
COPY . .
RUN make && cp app /usr/local/bin/app
%s
`, entry)
	return onDemoBase([]Layer{
		installToolchain(),
		{CreatedBy: BuildKit("COPY . ."), Comment: BuildKitComment, Entries: src.entries()},
		{CreatedBy: RunBuildKit("make && cp app /usr/local/bin/app"), Comment: BuildKitComment, Entries: out.entries()},
	}, []EmptyStep{
		{At: 2, CreatedBy: "WORKDIR /src", Comment: BuildKitComment},
		{At: 4, CreatedBy: strings.NewReplacer(`", "`, `" "`).Replace(entry), Comment: BuildKitComment},
	}, cfg), df
}
