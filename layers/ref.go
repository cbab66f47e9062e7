package layers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Transports are the reference prefixes imgdiff understands, in skopeo's
// vocabulary.
const (
	DockerArchive = "docker-archive"
	OCILayout     = "oci"
	OCIArchive    = "oci-archive"
	Registry      = "docker"
	DockerDaemon  = "docker-daemon"
	// Snapshot is imgdiff's own: a snapshot file `imgdiff analyze
	// --snapshot` wrote (package snapshot), not one of skopeo's.
	Snapshot = "snapshot"
)

// Reference is a parsed image reference.
type Reference struct {
	// Transport is one of the constants above, or "" for a bare reference
	// (an existing path or a name:tag) that Open resolves.
	Transport string
	// Path is the archive file or layout directory (file transports).
	Path string
	// Name is the image name: the registry or daemon reference, or the tag
	// or name:tag selecting an image inside an archive or layout ("" when
	// the archive holds one image).
	Name string
	// Raw is the reference as given.
	Raw string
}

func (r Reference) String() string { return r.Raw }

// ParseReference splits "transport:rest" into its parts. It checks syntax
// only; Open finds out whether the image exists.
func ParseReference(s string) (Reference, error) {
	ref := Reference{Raw: s}
	if s == "" {
		return ref, fmt.Errorf("empty image reference")
	}
	if rest, ok := strings.CutPrefix(s, "docker://"); ok {
		if rest == "" {
			return ref, fmt.Errorf("%s: docker:// needs an image name", s)
		}
		ref.Transport, ref.Name = Registry, rest
		return ref, nil
	}
	transport, rest, ok := strings.Cut(s, ":")
	switch {
	case ok && transport == DockerDaemon:
		if rest == "" {
			return ref, fmt.Errorf("%s: docker-daemon needs an image name", s)
		}
		ref.Transport, ref.Name = DockerDaemon, rest
		return ref, nil
	case ok && transport == Snapshot:
		if rest == "" {
			return ref, fmt.Errorf("%s: snapshot: needs a path", s)
		}
		ref.Transport, ref.Path = Snapshot, rest
		return ref, nil
	case ok && (transport == DockerArchive || transport == OCILayout || transport == OCIArchive):
		if rest == "" {
			return ref, fmt.Errorf("%s: %s needs a path", s, transport)
		}
		ref.Transport = transport
		ref.Path, ref.Name = splitPathName(rest)
		return ref, nil
	case ok && slices.Contains(unsupportedTransports, transport):
		return ref, fmt.Errorf("%s: skopeo's %s: transport is not supported (want %s)", s, transport, supportedList)
	case ok && isSchemeLike(transport) && !looksLikeHostPort(s) && (strings.Contains(rest, "/") || !isImageName(s)):
		// Neither a transport imgdiff knows nor an image name (a tag
		// or digest never holds a slash; host:port/ is handled above):
		// say which prefix was not understood.
		return ref, fmt.Errorf("%s: unknown transport %q (want %s)", s, transport, supportedList)
	}
	return ref, nil // bare: an existing path or a NAME[:TAG][@DIGEST]; Open resolves it
}

// supportedList names the transports imgdiff reads, for errors.
const supportedList = "docker-archive:, oci:, oci-archive:, docker://, docker-daemon:, snapshot:"

// unsupportedTransports are skopeo's other transport names: a reference
// that starts with one of them is that transport, never an image name.
// "docker:" without "//" is not among them: "docker:24-dind" is an image.
var unsupportedTransports = []string{"containers-storage", "dir", "ostree", "sif", "tarball"}

// isSchemeLike reports whether s could be a transport or URL scheme name.
func isSchemeLike(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') {
			return false
		}
	}
	return true
}

// isImageName reports whether s is a valid NAME[:TAG][@DIGEST] (which a
// hyphenated, dotted or underscored name before a tag colon is).
func isImageName(s string) bool {
	_, err := name.ParseReference(s)
	return err == nil
}

// splitPathName splits "PATH[:NAME]" at the first colon; Open retries
// the whole string as a path when that exists (a path with colons).
func splitPathName(rest string) (path, name string) {
	path, name, _ = strings.Cut(rest, ":")
	return path, name
}

// looksLikeHostPort reports whether s starts "host:port/" (localhost:5000/x).
func looksLikeHostPort(s string) bool {
	_, rest, _ := strings.Cut(s, ":")
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	return i > 0 && i < len(rest) && rest[i] == '/'
}
