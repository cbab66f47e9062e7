package engine

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imgdiff/imgdiff/layers/engine/enginetest"
)

// writeContext writes a docker CLI context by hand, laid out as `docker
// context create` lays it out: meta.json under the SHA-256 of the name,
// TLS files under the same digest.
func writeContext(t *testing.T, configDir, name, host string, skipVerify bool, tlsFiles map[string][]byte) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	meta := filepath.Join(configDir, "contexts", "meta", id)
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	skip := "false"
	if skipVerify {
		skip = "true"
	}
	js := `{"Name":"` + name + `","Metadata":{"Description":"test"},"Endpoints":{"docker":{"Host":"` + host + `","SkipTLSVerify":` + skip + `}}}`
	if err := os.WriteFile(filepath.Join(meta, "meta.json"), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	for f, b := range tlsFiles {
		d := filepath.Join(configDir, "contexts", "tls", id, "docker")
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func writeConfig(t *testing.T, dir, current string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	js := `{"auths":{},"currentContext":"` + current + `"}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(js), 0o600); err != nil {
		t.Fatal(err)
	}
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestResolveOrder checks the docker CLI's order: --context, then
// DOCKER_HOST, then DOCKER_CONTEXT, then config.json's currentContext,
// then the default socket and, only then, rootless Docker and Podman.
func TestResolveOrder(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, ".docker")
	writeConfig(t, cfg, "colima")
	writeContext(t, cfg, "colima", "unix:///colima/docker.sock", false, nil)
	writeContext(t, cfg, "other", "unix:///other/docker.sock", false, nil)
	writeContext(t, cfg, "flag", "unix:///flag/docker.sock", false, nil)
	alt := t.TempDir() // a DOCKER_CONFIG with no config.json
	writeContext(t, alt, "alt", "unix:///alt.sock", false, nil)
	defCfg := t.TempDir()
	writeConfig(t, defCfg, "default")

	for _, c := range []struct {
		name    string
		ctxFlag string
		env     map[string]string
		want    []string // Host|Via of each endpoint
	}{
		{"current context", "", map[string]string{"HOME": home},
			[]string{`unix:///colima/docker.sock|context "colima"`}},
		{"DOCKER_CONTEXT beats the current context", "", map[string]string{"HOME": home, "DOCKER_CONTEXT": "other"},
			[]string{`unix:///other/docker.sock|context "other" (DOCKER_CONTEXT)`}},
		{"DOCKER_HOST beats DOCKER_CONTEXT", "", map[string]string{"HOME": home, "DOCKER_CONTEXT": "other", "DOCKER_HOST": "unix:///env.sock"},
			[]string{"unix:///env.sock|DOCKER_HOST"}},
		{"--context beats DOCKER_HOST", "flag", map[string]string{"HOME": home, "DOCKER_HOST": "unix:///env.sock"},
			[]string{`unix:///flag/docker.sock|--context "flag"`}},
		{"DOCKER_CONFIG replaces ~/.docker", "alt", map[string]string{"HOME": home, "DOCKER_CONFIG": alt},
			[]string{`unix:///alt.sock|--context "alt"`}},
		{"no config.json: the default socket, then rootless and Podman", "", map[string]string{"DOCKER_CONFIG": alt, "XDG_RUNTIME_DIR": "/run/user/7", "CONTAINER_HOST": "unix:///ch.sock"},
			[]string{"unix:///var/run/docker.sock|the default socket", "unix:///run/user/7/docker.sock|rootless Docker's socket",
				"unix:///ch.sock|CONTAINER_HOST", "unix:///run/user/7/podman/podman.sock|rootless Podman's socket", "unix:///run/podman/podman.sock|Podman's socket"}},
		{"currentContext default", "", map[string]string{"DOCKER_CONFIG": defCfg},
			[]string{"unix:///var/run/docker.sock|the default socket", "unix:///run/podman/podman.sock|Podman's socket"}},
		{"--context default is DOCKER_HOST", "default", map[string]string{"DOCKER_CONFIG": defCfg, "DOCKER_HOST": "tcp://h:1"},
			[]string{`tcp://h:1|--context "default" (DOCKER_HOST)`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			eps, err := Resolve(Env{Context: c.ctxFlag, Getenv: envOf(c.env)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ep := range eps {
				got = append(got, ep.Host+"|"+ep.Via)
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}

	for _, c := range []struct {
		name, ctxFlag, host string
		env                 map[string]string
		want                string
	}{
		{"current context missing", "", "", map[string]string{"DOCKER_CONFIG": mustConfig(t, "gone")}, `context "gone": no such docker context`},
		{"DOCKER_CONTEXT missing", "", "", map[string]string{"HOME": home, "DOCKER_CONTEXT": "nope"}, `context "nope" (DOCKER_CONTEXT): no such docker context`},
		{"--context and a host", "flag", "unix:///x.sock", map[string]string{"HOME": home}, `--context "flag" and DOCKER_HOST=unix:///x.sock both name an engine`},
		{"bad context name", "../x", "", map[string]string{"HOME": home}, `--context "../x"`},
		{"config.json unreadable", "", "", map[string]string{"DOCKER_CONFIG": badConfig(t)}, "config.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			eps, err := Resolve(Env{Context: c.ctxFlag, Host: c.host, Getenv: envOf(c.env)})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Resolve = %v, %v; want an error with %q", eps, err, c.want)
			}
		})
	}
}

func mustConfig(t *testing.T, current string) string {
	d := t.TempDir()
	writeConfig(t, d, current)
	return d
}

func badConfig(t *testing.T) string {
	d := t.TempDir()
	os.WriteFile(filepath.Join(d, "config.json"), []byte("{not json"), 0o600)
	return d
}

// pki is a CA with a server certificate for 127.0.0.1 and a client
// certificate, as `docker` TLS setups make them.
type pki struct {
	caPEM, serverCert, serverKey, clientCert, clientKey []byte
}

func newPKI(t *testing.T) pki {
	t.Helper()
	key := func() (*ecdsa.PrivateKey, []byte) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := x509.MarshalECPrivateKey(k)
		return k, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: b})
	}
	caKey, _ := key()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, []byte) {
		k, kpem := key()
		tpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "leaf"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), kpem
	}
	var p pki
	p.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	p.serverCert, p.serverKey = leaf(2, x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	p.clientCert, p.clientKey = leaf(3, x509.ExtKeyUsageClientAuth, nil)
	return p
}

