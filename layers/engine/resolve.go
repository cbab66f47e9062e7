package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/cli/cli/config"
	dcontext "github.com/docker/cli/cli/context"
	"github.com/docker/cli/cli/context/store"
	"github.com/docker/go-connections/tlsconfig"
)

// DefaultHost is the docker CLI's default engine.
const DefaultHost = "unix:///var/run/docker.sock"

// Endpoint is one engine to try and why: the docker CLI's choice or a
// socket tried after it.
type Endpoint struct {
	// Host is the engine's address: unix://, tcp:// or ssh://.
	Host string
	// Via says how it was chosen, for reports and errors: `context
	// "colima"`, `DOCKER_HOST`, `the default socket`, ….
	Via string
	// TLS is the client configuration for a tcp:// engine (nil: plain
	// HTTP).
	TLS *tls.Config
}

// Env is what decides the engine, as the docker CLI reads it.
type Env struct {
	// Context is the --context flag.
	Context string
	// Host is an explicit engine address (the --host flag of the docker
	// CLI); it wins over everything but Context.
	Host string
	// Getenv reads the environment (nil: no variables set).
	Getenv func(string) string
}

func (e Env) get(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

// ConfigDir is the docker CLI's configuration directory: $DOCKER_CONFIG,
// else ~/.docker ("" when neither is known).
func (e Env) ConfigDir() string {
	if d := e.get("DOCKER_CONFIG"); d != "" {
		return d
	}
	if h := e.get("HOME"); h != "" {
		return filepath.Join(h, ".docker")
	}
	return ""
}

// Resolve returns the engines to try, in order, as the docker CLI
// chooses: the --context flag, then an explicit host (DOCKER_HOST), then
// $DOCKER_CONTEXT, then config.json's currentContext, then the default
// socket. Only when the choice is the default socket (nothing configured)
// do the sockets of rootless Docker and Podman follow it: a configured
// engine that does not answer is an error naming it, never a silent
// switch to another. A context that does not exist or whose TLS material
// is unusable is an error naming the context.
func Resolve(env Env) ([]Endpoint, error) {
	switch {
	case env.Context != "" && env.Host != "":
		return nil, fmt.Errorf("--context %q and DOCKER_HOST=%s both name an engine: unset one", env.Context, env.Host)
	case env.Context != "":
		return contextEndpoint(env, env.Context, fmt.Sprintf("--context %q", env.Context))
	case env.Host != "":
		ep, err := hostEndpoint(env, env.Host, "DOCKER_HOST")
		return []Endpoint{ep}, err
	case env.get("DOCKER_HOST") != "":
		ep, err := hostEndpoint(env, env.get("DOCKER_HOST"), "DOCKER_HOST")
		return []Endpoint{ep}, err
	case env.get("DOCKER_CONTEXT") != "":
		name := env.get("DOCKER_CONTEXT")
		return contextEndpoint(env, name, fmt.Sprintf("context %q (DOCKER_CONTEXT)", name))
	}
	current, err := currentContext(env.ConfigDir())
	if err != nil {
		return nil, err
	}
	if current != "" {
		return contextEndpoint(env, current, fmt.Sprintf("context %q", current))
	}
	return defaultEndpoints(env), nil
}

// defaultEndpoints are the docker CLI's default socket, then rootless
// Docker's, then Podman's (CONTAINER_HOST, rootless, rootful).
func defaultEndpoints(env Env) []Endpoint {
	eps := []Endpoint{{Host: DefaultHost, Via: "the default socket"}}
	rt := env.get("XDG_RUNTIME_DIR")
	if rt != "" {
		eps = append(eps, Endpoint{Host: "unix://" + filepath.Join(rt, "docker.sock"), Via: "rootless Docker's socket"})
	}
	if h := env.get("CONTAINER_HOST"); h != "" && (strings.HasPrefix(h, "unix://") || strings.HasPrefix(h, "tcp://")) {
		eps = append(eps, Endpoint{Host: h, Via: "CONTAINER_HOST"})
	}
	if rt != "" {
		eps = append(eps, Endpoint{Host: "unix://" + filepath.Join(rt, "podman", "podman.sock"), Via: "rootless Podman's socket"})
	}
	return append(eps, Endpoint{Host: "unix:///run/podman/podman.sock", Via: "Podman's socket"})
}

// currentContext reads currentContext from config.json in dir with the
// docker CLI's config loader ("" when unset, "default", or there is no
// config.json).
func currentContext(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	cf, err := config.Load(dir)
	if err != nil {
		return "", fmt.Errorf("docker config: %w", err)
	}
	if cf.CurrentContext == "default" {
		return "", nil
	}
	return cf.CurrentContext, nil
}

// contextEndpoint reads context name from the docker CLI's context store
// ($DOCKER_CONFIG/contexts): its docker endpoint and TLS material. The
// context "default" is what the docker CLI makes of the environment.
func contextEndpoint(env Env, name, via string) ([]Endpoint, error) {
	if name == "default" {
		if h := env.get("DOCKER_HOST"); h != "" {
			ep, err := hostEndpoint(env, h, via+" (DOCKER_HOST)")
			return []Endpoint{ep}, err
		}
		return []Endpoint{{Host: DefaultHost, Via: via}}, nil
	}
	if err := store.ValidateContextName(name); err != nil {
		return nil, fmt.Errorf("%s: %w", via, err)
	}
	s := contextStore(env.ConfigDir())
	meta, err := s.GetMetadata(name)
	if err != nil {
		return nil, fmt.Errorf("%s: no such docker context in %s: %w", via, filepath.Join(env.ConfigDir(), "contexts"), err)
	}
	raw, ok := meta.Endpoints[dockerEndpoint]
	if !ok {
		return nil, fmt.Errorf("%s: the context has no docker endpoint", via)
	}
	em, ok := raw.(dcontext.EndpointMetaBase)
	if !ok {
		return nil, fmt.Errorf("%s: docker endpoint is %T, not an endpoint", via, raw)
	}
	if em.Host == "" {
		return nil, fmt.Errorf("%s: the context's docker endpoint has no host", via)
	}
	ep := Endpoint{Host: em.Host, Via: via}
	if isTCP(em.Host) {
		data, err := dcontext.LoadTLSData(s, name, dockerEndpoint)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", via, err)
		}
		if ep.TLS, err = tlsConfig(data, em.SkipTLSVerify); err != nil {
			return nil, fmt.Errorf("%s: TLS: %w", via, err)
		}
	}
	return []Endpoint{ep}, nil
}

