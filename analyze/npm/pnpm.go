package npm

import (
	"maps"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/imgdiff/imgdiff/analyze/model"
	"github.com/imgdiff/imgdiff/layers/index"
)

// pnpm's lockfiles, relative to an application directory. The hidden one
// is what was actually installed.
const (
	PnpmHiddenLock = "node_modules/.pnpm/lock.yaml"
	PnpmLock       = "pnpm-lock.yaml"
	pnpmStore      = "node_modules/.pnpm"
)

// pnpmLockfile covers lockfile versions 5.x and 6.0 (a dev flag per
// package) and 9.0 (no flag: dev-only is what only the importers'
// devDependencies reach through snapshots).
type pnpmLockfile struct {
	Importers map[string]pnpmDeps `yaml:"importers"`
	// Single-project lockfiles (5.x, 6.0) list the roots at the top. (Not
	// an inline pnpmDeps: the YAML decoder cannot set an unexported
	// embedded field.)
	Dependencies         map[string]any         `yaml:"dependencies"`
	DevDependencies      map[string]any         `yaml:"devDependencies"`
	OptionalDependencies map[string]any         `yaml:"optionalDependencies"`
	Packages             map[string]pnpmPackage `yaml:"packages"`
	Snapshots            map[string]pnpmPackage `yaml:"snapshots"`
}

type pnpmDeps struct {
	Dependencies         map[string]any `yaml:"dependencies"`
	DevDependencies      map[string]any `yaml:"devDependencies"`
	OptionalDependencies map[string]any `yaml:"optionalDependencies"`
}

type pnpmPackage struct {
	Dev                  *bool             `yaml:"dev"`
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

// ReadPnpmPackages reads pnpm lockfiles and maps their packages to the virtual
// store, node_modules/.pnpm/<name>@<version>/node_modules/<name>.
func ReadPnpmPackages(contents map[string][]byte, fs *model.FS) []*model.FoundPackage {
	if fs == nil {
		return nil
	}
	locks := map[string][]byte{} // app dir -> lockfile, the hidden one preferred
	for _, k := range slices.Sorted(maps.Keys(contents)) {
		switch {
		case strings.HasSuffix(k, PnpmHiddenLock) && IsAppFile(k, PnpmHiddenLock):
			locks[appDir(k, PnpmHiddenLock)] = contents[k]
		case strings.HasSuffix(k, PnpmLock) && IsAppFile(k, PnpmLock):
			d := appDir(k, PnpmLock)
			if _, ok := locks[d]; !ok {
				locks[d] = contents[k]
			}
		}
	}
	dirs := slices.Sorted(maps.Keys(locks))
	var out []*model.FoundPackage
	for _, d := range dirs {
		var lf pnpmLockfile
		if err := yaml.Unmarshal(locks[d], &lf); err != nil {
			continue // no evidence from a corrupt lockfile
		}
		dev := lf.devPackages()
		store := index.Join(d, pnpmStore)
		for _, sd := range childDirs(fs, store) {
			name, version, ok := pnpmDirPackage(sd)
			if !ok {
				continue
			}
			loc, ok := ownedDir(store, store+"/"+sd+"/node_modules/"+name)
			if !ok {
				continue
			}
			out = append(out, &model.FoundPackage{
				Package: model.Package{Name: name, Version: version, Manager: "pnpm", Dev: dev[name+"@"+version], Step: -1, Location: loc},
				Source:  "pnpm lockfile", Dirs: []string{loc},
			})
		}
	}
	return out
}

// devPackages returns the "name@version"s that only dev dependencies need.
func (lf *pnpmLockfile) devPackages() map[string]bool {
	dev := map[string]bool{}
	flagged := false
	for k, p := range lf.Packages {
		if p.Dev != nil {
			flagged = true
			if *p.Dev {
				dev[pnpmKey(k)] = true
			}
		}
	}
	if flagged || len(lf.Snapshots) == 0 {
		return dev
	}
	// 9.0: walk the snapshot graph from each kind of root.
	importers := lf.Importers
	if len(importers) == 0 {
		importers = map[string]pnpmDeps{".": {Dependencies: lf.Dependencies, DevDependencies: lf.DevDependencies, OptionalDependencies: lf.OptionalDependencies}}
	}
	var prodRoots, devRoots []string
	for _, imp := range importers {
		prodRoots = append(prodRoots, pnpmRoots(imp.Dependencies)...)
		prodRoots = append(prodRoots, pnpmRoots(imp.OptionalDependencies)...)
		devRoots = append(devRoots, pnpmRoots(imp.DevDependencies)...)
	}
	prod := lf.reach(prodRoots)
	for k := range lf.reach(devRoots) {
		if !prod[k] {
			dev[k] = true
		}
	}
	return dev
}

// reach returns the packages (peer suffixes stripped) reachable from roots.
func (lf *pnpmLockfile) reach(roots []string) map[string]bool {
	seen := map[string]bool{}
	out := map[string]bool{}
	stack := roots
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[k] {
			continue
		}
		seen[k] = true
		out[pnpmKey(k)] = true
		s := lf.Snapshots[k]
		for n, v := range s.Dependencies {
			stack = append(stack, n+"@"+v)
		}
		for n, v := range s.OptionalDependencies {
			stack = append(stack, n+"@"+v)
		}
	}
	return out
}

