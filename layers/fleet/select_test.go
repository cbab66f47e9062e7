package fleet

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/imgdiff/imgdiff/layers/imagetest"
	"github.com/imgdiff/imgdiff/layers/registry/registrytest"
)

type selRegistry struct {
	host    string
	digests map[string]string // repo:tag (or repo:tag/platform) -> digest
}

func newSelRegistry(t *testing.T, catalog bool) *selRegistry {
	t.Helper()
	reg := registrytest.Handler()
	host := registrytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !catalog && r.URL.Path == "/v2/_catalog" {
			http.Error(w, `{"errors":[{"code":"UNSUPPORTED","message":"catalog is disabled"}]}`, http.StatusNotFound)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	return &selRegistry{host: host, digests: map[string]string{}}
}

func (sr *selRegistry) image(t *testing.T, cmd string, created time.Time) v1.Image {
	t.Helper()
	img, err := imagetest.Build(imagetest.Image{
		Layers: []imagetest.Layer{{CreatedBy: "COPY app /", Entries: []imagetest.Entry{{Path: "app", Body: []byte(cmd)}}}},
		Config: v1.Config{Cmd: []string{cmd}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.CreatedAt(img, v1.Time{Time: created}); err != nil {
		t.Fatal(err)
	}
	return img
}

func (sr *selRegistry) push(t *testing.T, repoTag string, img v1.Image) {
	t.Helper()
	registrytest.Push(t, sr.host+"/"+repoTag, img)
	d, _ := img.Digest()
	sr.digests[repoTag] = d.String()
}

func (sr *selRegistry) ref(repoTag string) string {
	repo, _, _ := strings.Cut(repoTag, ":")
	return "docker://" + sr.host + "/" + repo + "@" + sr.digests[repoTag]
}

// fixture: team-a/api with tags 1 (newest), 2 (oldest), 3; team-a/web:1;
// team-b/multi:1, an index of amd64 and arm64 with an attestation; and a
// fleet store entry in fleet/store.
func fixture(t *testing.T, catalog bool) *selRegistry {
	sr := newSelRegistry(t, catalog)
	day := func(n int) time.Time { return time.Date(2026, 1, n, 0, 0, 0, 0, time.UTC) }
	sr.push(t, "team-a/api:1", sr.image(t, "api1", day(20)))
	sr.push(t, "team-a/api:2", sr.image(t, "api2", day(1)))
	sr.push(t, "team-a/api:3", sr.image(t, "api3", day(10)))
	sr.push(t, "team-a/web:1", sr.image(t, "web1", day(5)))

	amd, arm := sr.image(t, "amd", day(3)), sr.image(t, "arm", day(3))
	att := sr.image(t, "attestation", day(3))
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}}},
	)
	registrytest.Push(t, sr.host+"/team-b/multi:1", idx)
	for p, img := range map[string]v1.Image{"amd64": amd, "arm64": arm} {
		d, _ := img.Digest()
		sr.digests["team-b/multi:1/"+p] = d.String()
	}

	store, err := OpenRegistry(sr.host+"/fleet/store", RegistryOptions{Keychain: authn.NewMultiKeychain()})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put(context.Background(), key(1, "cap"), layer(1)); err != nil {
		t.Fatal(err)
	}
	return sr
}

