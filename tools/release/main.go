// Command release builds imgdiff's release archives (make release): one
// archive per platform, tar.gz for Linux and macOS, zip for Windows, each
// holding the binary and README.md, and a SHA256SUMS file in the format
// sha256sum -c reads. The output is reproducible: the same commit and
// version give the same bytes on any machine (go build -trimpath
// -buildvcs=false with an empty build id, CGO off; archive entries sorted,
// owned by 0:0, with one fixed mtime, gzip without a name or a time).
//
//	go run ./tools/release -version v1.2.3 -out dist
//
// The mtime is $SOURCE_DATE_EPOCH, else the last commit's time (git log),
// else the Unix epoch.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Platforms are the GOOS/GOARCH pairs a release holds.
var Platforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64"}

// versionRE is a release tag: v, three numbers, an optional pre-release.
var versionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// versionVar is the variable the version is linked into.
const versionVar = "github.com/imgdiff/imgdiff/cmd/cmdutil.BuildVersion"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "release: %v\n", err)
		if errors.Is(err, context.Canceled) {
			os.Exit(130)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string) error {
	flags := flag.NewFlagSet("release", flag.ContinueOnError)
	version := flags.String("version", "", "release `tag`, e.g. v1.2.3 (required)")
	out := flags.String("out", "dist", "output `directory` (its earlier imgdiff_* archives are removed)")
	platforms := flags.String("platforms", strings.Join(Platforms, ","), "comma-separated GOOS/GOARCH `list`")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if !versionRE.MatchString(*version) {
		return fmt.Errorf("-version %q is not a release tag like v1.2.3", *version)
	}
	mtime, err := sourceTime(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	// An earlier release's archives would sit beside SHA256SUMS unlisted.
	old, _ := filepath.Glob(filepath.Join(*out, "imgdiff_*"))
	for _, f := range append(old, filepath.Join(*out, "SHA256SUMS")) {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	tmp, err := os.MkdirTemp("", "imgdiff-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var sums []string
	for _, p := range strings.Split(*platforms, ",") {
		goos, goarch, ok := strings.Cut(p, "/")
		if !ok || goos == "" || goarch == "" {
			return fmt.Errorf("-platforms: %q is not GOOS/GOARCH", p)
		}
		bin := filepath.Join(tmp, goos+"-"+goarch, binaryName(goos))
		if err := build(ctx, *version, goos, goarch, bin); err != nil {
			return err
		}
		exe, err := os.ReadFile(bin)
		if err != nil {
			return err
		}
		name, data, err := Archive(*version, goos, goarch, mtime, []File{
			{Name: binaryName(goos), Mode: 0o755, Data: exe},
			{Name: "README.md", Mode: 0o644, Data: readme},
		})
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(*out, name), data); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		sums = append(sums, hex.EncodeToString(sum[:])+"  "+name+"\n")
		fmt.Fprintf(os.Stderr, "release: %s (%d bytes)\n", name, len(data))
	}
	slices.SortFunc(sums, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	return writeFile(filepath.Join(*out, "SHA256SUMS"), []byte(strings.Join(sums, "")))
}

func binaryName(goos string) string {
	if goos == "windows" {
		return "imgdiff.exe"
	}
	return "imgdiff"
}

// ArchiveName is the file name of a platform's archive: the name the
// Action downloads, imgdiff_1.2.3_linux_amd64.tar.gz.
func ArchiveName(version, goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return "imgdiff_" + strings.TrimPrefix(version, "v") + "_" + goos + "_" + goarch + ext
}

// build compiles cmd/imgdiff for one platform, reproducibly.
func build(ctx context.Context, version, goos, goarch, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -buildid= -X "+versionVar+"="+version,
		"-o", out, "./cmd/imgdiff")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("go build for %s/%s: %w", goos, goarch, err)
	}
	return nil
}

// sourceTime is the mtime of every archive entry.
func sourceTime(ctx context.Context) (time.Time, error) {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	out, err := exec.CommandContext(ctx, "git", "log", "-1", "--format=%ct").Output()
	if err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), nil
		}
	}
	return time.Unix(0, 0).UTC(), nil
}

// File is one archive entry.
type File struct {
	Name string
	Mode int64
	Data []byte
}

// Archive returns the name and bytes of one platform's archive of files,
// every entry with mtime and owner 0:0, in name order.
func Archive(version, goos, goarch string, mtime time.Time, files []File) (string, []byte, error) {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	name := ArchiveName(version, goos, goarch)
	var buf bytes.Buffer
	var err error
	if goos == "windows" {
		err = writeZip(&buf, mtime, files)
	} else {
		err = writeTarGz(&buf, mtime, files)
	}
	return name, buf.Bytes(), err
}

func writeTarGz(w io.Writer, mtime time.Time, files []File) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, f := range files {
		h := &tar.Header{
			Typeflag: tar.TypeReg, Name: f.Name, Mode: f.Mode, Size: int64(len(f.Data)),
			ModTime: mtime, Format: tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, mtime time.Time, files []File) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(os.FileMode(f.Mode))
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(f.Data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// writeFile writes data beside path and renames it into place.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
