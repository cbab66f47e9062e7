package imagetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
)

// The demo: "thumbs", a Node.js (TypeScript) service with a small C helper,
// built once as a single-stage image and once as a multi-stage one on the
// same Debian-based Node.js base image. The single-stage image carries what
// building needed: the C toolchain (owned by dpkg packages of sections
// devel and libdevel), apt lists, the sources with their .git and a .env,
// devDependencies (marked "dev": true in the lockfiles) and the npm cache.
// The multi-stage image carries the compiled output and the production
// node_modules only, runs as a non-root user with an exec-form entrypoint.

const singleDockerfile = `FROM node-base:20-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends build-essential gcc-12 make
WORKDIR /app
COPY . .
RUN npm ci
RUN npm run build && make -C native && cp native/thumbd bin/thumbd
ENV NODE_ENV=production
EXPOSE 8080
CMD node dist/server.js
`

const multiDockerfile = `FROM node-base:20-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential gcc-12 make
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && make -C native && cp native/thumbd bin/thumbd

FROM node-base:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node-base:20-bookworm
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin/thumbd ./bin/thumbd
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s CMD ["node", "dist/healthcheck.js"]
ENTRYPOINT ["node", "dist/server.js"]
`

var demoModules = strings.Fields("server routes/health routes/thumbnail routes/upload lib/config lib/logger lib/storage lib/native lib/validate lib/errors healthcheck")

// appSources is the build context `COPY . .` copies into /app: sources,
// tests, build files, the lockfile, a .git directory and a .env (no
// .dockerignore keeps them out).
func appSources() tree {
	t := tree{}
	pj, _ := json.MarshalIndent(map[string]any{
		"name": demoApp, "version": demoVersion, "private": true, "license": "UNLICENSED",
		"main":         "dist/server.js",
		"scripts":      map[string]string{"build": "tsc -p .", "test": "jest", "lint": "eslint src test", "start": "node dist/server.js"},
		"dependencies": demoDeps, "devDependencies": demoDevDeps,
	}, "", "  ")
	t.body("package.json", string(pj)+"\n")
	t.body("package-lock.json", lockfile(npmPkgs, false))
	t.body("Dockerfile", singleDockerfile)
	t.body("Dockerfile.multi", multiDockerfile)
	t.body("tsconfig.json", `{"compilerOptions":{"target":"ES2022","module":"commonjs","outDir":"dist","rootDir":"src","strict":true,"sourceMap":true}}`+"\n")
	t.body("jest.config.js", "module.exports = { preset: 'ts-jest', testEnvironment: 'node' };\n")
	t.body(".eslintrc.json", `{"root":true,"parser":"@typescript-eslint/parser","extends":["eslint:recommended"]}`+"\n")
	t.body(".gitignore", "node_modules/\ndist/\nnative/*.o\nbin/\n.env\n")
	t.body(".env", "DATABASE_URL=postgres://thumbs:demo-password-not-real@db:5432/thumbs\nS3_SECRET_ACCESS_KEY=demo0000000000000000000000000000000000000\n")
	t.file("README.md", 4200)
	for i, m := range demoModules {
		t.file("src/"+m+".ts", 1500+int64(i*i*97%9000))
	}
	for _, m := range []string{"health", "thumbnail", "upload", "validate", "storage"} {
		t.file("test/"+m+".test.ts", 2500+int64(len(m))*300)
	}
	t.body("native/Makefile", "CC ?= gcc\nCFLAGS ?= -O2 -Wall -Wextra\nOBJS = thumbd.o resize.o png.o jpeg.o io.o util.o\n\nthumbd: $(OBJS)\n\t$(CC) $(CFLAGS) -o $@ $(OBJS) -lm\n\nclean:\n\trm -f thumbd $(OBJS)\n")
	for i, c := range []string{"thumbd", "resize", "png", "jpeg", "io", "util"} {
		t.file("native/"+c+".c", 6000+int64(i)*4100)
	}
	for i, h := range []string{"thumbd", "resize", "codec", "util"} {
		t.file("native/"+h+".h", 1200+int64(i)*700)
	}
	// The repository: a packfile holds most of its history.
	g := tree{}
	g.body("HEAD", "ref: refs/heads/main\n")
	g.body("config", "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n[remote \"origin\"]\n\turl = git@github.com:example/thumbs.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch \"main\"]\n\tremote = origin\n\tmerge = refs/heads/main\n")
	g.body("description", "Unnamed repository; edit this file 'description' to name the repository.\n")
	g.body("refs/heads/main", "4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b\n")
	g.file("packed-refs", 2*kB).file("index", 14*kB).file("logs/HEAD", 6*kB).file("info/exclude", 240)
	g.file("objects/pack/pack-9a1c4e2f7b3d5a6c8e0f1b2d3c4e5f6a7b8c9d0e.pack", 2400*kB)
	g.file("objects/pack/pack-9a1c4e2f7b3d5a6c8e0f1b2d3c4e5f6a7b8c9d0e.idx", 62*kB)
	for _, h := range []string{"applypatch-msg", "commit-msg", "fsmonitor-watchman", "post-update", "pre-applypatch", "pre-commit", "pre-merge-commit", "pre-push", "pre-rebase", "pre-receive", "prepare-commit-msg", "push-to-checkout", "update"} {
		g.add(Entry{Path: "hooks/" + h + ".sample", Size: 400 + int64(len(h))*190, Mode: 0o755})
	}
	t.merge(g.prefixed(".git"))
	return t.prefixed("app")
}