// dockerEndpoint is the docker CLI's name of a context's engine endpoint.
const dockerEndpoint = "docker"

// contextStore is the docker CLI's context store under dir, with its
// docker endpoint typed as the CLI types it.
func contextStore(dir string) *store.ContextStore {
	return store.New(filepath.Join(dir, "contexts"), store.NewConfig(
		func() any { return &map[string]any{} },
		store.EndpointTypeGetter(dockerEndpoint, func() any { return &dcontext.EndpointMetaBase{} }),
	))
}

// hostEndpoint is an engine named by address, with the TLS the docker CLI
// takes from DOCKER_TLS_VERIFY, DOCKER_TLS and DOCKER_CERT_PATH for tcp://.
func hostEndpoint(env Env, host, via string) (Endpoint, error) {
	ep := Endpoint{Host: host, Via: via}
	verify := env.get("DOCKER_TLS_VERIFY") != ""
	if !isTCP(host) || !verify && env.get("DOCKER_TLS") == "" {
		return ep, nil
	}
	dir := env.get("DOCKER_CERT_PATH")
	if dir == "" {
		dir = env.ConfigDir()
	}
	file := func(n string) string {
		p := filepath.Join(dir, n)
		if _, err := os.Stat(p); err != nil {
			return "" // the docker CLI skips a default file that is not there
		}
		return p
	}
	data, err := dcontext.TLSDataFromFiles(file("ca.pem"), file("cert.pem"), file("key.pem"))
	if err != nil {
		return ep, fmt.Errorf("%s=%s: TLS material in %s: %w", via, host, dir, err)
	}
	if verify && (data == nil || data.CA == nil) {
		// Go would verify against the system roots: not what an engine's
		// own CA-signed certificate needs, and not a silent downgrade.
		return ep, fmt.Errorf("%s=%s: DOCKER_TLS_VERIFY is set but %s holds no ca.pem", via, host, dir)
	}
	if ep.TLS, err = tlsConfig(data, !verify); err != nil {
		return ep, fmt.Errorf("%s=%s: TLS material in %s: %w", via, host, dir, err)
	}
	return ep, nil
}

