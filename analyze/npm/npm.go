// Package npm owns the node package managers' databases of an
// application: npm's lockfiles (package-lock.json, npm-shrinkwrap.json,
// the hidden node_modules/.package-lock.json) and package.json
// (ReadPackages), and pnpm's lockfiles with its store (ReadPnpmPackages):
// which node_modules directories each package owns and whether it is a
// dev dependency. It is pure: bytes in, values out.
package npm

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// npm's lockfiles, relative to an application directory.
const (
	HiddenLock  = "node_modules/.package-lock.json"
	Lock        = "package-lock.json"
	Shrinkwrap  = "npm-shrinkwrap.json"
	PackageJSON = "package.json"
)

// npmLockfile is the part of package-lock.json (v1, v2, v3) and of the
// hidden node_modules/.package-lock.json that says what is installed where
// and whether it is dev-only.
type npmLockfile struct {
	LockfileVersion int `json:"lockfileVersion"`
	// Packages (v2, v3) is keyed by install path: "node_modules/a",
	// "node_modules/a/node_modules/b"; "" is the project itself.
	Packages map[string]npmLockPackage `json:"packages"`
	// Dependencies (v1) nests: a dependency's own dependencies are
	// installed under its node_modules.
	Dependencies map[string]npmV1Dependency `json:"dependencies"`
}

type npmLockPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Dev: only devDependencies need it. DevOptional: a dev dependency
	// that is also an optional dependency of a production one, so
	// `npm ci --omit=dev` keeps it: it is not flagged.
	Dev         bool `json:"dev"`
	DevOptional bool `json:"devOptional"`
	Link        bool `json:"link"`
}

type npmV1Dependency struct {
	Version      string                     `json:"version"`
	Dev          bool                       `json:"dev"`
	Dependencies map[string]npmV1Dependency `json:"dependencies"`
}

// npmApp is an application directory and the npm files captured in it.
type npmApp struct {
	hidden, lock, shrinkwrap, manifest []byte
}

// ReadPackages finds application directories by their npm files and reads, for
// each, the best evidence it has: the hidden lockfile (what `npm install`
// actually put in node_modules), else npm-shrinkwrap.json or
// package-lock.json, else package.json's direct devDependencies (all a
// yarn project tells). Packages own their directory's tree; Classify
// drops those absent from the image.
func ReadPackages(contents map[string][]byte) []*model.FoundPackage {
	apps := map[string]*npmApp{}
	app := func(dir string) *npmApp {
		if apps[dir] == nil {
			apps[dir] = &npmApp{}
		}
		return apps[dir]
	}
	for k, body := range contents {
		switch {
		case strings.HasSuffix(k, HiddenLock) && IsAppFile(k, HiddenLock):
			app(appDir(k, HiddenLock)).hidden = body
		case strings.HasSuffix(k, Shrinkwrap) && IsAppFile(k, Shrinkwrap):
			app(appDir(k, Shrinkwrap)).shrinkwrap = body
		case strings.HasSuffix(k, Lock) && IsAppFile(k, Lock):
			app(appDir(k, Lock)).lock = body
		case strings.HasSuffix(k, PackageJSON) && IsAppFile(k, PackageJSON):
			app(appDir(k, PackageJSON)).manifest = body
		}
	}
	dirs := slices.Sorted(maps.Keys(apps))

	var out []*model.FoundPackage
	for _, d := range dirs {
		a := apps[d]
		switch {
		case a.hidden != nil:
			out = append(out, npmLockPackages(d, a.hidden)...)
		case a.shrinkwrap != nil:
			out = append(out, npmLockPackages(d, a.shrinkwrap)...)
		case a.lock != nil:
			out = append(out, npmLockPackages(d, a.lock)...)
		case a.manifest != nil:
			out = append(out, npmManifestPackages(d, a.manifest)...)
		}
	}
	return out
}