// appBuild is what the build step writes: the compiled JavaScript (the
// program), the C helper binary, and the object files it was linked from.
// The multi-stage image copies dist and the binary only.
func appBuild() (dist, binary, objects tree) {
	dist = tree{}
	for i, m := range demoModules {
		dist.file("app/dist/"+m+".js", 1200+int64(i*i*89%7000))
		dist.file("app/dist/"+m+".js.map", 900+int64(i*i*53%4000))
	}
	binary = tree{}.add(Entry{Path: "app/bin/thumbd", Size: 1640 * kB, Mode: 0o755})
	objects = tree{}
	for i, c := range []string{"thumbd", "resize", "png", "jpeg", "io", "util"} {
		objects.object("app/native/"+c+".o", 9000+int64(i)*5200)
	}
	objects.add(Entry{Path: "app/native/thumbd", Size: 1640 * kB, Mode: 0o755})
	return dist, binary, objects
}

// Base image history, as a base built with the legacy builder records it.
var demoBaseSteps = struct{ add, cmd string }{
	add: AddLegacy("node-base:20-bookworm rootfs", "/"),
	cmd: NopLegacy(`CMD ["bash"]`),
}

// onDemoBase is an image on the demo's Node.js base, gzip at BestSpeed as
// the demo images are written: the base's rootfs layer and its CMD step,
// then layers, the steps that made no layer, and the config.
func onDemoBase(layers []Layer, empty []EmptyStep, cfg v1.Config) Image {
	return Image{
		Compression: Gzip,
		Level:       gzip.BestSpeed,
		Layers:      append([]Layer{{CreatedBy: demoBaseSteps.add, Entries: baseLayer().entries()}}, layers...),
		EmptySteps:  append([]EmptyStep{{At: 1, CreatedBy: demoBaseSteps.cmd}}, empty...),
		Config:      cfg,
	}
}

// installToolchain is the step that installs the C toolchain on the demo
// base: build-essential, gcc-12, make and what they pull in.
func installToolchain() Layer {
	return Layer{CreatedBy: RunBuildKit("apt-get update && apt-get install -y --no-install-recommends build-essential gcc-12 make"), Comment: BuildKitComment, Entries: toolchainLayer().entries()}
}

