package pkgdb

import (
	"fmt"
	"io"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/apk"
	"github.com/imgdiff/imgdiff/analyze/npm"

	"github.com/imgdiff/imgdiff/analyze/dpkg"
)

// Size caps for captured database bodies, by kind: databases and lockfiles
// can be megabytes, file lists and manifests less.
const (
	captureDatabaseMax = 16 << 20
	captureListMax     = 4 << 20
	captureManifestMax = 1 << 20
)

// Wants reports, for the regular file at canonical path p (size bytes),
// whether it is a package database, lockfile or manifest Read needs
// (want) and whether p is one of the names Wants decides at all (ok): a
// caller that captures other files too (rules.WantContent) asks its own
// tables when ok is false. It runs for every regular file of every layer,
// so it sticks to string compares on the base name and a few prefixes.
func Wants(p string, size int64) (want, ok bool) {
	base, dir := p, ""
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		base, dir = p[i+1:], p[:i]
	}
	switch base {
	case "status":
		return p == dpkg.Status && size <= captureDatabaseMax, true
	case "installed":
		return p == apk.Installed && size <= captureDatabaseMax, true
	case "RECORD":
		return strings.HasSuffix(dir, ".dist-info") && size <= captureListMax, true
	case "METADATA":
		return strings.HasSuffix(dir, ".dist-info") && size <= captureManifestMax, true
	case ".package-lock.json":
		return strings.HasSuffix(p, npm.HiddenLock) && npm.IsAppFile(p, npm.HiddenLock) && size <= captureDatabaseMax, true
	case npm.Lock, npm.Shrinkwrap, npm.PnpmLock:
		return npm.IsAppFile(p, base) && size <= captureDatabaseMax, true
	case "lock.yaml":
		return strings.HasSuffix(p, npm.PnpmHiddenLock) && npm.IsAppFile(p, npm.PnpmHiddenLock) && size <= captureDatabaseMax, true
	case npm.PackageJSON:
		return npm.IsAppFile(p, base) && size <= captureManifestMax, true
	}
	if strings.HasPrefix(p, dpkg.InfoDir) {
		return strings.HasSuffix(base, ".list") && size <= captureListMax, true
	}
	if strings.HasPrefix(p, dpkg.StatusDir) {
		return size <= captureListMax, true
	}
	return false, false
}

// WriteCaptureTables writes the names and caps Wants decides by to w, for
// a cache key that changes whenever they do.
func WriteCaptureTables(w io.Writer) {
	fmt.Fprintf(w, "db %s %s %s %s %d %d %d\n", dpkg.Status, dpkg.StatusDir, dpkg.InfoDir, apk.Installed,
		captureDatabaseMax, captureListMax, captureManifestMax)
	fmt.Fprintf(w, "npm %s %s %s %s pnpm %s %s\n", npm.HiddenLock, npm.Lock, npm.Shrinkwrap, npm.PackageJSON, npm.PnpmLock, npm.PnpmHiddenLock)
}
