package rules

import (
	"testing"

	"github.com/imgdiff/imgdiff/analyze/model"
)

// TestNeverFlagged pins the runtime packages no default rule may flag.
func TestNeverFlagged(t *testing.T) {
	r := Default()
	for _, p := range []model.FoundPackage{
		{Package: model.Package{Name: "libc6", Manager: "dpkg", Section: "libs"}},
		{Package: model.Package{Name: "libstdc++6", Manager: "dpkg", Section: "libs"}},
		{Package: model.Package{Name: "libgcc-s1", Manager: "dpkg", Section: "libs"}},
		{Package: model.Package{Name: "gcc-12-base", Manager: "dpkg", Section: "libs"}},
		{Package: model.Package{Name: "nodejs", Manager: "dpkg", Section: "javascript"}},
		{Package: model.Package{Name: "openjdk-17-jre-headless", Manager: "dpkg", Section: "java"}},
		{Package: model.Package{Name: "libpython3.11-stdlib", Manager: "dpkg", Section: "python"}},
		{Package: model.Package{Name: "python3.11-minimal", Manager: "dpkg", Section: "python"}},
		{Package: model.Package{Name: "ca-certificates", Manager: "dpkg", Section: "misc"}},
		{Package: model.Package{Name: "musl", Manager: "apk"}},
		{Package: model.Package{Name: "express", Manager: "npm"}},
	} {
		r.ClassifyPackage(&p)
		if p.Category != "" {
			t.Errorf("%s (%s) flagged %s by %s", p.Name, p.Manager, p.Category, p.Rule)
		}
	}
	for _, p := range []model.FoundPackage{
		{Package: model.Package{Name: "openjdk-17-jdk-headless", Manager: "dpkg", Section: "java"}},
		{Package: model.Package{Name: "python3.11-dev", Manager: "dpkg", Section: "python"}},
		{Package: model.Package{Name: "build-base", Manager: "apk"}},
		{Package: model.Package{Name: "golang-1.19-go", Manager: "dpkg", Section: "golang"}},
	} {
		r.ClassifyPackage(&p)
		if p.Category != model.BuildTool {
			t.Errorf("%s (%s) flagged %q, want build-tool", p.Name, p.Manager, p.Category)
		}
	}
	// Test tools packaged by the distribution are dev dependencies, as
	// they are when pip installs them.
	for _, p := range []model.FoundPackage{
		{Package: model.Package{Name: "python3-pytest", Manager: "dpkg", Section: "python"}},
		{Package: model.Package{Name: "python3-pluggy", Manager: "dpkg", Section: "python"}},
		{Package: model.Package{Name: "pytest", Manager: "python"}},
	} {
		r.ClassifyPackage(&p)
		if p.Category != model.DevDependency {
			t.Errorf("%s (%s) flagged %q, want dev-dependency", p.Name, p.Manager, p.Category)
		}
	}
}
