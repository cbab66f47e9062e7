package layers

import (
	"fmt"
	"runtime"
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

// platformMatches reports whether an image of platform have satisfies the
// wanted one. An arm64 image without a variant satisfies linux/arm64/v8.
func platformMatches(have, want v1.Platform) bool {
	if have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	if want.Variant == "" || have.Variant == want.Variant {
		return true
	}
	return have.Variant == "" && want.Architecture == "arm64" && want.Variant == "v8"
}
