package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	gast "github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"

	"github.com/imgdiff/imgdiff/layers/imagetest"
	"github.com/imgdiff/imgdiff/report/reporttest"
)

// hostile is what an attacker who shapes an image puts in every string
// of it: it ends a table row, a <details> section and a code span, opens
// a heading, an image, a link and an autolink, rings the bell, recolours
// the terminal, retitles the window, reverses the text that follows, and
// mentions a team. EVIL marks it, so a test can find where it landed.
const hostile = "EVIL x\n</details>\n\n# heading\n\n<img src=x>\n[link](http://x.example) ![i](http://x.example/i.png) | a`b``c " +
	"\x1b[31mred\x1b[0m\a\x1b]0;title\a\x9b2J \u202eevil\u202c www.x.example WwW.y.example mail x@evil.example @acme/everyone\r\nend"

// hostileImage builds an image whose config, history, paths and package
// database carry hostile strings, written as a docker-archive.
func hostileImage(t *testing.T) string {
	t.Helper()
	var entries []imagetest.Entry
	for _, name := range []string{"a|b`c", "new\nline", "</details>", "# heading", "<img src=x>", "[link](http://x.example)", "esc\x1b[31m\a", "\u202eevil.txt", "EVIL " + hostile} {
		entries = append(entries, imagetest.Entry{Path: "app/" + name, Size: 2000})
	}
	// A secret, VCS data and a package database whose names are hostile.
	entries = append(entries,
		imagetest.Entry{Path: "app/.env", Body: []byte("TOKEN=x\n")},
		imagetest.Entry{Path: "app/.git/config", Size: 100},
		imagetest.Entry{Path: "var/lib/dpkg/status", Body: []byte("Package: gcc-12\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\nDescription: EVIL <img src=x> [l](http://x.example) \x1b[31m\u202e\n\n")},
		imagetest.Entry{Path: "var/lib/dpkg/info/gcc-12.list", Body: []byte("/usr/bin/gcc-12\n/usr/lib/EVIL <img src=x>|`\x1b[31m\n")},
		imagetest.Entry{Path: "usr/bin/gcc-12", Size: 5000},
		imagetest.Entry{Path: "usr/lib/EVIL <img src=x>|`\x1b[31m", Size: 3000},
	)
	spec := imagetest.Image{
		Layers: []imagetest.Layer{
			{Entries: entries, CreatedBy: "RUN /bin/sh -c " + hostile, Comment: hostile},
			{Entries: []imagetest.Entry{{Path: "app/.wh.a|b`c", Type: imagetest.Whiteout}}, CreatedBy: "/bin/sh -c #(nop) COPY " + hostile},
		},
		EmptySteps: []imagetest.EmptyStep{{At: 2, CreatedBy: "USER " + hostile}},
		Config: v1.Config{
			User:       hostile,
			Env:        []string{"API_TOKEN=" + hostile, hostile + "=1", "PATH=/bin"},
			Labels:     map[string]string{hostile: hostile},
			Entrypoint: []string{hostile, "--flag=" + hostile},
			Cmd:        []string{hostile},
			WorkingDir: "/" + hostile,
			ExposedPorts: map[string]struct{}{
				hostile: {},
			},
		},
	}
	img, err := imagetest.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "hostile.tar")
	if err := imagetest.WriteDockerArchive(p, "evil:1", img); err != nil {
		t.Fatal(err)
	}
	return p
}

// ownHTML is the raw HTML the Markdown report writes itself; nothing else
// may parse as HTML.
var ownHTML = regexp.MustCompile(`^(<!-- imgdiff:[^\n]* -->\n?|<details><summary>[^<]*</summary>\n?|</details>\n?|</?sub>)$`)

// ownHeadings are the headings the Markdown report writes.
var ownHeadings = regexp.MustCompile(`^(Budgets.*|What the bytes are|Findings|ΔS = A − B, explained|Warnings)$`)

// checkHostileMarkdown parses md as GitHub does and asserts that the
// hostile strings rendered as text: the tables the report meant, no HTML,
// heading, link or image of the image's making, and every line that
// carries a hostile string is a table row or a list item.
func checkHostileMarkdown(t *testing.T, md string) {
	t.Helper()
	checkNoControls(t, "markdown", md)
	if !strings.Contains(md, "EVIL") {
		t.Fatalf("the hostile strings are not in the report at all:\n%s", md)
	}
	doc, src, _ := reporttest.GFM(t, md)
	tables, rows := 0, 0
	err := gast.Walk(doc, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
		if !entering {
			return gast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *east.Table:
			tables++
		case *east.TableRow, *east.TableHeader:
			rows++
		case *gast.Heading:
			if h := linesText(n, src); !ownHeadings.MatchString(h) {
				t.Errorf("heading %q is not one the report writes", h)
			}
		case *gast.Link, *gast.Image, *gast.AutoLink:
			t.Errorf("the image made a %s in %q", n.Kind(), linesText(n.Parent(), src))
		case *gast.HTMLBlock:
			for _, l := range strings.SplitAfter(linesText(n, src), "\n") {
				if l != "" && !ownHTML.MatchString(l) {
					t.Errorf("raw HTML block line %q is not the report's own", l)
				}
			}
		case *gast.RawHTML:
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				if h := string(seg.Value(src)); !ownHTML.MatchString(h) {
					t.Errorf("inline raw HTML %q is not the report's own", h)
				}
			}
		}
		return gast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(reporttest.DelimiterRow.FindAllString(md, -1)); tables != want {
		t.Errorf("GFM parsed %d tables, the report writes %d", tables, want)
	}
	mdRows := 0
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "|") && !reporttest.DelimiterRow.MatchString(l) {
			mdRows++
			if !strings.HasSuffix(l, "|") {
				t.Errorf("table row does not end its last cell: %q", l)
			}
		}
		if strings.Contains(l, "EVIL") && !strings.HasPrefix(l, "|") && !strings.HasPrefix(l, "- ") {
			t.Errorf("a hostile string left the tables: %q", l)
		}
	}
	if rows != mdRows {
		t.Errorf("GFM parsed %d table rows, the report writes %d", rows, mdRows)
	}
}

