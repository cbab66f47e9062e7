package source

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imgdiff/imgdiff/layers/index"
)

// ParsePlatform parses "os/arch[/variant]".
func ParsePlatform(s string) (*v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return nil, fmt.Errorf("platform %q: want os/arch[/variant], e.g. linux/amd64 or linux/arm/v7", s)
	}
	p := &v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// HostPlatform is the platform of this machine, the default choice in a
// multi-arch index.
func HostPlatform() v1.Platform {
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	switch runtime.GOARCH {
	case "arm64":
		p.Variant = "v8"
	case "arm":
		p.Variant = "v7"
	}
	return p
}

// FormatPlatform prints a platform as os/arch[/variant].
func FormatPlatform(p v1.Platform) string {
	return index.Platform(p.OS, p.Architecture, p.Variant)
}

// PlatformMatches reports whether an image of platform have satisfies the
// wanted one. An arm64 image without a variant satisfies linux/arm64/v8.
func PlatformMatches(have, want v1.Platform) bool {
	if have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	if want.Variant == "" || have.Variant == want.Variant {
		return true
	}
	return have.Variant == "" && want.Architecture == "arm64" && want.Variant == "v8"
}

// PickPlatform chooses the manifest for the wanted platform (default: the
// host's), skipping attestation manifests.
func PickPlatform(ds []v1.Descriptor, want *v1.Platform) (v1.Descriptor, error) {
	w := HostPlatform()
	if want != nil {
		w = *want
	}
	var have []string
	for _, d := range ds {
		if d.Platform == nil || d.Platform.OS == "unknown" {
			continue
		}
		if PlatformMatches(*d.Platform, w) {
			return d, nil
		}
		have = append(have, FormatPlatform(*d.Platform))
	}
	slices.Sort(have)
	return v1.Descriptor{}, fmt.Errorf("no %s image in the index (it has %s); choose one with --platform", FormatPlatform(w), ListOrNone(have))
}

// ConfigPlatform is the image's platform, from its config (authoritative)
// or the descriptor that pointed at it.
func ConfigPlatform(cfg *v1.ConfigFile, d *v1.Platform) v1.Platform {
	p := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	if p.OS == "" && d != nil {
		return *d
	}
	return p
}

// CheckPlatform fails when the user asked for a platform the image is not.
func CheckPlatform(have v1.Platform, want *v1.Platform) error {
	if want == nil || PlatformMatches(have, *want) {
		return nil
	}
	return fmt.Errorf("image is %s, not the requested %s", FormatPlatform(have), FormatPlatform(*want))
}