// pnpmRoots turns an importer's dependency map into snapshot keys. Values
// are {specifier, version} (6.0, 9.0) or a bare version (5.x); workspace
// links ("link:../x") are the project's own code.
func pnpmRoots(deps map[string]any) []string {
	var out []string
	for n, v := range deps {
		var version string
		switch v := v.(type) {
		case string:
			version = v
		case map[string]any:
			version, _ = v["version"].(string)
		}
		if version != "" && !strings.HasPrefix(version, "link:") {
			out = append(out, n+"@"+version)
		}
	}
	return out
}

// pnpmKey normalizes a package key of any lockfile version to
// "name@version": "/@types/ms@0.7.34" (6.0), "/@types/ms/0.7.34" (5.x),
// "react-dom@18.2.0(react@18.2.0)" (9.0, peers in parentheses),
// "/react-dom/18.2.0_react@18.2.0" (5.x peers).
func pnpmKey(k string) string {
	k = strings.TrimPrefix(k, "/")
	if i := strings.IndexByte(k, '('); i >= 0 {
		k = k[:i]
	}
	start := 0
	if strings.HasPrefix(k, "@") {
		start = 1
	}
	if at := strings.IndexByte(k[start:], '@'); at >= 0 {
		at += start
		name, version := k[:at], k[at+1:]
		if i := strings.IndexByte(version, '_'); i >= 0 {
			version = version[:i]
		}
		return name + "@" + version
	}
	// 5.x: "name/version" or "@scope/name/version".
	if i := strings.LastIndexByte(k, '/'); i > start {
		version := k[i+1:]
		if j := strings.IndexByte(version, '_'); j >= 0 {
			version = version[:j]
		}
		return k[:i] + "@" + version
	}
	return k
}

// pnpmDirPackage parses a virtual-store directory name, "@scope+name@1.0.0"
// or "name@1.0.0_peer@2.0.0", into the package name and version.
func pnpmDirPackage(dir string) (name, version string, ok bool) {
	start := 0
	if strings.HasPrefix(dir, "@") {
		start = 1
	}
	at := strings.IndexByte(dir[start:], '@')
	if at < 0 {
		return "", "", false
	}
	at += start
	name = strings.Replace(dir[:at], "+", "/", 1)
	version = dir[at+1:]
	if i := strings.IndexAny(version, "_("); i >= 0 {
		version = version[:i]
	}
	return name, version, name != "" && version != ""
}

// childDirs lists the names of the directories directly inside dir.
func childDirs(fs *model.FS, dir string) []string {
	i, ok := fs.IndexOf(dir)
	if !ok {
		return nil
	}
	var out []string
	for j, end := i+1, fs.TreeEnd(i); j < end; j++ {
		f := &fs.Files[j]
		if f.Kind == index.Dir && index.Parent(f.Path) == dir {
			out = append(out, index.Base(f.Path))
		}
	}
	return out
}
