package analyze

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// TestPathRulesPerEcosystem: what no package database owns is classified
// by the default path rules, for every language the product supports, and
// the runtime each one needs stays unflagged.
func TestPathRulesPerEcosystem(t *testing.T) {
	cases := []struct {
		path string
		want model.Category
	}{
		// C/C++
		{"usr/local/include/zlib.h", model.BuildTool},
		{"usr/local/lib/libz.a", model.BuildTool},
		{"src/app/main.o", model.BuildTool},
		{"src/app/main.c", model.Source},
		{"src/app/CMakeLists.txt", model.Source},
		{"usr/local/lib/libz.so.1.3", ""},
		// Go
		{"usr/local/go/bin/go", model.BuildTool},
		{"usr/local/go/pkg/tool/linux_amd64/compile", model.BuildTool},
		{"root/.cache/go-build/ab/abcdef-d", model.Cache},
		{"go/pkg/mod/github.com/spf13/cobra@v1.10.2/command.go", model.Cache},
		{"src/cmd/server/main.go", model.Source},
		{"usr/local/bin/server", ""},
		// Node
		{"root/.npm/_cacache/index-v5/aa/bb", model.Cache},
		{"usr/local/share/.cache/yarn/v6/npm-left-pad-1.3.0/package.json", model.Cache},
		{"root/.local/share/pnpm/store/v3/files/00/abc", model.Cache},
		{"app/node_modules/.cache/babel-loader/x.json", model.Cache},
		{"app/src/index.ts", model.Source},
		{"app/dist/index.js", ""},
		// Python
		{"root/.cache/pip/http/a/b/c", model.Cache},
		{"usr/local/lib/python3.11/os.py", ""},
		{"usr/local/lib/python3.11/test/test_os.py", ""},
		// Rust
		{"usr/local/cargo/registry/cache/index.crates.io-6f17d22bba15001f/serde-1.0.0.crate", model.Cache},
		{"app/target/release/deps/libserde-abc.rlib", model.Cache},
		{"usr/local/rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/rustc", model.BuildTool},
		{"app/src/main.rs", model.Source},
		// Java
		{"root/.m2/repository/org/slf4j/slf4j-api/2.0.9/slf4j-api-2.0.9.jar", model.Cache},
		{"home/gradle/.gradle/caches/modules-2/files-2.1/x.jar", model.Cache},
		{"opt/java/openjdk/bin/javac", model.BuildTool},
		{"opt/java/openjdk/jmods/java.base.jmod", model.BuildTool},
		{"opt/java/openjdk/bin/java", ""},
		// Debian's JRE ships jpackage's alternatives link.
		{"usr/bin/jpackage", ""},
		{"opt/java/openjdk/lib/modules", ""},
		{"app/src/main/java/App.java", model.Source},
		{"app/app.jar", ""},
		// .NET
		{"usr/share/dotnet/sdk/8.0.100/dotnet.dll", model.BuildTool},
		{"root/.nuget/packages/newtonsoft.json/13.0.3/lib/net6.0/Newtonsoft.Json.dll", model.Cache},
		{"usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/System.Private.CoreLib.dll", ""},
		{"app/Program.cs", model.Source},
		// Everywhere
		{"app/.git/HEAD", model.VCS},
		{"app/Dockerfile", model.Source},
		{"var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb", model.Cache},
		{"usr/share/man/man1/ls.1.gz", model.Docs},
	}
	var entries []index.Entry
	for _, c := range cases {
		entries = append(entries, reg(c.path, 100))
	}
	// Cargo marks its target directory; without the marker, "target" is
	// just a name.
	entries = append(entries, reg("app/target/.rustc_info.json", 10), reg("srv/www/target/index.html", 10))
	l := testLayer(entries, nil, nil)
	// What the walk keeps of the two files whose first bytes decide:
	// an ar archive and an ELF relocatable object (e_type 1 at offset 16).
	l.Contents = map[string][]byte{
		"usr/local/lib/libz.a": []byte("!<arch>\n"),
		"src/app/main.o":       []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x3e\x00"),
	}
	img, err := Build(testImage([]v1.History{{CreatedBy: "COPY . / # buildkit"}}, l))
	if err != nil {
		t.Fatal(err)
	}
	c := Classify(img, nil)
	for _, tc := range cases {
		if f := flagOf(t, img, c, tc.path); f.Category != tc.want {
			t.Errorf("%s: %q (%s), want %q", tc.path, f.Category, f.Evidence, tc.want)
		}
	}
	if f := flagOf(t, img, c, "srv/www/target/index.html"); f.Category != "" {
		t.Errorf("a target dir without Cargo's marker flagged %q (%s)", f.Category, f.Evidence)
	}
}
