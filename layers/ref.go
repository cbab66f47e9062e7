package layers

import (
	"fmt"
	"strings"
)

// Transports are the reference prefixes imgdiff understands, in skopeo's
// vocabulary.
const (
	DockerArchive = "docker-archive"
	OCILayout     = "oci"
	OCIArchive    = "oci-archive"
	Registry      = "docker"
	DockerDaemon  = "docker-daemon"
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
	case ok && (transport == DockerArchive || transport == OCILayout || transport == OCIArchive):
		if rest == "" {
			return ref, fmt.Errorf("%s: %s needs a path", s, transport)
		}
		ref.Transport = transport
		ref.Path, ref.Name = splitPathName(rest)
		return ref, nil
	case ok && (isTransportLike(transport) || strings.Contains(rest, "/")) && !looksLikeHostPort(s):
		// A name:tag never has a slash after the colon; host:port/repo
		// does, and is a name.
		return ref, fmt.Errorf("%s: unknown transport %q (want docker-archive:, oci:, oci-archive:, docker://, docker-daemon:)", s, transport)
	}
	return ref, nil // bare: Open resolves it
}

// splitPathName splits "PATH[:NAME]" at the first colon; Open retries
// the whole string as a path when that exists (a path with colons).
func splitPathName(rest string) (path, name string) {
	path, name, _ = strings.Cut(rest, ":")
	return path, name
}

// isTransportLike reports whether s could be a transport name, as opposed
// to a registry host or image name before a tag colon.
func isTransportLike(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return strings.Contains(s, "-") || s == "oci" || s == "docker" || s == "containers" || s == "dir" || s == "ostree" || s == "sif"
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