// tlsEngine is an engine that answers /_ping over TLS and demands a client
// certificate signed by p's CA, as dockerd --tlsverify does.
func tlsEngine(t *testing.T, p pki) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "OK")
	}))
	cert, err := tls.X509KeyPair(p.serverCert, p.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.caPEM)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return "tcp://" + strings.TrimPrefix(srv.URL, "https://")
}

// TestTLSEngine reaches an engine that demands mutual TLS through a
// context's TLS material and through DOCKER_TLS_VERIFY/DOCKER_CERT_PATH,
// and names the engine when the certificate is wrong.
func TestTLSEngine(t *testing.T) {
	p := newPKI(t)
	other := newPKI(t)
	host := tlsEngine(t, p)
	ctx := context.Background()
	cfg := t.TempDir()
	writeContext(t, cfg, "remote", host, false, map[string][]byte{"ca.pem": p.caPEM, "cert.pem": p.clientCert, "key.pem": p.clientKey})
	writeContext(t, cfg, "wrong-ca", host, false, map[string][]byte{"ca.pem": other.caPEM, "cert.pem": p.clientCert, "key.pem": p.clientKey})
	writeContext(t, cfg, "no-cert", host, false, map[string][]byte{"ca.pem": p.caPEM})
	writeContext(t, cfg, "bad-ca", host, false, map[string][]byte{"ca.pem": []byte("not pem")})
	certs := func(pp pki) string {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, "ca.pem"), pp.caPEM, 0o600)
		os.WriteFile(filepath.Join(d, "cert.pem"), p.clientCert, 0o600)
		os.WriteFile(filepath.Join(d, "key.pem"), p.clientKey, 0o600)
		return d
	}

	connect := func(env map[string]string, ctxFlag string) (*Client, error) {
		eps, err := Resolve(Env{Context: ctxFlag, Getenv: envOf(env)})
		if err != nil {
			return nil, err
		}
		return Connect(ctx, eps, 5*time.Second)
	}
	for _, c := range []struct {
		name    string
		ctxFlag string
		env     map[string]string
		want    string // "" = answers
	}{
		{"context with TLS", "remote", map[string]string{"DOCKER_CONFIG": cfg}, ""},
		{"DOCKER_TLS_VERIFY", "", map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_HOST": host, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": certs(p)}, ""},
		{"no TLS to a TLS engine", "", map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_HOST": host}, "docker-daemon via DOCKER_HOST (" + host + ")"},
		{"context with the wrong CA", "wrong-ca", map[string]string{"DOCKER_CONFIG": cfg},
			`no engine answers: docker-daemon via --context "wrong-ca" (` + host + "): tls: failed to verify certificate: x509: certificate signed by unknown authority"},
		{"DOCKER_CERT_PATH with the wrong CA", "", map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_HOST": host, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": certs(other)},
			"docker-daemon via DOCKER_HOST (" + host + "): tls: failed to verify certificate: x509: certificate signed by unknown authority"},
		{"context without a client certificate", "no-cert", map[string]string{"DOCKER_CONFIG": cfg}, `docker-daemon via --context "no-cert" (` + host + ")"},
		{"context with a CA that is not PEM", "bad-ca", map[string]string{"DOCKER_CONFIG": cfg}, `--context "bad-ca": TLS: ca.pem holds no PEM certificate`},
		{"DOCKER_TLS_VERIFY without ca.pem", "", map[string]string{"DOCKER_CONFIG": cfg, "DOCKER_HOST": host, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": t.TempDir()}, "holds no ca.pem"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl, err := connect(c.env, c.ctxFlag)
			if c.want == "" {
				if err != nil {
					t.Fatalf("did not connect: %v", err)
				}
				if !strings.HasPrefix(cl.String(), "docker-daemon via ") || !strings.Contains(cl.String(), host) {
					t.Errorf("String() = %q", cl.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line with %q", err, c.want)
			}
		})
	}
}

