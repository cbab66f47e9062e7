package analyze

import "strings"

// CaptureKey names the set of files WantContent selects. Layer indexes are
// cached under it, so bump it whenever WantContent changes: an index cached
// with another set would lack bodies Classify needs.
const CaptureKey = "classify-1"

// Size caps for captured bodies, by kind: databases and lockfiles can be
// megabytes; a secret worth flagging is small (a big .pem is a CA bundle).
const (
	captureDatabaseMax = 16 << 20
	captureListMax     = 4 << 20
	captureSecretMax   = 64 << 10
	captureManifestMax = 1 << 20
)

// captureByName are base names captured wherever they are, with their caps.
var captureByName = map[string]int64{
	".npmrc":           captureSecretMax,
	".env":             captureSecretMax,
	".git-credentials": captureSecretMax,
	".netrc":           captureSecretMax,
	".pypirc":          captureSecretMax,
	"id_rsa":           captureSecretMax,
	"id_dsa":           captureSecretMax,
	"id_ecdsa":         captureSecretMax,
	"id_ed25519":       captureSecretMax,
}

// WantContent reports whether the walk should keep the body of the regular
// file at canonical path p (size bytes): the package databases, lockfiles
// and manifests Classify reads for evidence, and the small files whose
// content decides whether they hold a secret. It runs for every regular
// file of every layer, so it sticks to string compares on the base name
// and a few prefixes and suffixes.
func WantContent(p string, size int64) bool {
	base := p
	dir := ""
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		base, dir = p[i+1:], p[:i]
	}
	if max, ok := captureByName[base]; ok {
		return size <= max
	}
	switch base {
	case "status":
		return p == dpkgStatus && size <= captureDatabaseMax
	case "installed":
		return p == apkInstalled && size <= captureDatabaseMax
	case "RECORD":
		return strings.HasSuffix(dir, ".dist-info") && size <= captureListMax
	case "METADATA":
		return strings.HasSuffix(dir, ".dist-info") && size <= captureManifestMax
	case ".package-lock.json":
		return strings.HasSuffix(p, npmHiddenLock) && isAppFile(p, npmHiddenLock) && size <= captureDatabaseMax
	case npmLock, npmShrinkwrap, pnpmLock:
		return isAppFile(p, base) && size <= captureDatabaseMax
	case "lock.yaml":
		return strings.HasSuffix(p, pnpmHiddenLock) && isAppFile(p, pnpmHiddenLock) && size <= captureDatabaseMax
	case npmPackageJSON:
		return isAppFile(p, base) && size <= captureManifestMax
	case "credentials":
		return strings.HasSuffix(dir, ".aws") && size <= captureSecretMax
	case "config.json":
		return strings.HasSuffix(dir, ".docker") && size <= captureSecretMax
	}
	if strings.HasPrefix(p, dpkgInfoDir) {
		return strings.HasSuffix(base, ".list") && size <= captureListMax
	}
	if strings.HasPrefix(p, dpkgStatusDir) {
		return size <= captureListMax
	}
	if strings.HasPrefix(base, ".env.") || strings.HasSuffix(base, ".pem") || strings.HasSuffix(base, ".key") {
		return size <= captureSecretMax
	}
	return false
}