func isTCP(host string) bool {
	return strings.HasPrefix(host, "tcp://") || strings.HasPrefix(host, "https://")
}

// tlsConfig builds the client TLS configuration from a context's or
// DOCKER_CERT_PATH's material the way the docker CLI does (its
// cli/context/docker does the same, unexported, for the moby client).
func tlsConfig(data *dcontext.TLSData, skipVerify bool) (*tls.Config, error) {
	if data == nil && !skipVerify {
		return nil, nil // plain HTTP, as the docker CLI speaks to such a context
	}
	var opts []func(*tls.Config)
	if data != nil && data.CA != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data.CA) {
			return nil, errors.New("ca.pem holds no PEM certificate")
		}
		opts = append(opts, func(c *tls.Config) { c.RootCAs = pool })
	}
	if data != nil && data.Key != nil && data.Cert != nil {
		if b, _ := pem.Decode(data.Key); b == nil {
			return nil, errors.New("key.pem holds no PEM private key")
		}
		cert, err := tls.X509KeyPair(data.Cert, data.Key)
		if err != nil {
			return nil, fmt.Errorf("cert.pem and key.pem: %w", err)
		}
		opts = append(opts, func(c *tls.Config) { c.Certificates = []tls.Certificate{cert} })
	}
	if skipVerify {
		opts = append(opts, func(c *tls.Config) { c.InsecureSkipVerify = true })
	}
	return tlsconfig.ClientDefault(opts...), nil
}

// remotePing is the least time a tcp:// or ssh:// engine gets to answer.
const remotePing = 10 * time.Second

// NoEngineError says that none of the engines tried answered.
type NoEngineError struct {
	// Tried holds one line per engine: its address, how it was chosen
	// and why it did not answer.
	Tried []string
}

func (e *NoEngineError) Error() string {
	return "no engine answers: " + strings.Join(e.Tried, "; ")
}

// Connect returns a client of the first of eps that answers a ping within
// timeout each, or a *NoEngineError naming every one tried. An
// interrupted context is returned as such.
func Connect(ctx context.Context, eps []Endpoint, timeout time.Duration) (*Client, error) {
	ne := &NoEngineError{}
	for _, ep := range eps {
		c, err := NewEndpoint(ep)
		if err != nil {
			return nil, err // an address no engine can have: say so
		}
		t := timeout
		if !strings.HasPrefix(ep.Host, "unix://") && t < remotePing {
			t = remotePing // a remote engine, or ssh's handshake, takes longer
		}
		if err = c.Ping(ctx, t); err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		ne.Tried = append(ne.Tried, fmt.Sprintf("docker-daemon via %s (%s): %s", ep.Via, ep.Host, reason(err)))
	}
	return nil, ne
}

// reason is the innermost cause of a failed connection ("connection
// refused", "x509: certificate signed by unknown authority"), or the
// whole error when it has no network cause.
func reason(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		var se *os.SyscallError
		if errors.As(op.Err, &se) {
			return se.Err.Error()
		}
		return op.Err.Error()
	}
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		return cv.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer in time"
	}
	if u := errors.Unwrap(err); u != nil {
		return u.Error() // the cause, without the engine's name again
	}
	return err.Error()
}