// TestConnectFallsThrough takes the first engine that answers, says
// Podman when Podman answers, and names every engine tried when none does.
func TestConnectFallsThrough(t *testing.T) {
	dir := t.TempDir()
	dead := filepath.Join(dir, "dead.sock")
	ln, err := net.Listen("unix", dead)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // the file stays: connection refused
	pod := enginetest.Serve(t, "podman.sock", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Libpod-Api-Version", "4.3.1")
		io.WriteString(w, "OK")
	}))

	eps := []Endpoint{
		{Host: "unix://" + filepath.Join(dir, "none.sock"), Via: "the default socket"},
		{Host: "unix://" + dead, Via: "rootless Docker's socket"},
		{Host: "unix://" + pod, Via: "rootless Podman's socket"},
	}
	c, err := Connect(context.Background(), eps, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := "docker-daemon via rootless Podman's socket (unix://" + pod + ", Podman 4.3.1)"; c.String() != want || !c.Podman() {
		t.Errorf("String() = %q, want %q", c.String(), want)
	}
	_, err = Connect(context.Background(), eps[:2], time.Second)
	var ne *NoEngineError
	want := "no engine answers: docker-daemon via the default socket (unix://" + filepath.Join(dir, "none.sock") + "): no such file or directory; " +
		"docker-daemon via rootless Docker's socket (unix://" + dead + "): connection refused"
	if !errors.As(err, &ne) || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Connect(cctx, eps, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted: err = %v, want context.Canceled", err)
	}
}

// TestTCPContextWithoutTLS speaks plain HTTP to a tcp:// context that has
// no TLS material and does not skip verification, as the docker CLI does;
// SkipTLSVerify alone means TLS without verification.
func TestTCPContextWithoutTLS(t *testing.T) {
	cfg := t.TempDir()
	writeContext(t, cfg, "plain", "tcp://127.0.0.1:2375", false, nil)
	writeContext(t, cfg, "skip", "tcp://127.0.0.1:2376", true, nil)
	for name, wantTLS := range map[string]bool{"plain": false, "skip": true} {
		eps, err := Resolve(Env{Context: name, Getenv: envOf(map[string]string{"DOCKER_CONFIG": cfg})})
		if err != nil {
			t.Fatal(err)
		}
		if got := eps[0].TLS != nil; got != wantTLS || wantTLS && !eps[0].TLS.InsecureSkipVerify {
			t.Errorf("context %s: TLS %+v, want TLS %v", name, eps[0].TLS, wantTLS)
		}
	}
}