func refs(s *Selection) []string {
	var out []string
	for _, t := range s.Targets {
		out = append(out, t.Ref)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func TestSelect(t *testing.T) {
	sr := fixture(t, true)
	opts := SelectOptions{RegistryOptions: RegistryOptions{Keychain: authn.NewMultiKeychain()}}
	arm64 := &v1.Platform{OS: "linux", Architecture: "arm64"}
	multi := func(p string) string {
		return "docker://" + sr.host + "/team-b/multi@" + sr.digests["team-b/multi:1/"+p]
	}
	cases := []struct {
		name      string
		selectors []string
		last      int
		platform  *v1.Platform
		want      []string
	}{
		{"repository glob", []string{"docker://" + sr.host + "/team-a/*"}, 0, nil,
			sorted(sr.ref("team-a/api:1"), sr.ref("team-a/api:2"), sr.ref("team-a/api:3"), sr.ref("team-a/web:1"))},
		{"tag glob", []string{"docker://" + sr.host + "/team-a/api:[12]"}, 0, nil,
			sorted(sr.ref("team-a/api:1"), sr.ref("team-a/api:2"))},
		{"last 2 by created, not by tag", []string{"docker://" + sr.host + "/team-a/api"}, 2, nil,
			sorted(sr.ref("team-a/api:1"), sr.ref("team-a/api:3"))},
		{"last per repository", []string{"docker://" + sr.host + "/team-a/*"}, 1, nil,
			sorted(sr.ref("team-a/api:1"), sr.ref("team-a/web:1"))},
		{"index: every platform, no attestation", []string{"docker://" + sr.host + "/team-b/multi:1"}, 0, nil,
			sorted(multi("amd64"), multi("arm64"))},
		{"index: the platform asked", []string{sr.host + "/team-b/multi:1"}, 0, arm64, []string{multi("arm64")}},
		{"everything but the store's artifacts", []string{"docker://" + sr.host + "/**"}, 0, nil,
			sorted(sr.ref("team-a/api:1"), sr.ref("team-a/api:2"), sr.ref("team-a/api:3"), sr.ref("team-a/web:1"), multi("amd64"), multi("arm64"))},
		{"duplicates once", []string{"docker://" + sr.host + "/team-a/web:1", "docker://" + sr.host + "/team-a/w*", sr.ref("team-a/web:1")}, 0, nil,
			[]string{sr.ref("team-a/web:1")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := opts
			o.Last, o.Platform = c.last, c.platform
			s, err := Select(context.Background(), c.selectors, o)
			if err != nil {
				t.Fatal(err)
			}
			if got := refs(s); !slices.Equal(got, c.want) {
				t.Errorf("selected\n %v\nwant\n %v", got, c.want)
			}
		})
	}
	s, err := Select(context.Background(), []string{"docker://" + sr.host + "/fleet/*"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Targets) != 0 || len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "artifact") {
		t.Errorf("store artifacts: targets %v, notes %q", s.Targets, s.Notes)
	}
	// The store's repository excluded: not even listed.
	ex := opts
	ex.Exclude = sr.host + "/fleet/store"
	if s, err := Select(context.Background(), []string{"docker://" + sr.host + "/**"}, ex); err != nil || len(s.Notes) != 0 || len(s.Targets) != 6 {
		t.Errorf("store excluded: %v, notes %q, %d targets", err, s.Notes, len(s.Targets))
	}
	if s, _ := Select(context.Background(), []string{sr.host + "/team-b/multi:1"}, opts); s.Targets[0].Platform != "linux/amd64" {
		t.Errorf("platform of an index's image: %q", s.Targets[0].Platform)
	}
}

func TestSelectCatalogDisabled(t *testing.T) {
	sr := fixture(t, false)
	opts := SelectOptions{RegistryOptions: RegistryOptions{Keychain: authn.NewMultiKeychain()}}
	_, err := Select(context.Background(), []string{"docker://" + sr.host + "/team-a/*"}, opts)
	if err == nil || !strings.Contains(err.Error(), "--from-file") || !strings.Contains(err.Error(), "does not list its repositories") {
		t.Errorf("catalog off: %v", err)
	}
	// Named repositories still work.
	s, err := Select(context.Background(), []string{"docker://" + sr.host + "/team-a/api:*"}, opts)
	if err != nil || len(s.Targets) != 3 {
		t.Errorf("named repository without a catalog: %v, %d targets", err, len(s.Targets))
	}
}

func TestSelectBadInput(t *testing.T) {
	for _, sel := range []string{"docker://host", "docker:///repo", "host/repo@sha256:abc", "host/te*m@sha256:" + strings.Repeat("a", 64), "host/[repo"} {
		if _, err := Select(context.Background(), []string{sel}, SelectOptions{}); err == nil || !strings.Contains(err.Error(), sel) {
			t.Errorf("%q: %v", sel, err)
		}
	}
	if _, err := Select(context.Background(), nil, SelectOptions{Last: -1}); err == nil {
		t.Error("--last -1 accepted")
	}
}

func TestReadSelectors(t *testing.T) {
	got, err := ReadSelectors(strings.NewReader("# images\n\nreg/a:1\n  docker://reg/b/*  \n#reg/c\n"), "list")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"reg/a:1", "docker://reg/b/*"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