// linesText is the source text of a block node (or of the block an
// inline node sits in).
func linesText(n gast.Node, src []byte) string {
	for n != nil && n.Type() != gast.TypeBlock {
		n = n.Parent()
	}
	if n == nil {
		return ""
	}
	var b strings.Builder
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		b.Write(seg.Value(src))
	}
	return b.String()
}

// checkNoControls asserts that s carries no character a terminal or a
// renderer would obey: no control character but the newline, no bidi
// override or other invisible formatting.
func checkNoControls(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s is not UTF-8", what)
	}
	for i, r := range s {
		if (unicode.IsControl(r) && r != '\n') || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			t.Errorf("%s carries %U at byte %d: …%q…", what, r, i, s[max(0, i-30):min(len(s), i+10)])
			return
		}
	}
}

// TestHostileMetadataIsShownNotObeyed: every string an image carries
// (user, env, labels, entrypoint, cmd, history, paths, package database)
// reaches the Markdown and the table reports as text, whatever it holds.
func TestHostileMetadataIsShownNotObeyed(t *testing.T) {
	evil := "docker-archive:" + hostileImage(t)
	other := "oci:" + fixtures + "oci-layout-gzip"
	for _, args := range [][]string{
		{"analyze", evil, "-o", "markdown"},
		{"analyze", evil, "-o", "table"},
		{"compare", evil, other, "-o", "markdown", "--all-files"},
		{"compare", other, evil, "-o", "markdown", "--all-files"},
		{"compare", evil, other, "-o", "table", "--all-files"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := imgdiff(t, nil, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.errOut)
			}
			checkNoControls(t, "stderr", r.errOut)
			if strings.Contains(strings.Join(args, " "), "-o markdown") {
				checkHostileMarkdown(t, r.out)
			} else {
				checkNoControls(t, "table", r.out)
				if !strings.Contains(r.out, "EVIL") {
					t.Errorf("the hostile strings are not in the report:\n%s", r.out)
				}
			}
		})
	}
}

// TestHostileErrorsAreOneVisibleLine: errors that quote an image's repo
// tags, a layer path of an archive or a config file's keys print as one
// line with their control characters made visible.
func TestHostileErrorsAreOneVisibleLine(t *testing.T) {
	dir := t.TempDir()
	const evil = "\x1b]0;pwned\a\x1b[2J\nimgdiff: budget passed\u202e"
	tags := filepath.Join(dir, "tags.tar")
	writeTar(t, tags, map[string]string{"manifest.json": `[{"Config":"c.json","RepoTags":["` + jsonEscape(evil) + `:1"],"Layers":[]},{"Config":"c.json","RepoTags":["b:1"],"Layers":[]}]`})
	layer := filepath.Join(dir, "layer.tar")
	writeTar(t, layer, map[string]string{
		"manifest.json": `[{"Config":"c.json","RepoTags":["a:1"],"Layers":["` + jsonEscape(evil) + `/layer.tar"]}]`,
		"c.json":        `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("0", 64) + `"]},"config":{}}`,
	})
	cfg := filepath.Join(dir, "imgdiff.yaml")
	if err := os.WriteFile(cfg, []byte("budgets:\n  - max-size: 1GB\n    \""+jsonEscape(evil)+"\": 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"analyze", "docker-archive:" + tags},
		{"analyze", "docker-archive:" + layer},
		{"analyze", "--config", cfg, "oci:" + fixtures + "oci-layout-gzip"},
	} {
		r := imgdiff(t, nil, args...)
		lines := strings.Split(strings.TrimSuffix(r.errOut, "\n"), "\n")
		if r.code != 2 || r.out != "" || len(lines) > 2 || !strings.HasPrefix(lines[0], "imgdiff: ") || !strings.Contains(lines[0], "pwned") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line showing the escapes", args, r.code, r.errOut)
		}
		checkNoControls(t, "stderr", r.errOut)
	}
}

// jsonEscape escapes s for a JSON (and a YAML double-quoted) string.
func jsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r < 0x20 || r > 0x7e:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