// DemoSingle is the single-stage demo image.
func DemoSingle() Image {
	dist, binary, objects := appBuild()
	return onDemoBase([]Layer{
		installToolchain(),
		{CreatedBy: BuildKit("COPY . ."), Comment: BuildKitComment, Entries: appSources().entries()},
		{CreatedBy: RunBuildKit("npm ci"), Comment: BuildKitComment, Entries: nodeModules(true).merge(npmCache()).entries()},
		{CreatedBy: RunBuildKit("npm run build && make -C native && cp native/thumbd bin/thumbd"), Comment: BuildKitComment, Entries: dist.merge(binary).merge(objects).entries()},
	}, []EmptyStep{
		{At: 2, CreatedBy: "WORKDIR /app", Comment: BuildKitComment},
		{At: 5, CreatedBy: "ENV NODE_ENV=production", Comment: BuildKitComment},
		{At: 5, CreatedBy: "EXPOSE map[8080/tcp:{}]", Comment: BuildKitComment},
		{At: 5, CreatedBy: `CMD ["/bin/sh" "-c" "node dist/server.js"]`, Comment: BuildKitComment},
	}, v1.Config{
		Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_ENV=production"},
		WorkingDir:   "/app",
		Cmd:          []string{"/bin/sh", "-c", "node dist/server.js"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
	})
}

// DemoMulti is the multi-stage demo image: the same base layer (same
// diffID), then the build's output only.
func DemoMulti() Image {
	dist, binary, _ := appBuild()
	pj := appSources()["app/package.json"]
	return onDemoBase([]Layer{
		{CreatedBy: BuildKit("COPY /app/dist ./dist"), Comment: BuildKitComment, Entries: dist.entries()},
		{CreatedBy: BuildKit("COPY /app/bin/thumbd ./bin/thumbd"), Comment: BuildKitComment, Entries: binary.entries()},
		{CreatedBy: BuildKit("COPY /app/node_modules ./node_modules"), Comment: BuildKitComment, Entries: nodeModules(false).entries()},
		{CreatedBy: BuildKit("COPY package.json ./"), Comment: BuildKitComment, Entries: []Entry{pj}},
	}, []EmptyStep{
		{At: 1, CreatedBy: "WORKDIR /app", Comment: BuildKitComment},
		{At: 1, CreatedBy: "ENV NODE_ENV=production", Comment: BuildKitComment},
		{At: 5, CreatedBy: "USER 10001:10001", Comment: BuildKitComment},
		{At: 5, CreatedBy: "EXPOSE map[8080/tcp:{}]", Comment: BuildKitComment},
		{At: 5, CreatedBy: `HEALTHCHECK &{["CMD" "node" "dist/healthcheck.js"] "30s" "0s" "0s" "0s" '\x00'}`, Comment: BuildKitComment},
		{At: 5, CreatedBy: `ENTRYPOINT ["node" "dist/server.js"]`, Comment: BuildKitComment},
	}, v1.Config{
		Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_ENV=production"},
		WorkingDir:   "/app",
		User:         "10001:10001",
		Entrypoint:   []string{"node", "dist/server.js"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Healthcheck:  &v1.HealthConfig{Test: []string{"CMD", "node", "dist/healthcheck.js"}, Interval: 30e9},
	})
}

// WriteDemo writes the demo pair as OCI layouts dir/single and dir/multi,
// tagged "latest".
func WriteDemo(dir string) error {
	for _, d := range []struct {
		name string
		spec Image
	}{{"single", DemoSingle()}, {"multi", DemoMulti()}} {
		img, err := Build(d.spec)
		if err != nil {
			return fmt.Errorf("demo %s: %w", d.name, err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := WriteOCILayout(filepath.Join(dir, d.name), "latest", img); err != nil {
			return fmt.Errorf("demo %s: %w", d.name, err)
		}
	}
	// The single image's Dockerfile, for `imgdiff suggest`.
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile.single"), []byte(singleDockerfile), 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// DemoSingleDockerfile is the Dockerfile the single-stage demo image was
// built from (the image carries it as /app/Dockerfile too).
func DemoSingleDockerfile() string { return singleDockerfile }