// IsAppFile reports whether path p names file (a path relative to an app
// directory) at the application level, not inside node_modules: the
// lockfiles and package.json files of installed packages are not apps.
func IsAppFile(p, file string) bool {
	if len(p) > len(file) && p[len(p)-len(file)-1] != '/' {
		return false // "my-package.json"
	}
	rest := strings.TrimSuffix(p, file)
	return !strings.Contains(rest, "node_modules/")
}

func appDir(p, file string) string {
	d := strings.TrimSuffix(strings.TrimSuffix(p, file), "/")
	if d == "" {
		return "."
	}
	return d
}

// npmLockPackages lists the packages of one lockfile, installed under app.
func npmLockPackages(app string, body []byte) []*model.FoundPackage {
	var lf npmLockfile
	if err := json.Unmarshal(body, &lf); err != nil {
		return nil // a corrupt lockfile is no evidence; path rules still apply
	}
	var out []*model.FoundPackage
	add := func(key, name, version string, dev bool) {
		loc, ok := ownedDir(index.Join(app, "node_modules"), index.Join(app, key))
		if !ok || name == "" {
			return
		}
		p := &model.FoundPackage{
			Package: model.Package{Name: name, Version: version, Manager: "npm", Dev: dev, Step: -1, Location: loc},
			Source:  "npm lockfile",
		}
		p.Dirs = []string{p.Location}
		out = append(out, p)
	}
	if len(lf.Packages) > 0 {
		keys := make([]string, 0, len(lf.Packages))
		for k := range lf.Packages {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			pkg := lf.Packages[k]
			// Workspace members and links are the project's own code.
			if pkg.Link || !strings.HasPrefix(k, "node_modules/") {
				continue
			}
			name := pkg.Name
			if name == "" {
				name = npmNameFromKey(k)
			}
			add(k, name, pkg.Version, pkg.Dev)
		}
		return out
	}
	var walk func(prefix string, deps map[string]npmV1Dependency)
	walk = func(prefix string, deps map[string]npmV1Dependency) {
		names := make([]string, 0, len(deps))
		for n := range deps {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			d := deps[n]
			key := prefix + "node_modules/" + n
			add(key, n, d.Version, d.Dev)
			walk(key+"/", d.Dependencies)
		}
	}
	walk("", lf.Dependencies)
	return out
}

// ownedDir checks the directory loc a lockfile or manifest entry names:
// a canonical path strictly inside dir (node_modules, pnpm's store). A
// hostile name ("", "..", "a/../../etc", "x/") is no evidence: the
// package is left out rather than made to own files elsewhere.
func ownedDir(dir, loc string) (string, bool) {
	return loc, loc != dir && index.Canonical(loc) == loc && index.Under(loc, dir)
}

// npmNameFromKey is the package name of an install path:
// "node_modules/a/node_modules/@s/b" is "@s/b".
func npmNameFromKey(k string) string {
	i := strings.LastIndex(k, "node_modules/")
	return k[i+len("node_modules/"):]
}

// npmManifestPackages is the fallback without a lockfile: package.json's
// direct dependencies, with devDependencies marked dev unless a production
// dependency names them too. Their transitive dependencies stay unknown.
func npmManifestPackages(app string, body []byte) []*model.FoundPackage {
	var m struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(body, &m); err != nil || len(m.DevDependencies) == 0 {
		return nil
	}
	var out []*model.FoundPackage
	add := func(name, version string, dev bool) {
		loc, ok := ownedDir(index.Join(app, "node_modules"), index.Join(app, "node_modules/"+name))
		if !ok {
			return
		}
		out = append(out, &model.FoundPackage{
			Package: model.Package{Name: name, Version: version, Manager: "npm", Dev: dev, Step: -1, Location: loc},
			Source:  "package.json", Dirs: []string{loc},
		})
	}
	for _, n := range slices.Sorted(maps.Keys(m.Dependencies)) {
		add(n, m.Dependencies[n], false)
	}
	for _, n := range slices.Sorted(maps.Keys(m.DevDependencies)) {
		if _, prod := m.Dependencies[n]; !prod {
			add(n, m.DevDependencies[n], true)
		}
	}
	return out
}
