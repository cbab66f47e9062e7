package suggestcmd

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imgdiff/imgdiff/layers"
)

// dockerCLI is the Engine that runs the user's docker CLI: it finds the
// engine as the user's other docker commands do (--context is theirs to
// set in DOCKER_CONTEXT, DOCKER_HOST, the current context), builds with
// BuildKit through buildx or DOCKER_BUILDKIT=1, and runs containers with
// create/start/wait/logs. Every container and image it makes is
// recorded before it is made, so Cleanup removes it even when the
// command making it was interrupted.
type dockerCLI struct {
	bin string
	env []string

	mu         sync.Mutex
	containers []string // names
	images     []string // names or ids to rmi
	kept       []string

	// Detected by Builder.
	build    []string // the build subcommand: ["buildx", "build", "--load"] or ["build"]
	buildEnv []string
	podman   bool
}

func newDockerCLI(bin string, env []string) *dockerCLI {
	if bin == "" {
		bin = "docker"
	}
	return &dockerCLI{bin: bin, env: env}
}

// maxOutput bounds what is kept of a docker command's output (a build
// log, a container's logs): the first bytes, enough for outputLines
// lines and a log tail.
const maxOutput = 4 << 20

// boundedBuffer keeps the first max bytes written and counts the rest.
type boundedBuffer struct {
	buf     bytes.Buffer
	max     int
	dropped int64
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
		b.dropped += int64(len(p) - min(room, len(p)))
	} else {
		b.dropped += int64(len(p))
	}
	return len(p), nil
}

// run runs the CLI with args, and returns stdout and stderr. The process
// gets SIGINT when ctx ends (the CLI cancels a build cleanly on it) and
// is killed 10 s later; it does not get the terminal's Ctrl-C itself
// (its own process group), so the cancellation is always ours.
func (d *dockerCLI) run(ctx context.Context, env []string, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Env = append(slices.Clone(d.env), env...)
	var out, errOut boundedBuffer
	out.max, errOut.max = maxOutput, maxOutput
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	ownProcessGroup(cmd)
	err = cmd.Run()
	if ctx.Err() != nil {
		return out.buf.Bytes(), errOut.buf.Bytes(), ctx.Err()
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%s %s: %s", d.bin, args[0], lastLine(errOut.buf.Bytes(), ee.Error()))
		} else {
			err = fmt.Errorf("%s: %w", d.bin, err)
		}
	}
	return out.buf.Bytes(), errOut.buf.Bytes(), err
}

// out runs args and returns stdout trimmed.
func (d *dockerCLI) out(ctx context.Context, args ...string) (string, error) {
	o, _, err := d.run(ctx, nil, args...)
	return strings.TrimSpace(string(o)), err
}

// lastLine is the last non-empty line of b, or def.
func lastLine(b []byte, def string) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return l
	}
	return def
}

// startError is why `docker start` failed: the daemon's answer (its
// first line; the CLI's last line only names the container), without
// the "Error response from daemon: " prefix.
func startError(errOut []byte, def string) string {
	for _, l := range strings.Split(string(errOut), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return strings.TrimPrefix(l, "Error response from daemon: ")
		}
	}
	return def
}

func (d *dockerCLI) Builder(ctx context.Context) (string, error) {
	version, err := d.out(ctx, "version", "--format", "{{.Client.Version}}")
	if err != nil {
		// The server part of `docker version` may fail (no engine);
		// --format on the client alone still printed.
		if version == "" {
			return "", fmt.Errorf("the docker CLI (%s) does not answer: %w", d.bin, err)
		}
	}
	if v, _ := d.out(ctx, "--version"); strings.Contains(strings.ToLower(v), "podman") {
		d.podman = true
		d.build = []string{"build"}
		return fmt.Sprintf("%s build (Podman %s: Buildah, not BuildKit; it runs RUN --mount=type=cache)", d.bin, version), nil
	}
	if _, _, err := d.run(ctx, nil, "buildx", "version"); err == nil {
		d.build = []string{"buildx", "build", "--load"}
		return fmt.Sprintf("%s buildx build --load (BuildKit; docker %s)", d.bin, version), nil
	} else if ctx.Err() != nil {
		return "", ctx.Err()
	}
	// Without buildx, the classic `docker build` builds with BuildKit on
	// DOCKER_BUILDKIT=1 only up to Docker 22 (the builder was built into
	// the CLI); from 23 on it needs buildx.
	major, _ := strconv.Atoi(strings.SplitN(version, ".", 2)[0])
	if major >= 23 {
		return "", fmt.Errorf("the docker CLI %s (%s) has no buildx, which BuildKit builds need since Docker 23: install the buildx plugin (docker-buildx-plugin, or Debian's docker-buildx), or give --docker a client that has it", d.bin, version)
	}
	d.build = []string{"build"}
	d.buildEnv = []string{"DOCKER_BUILDKIT=1"}
	return fmt.Sprintf("DOCKER_BUILDKIT=1 %s build (BuildKit built into docker %s)", d.bin, version), nil
}

func (d *dockerCLI) Build(ctx context.Context, spec BuildSpec) ([]byte, error) {
	if d.build == nil {
		if _, err := d.Builder(ctx); err != nil {
			return nil, err
		}
	}
	d.record(&d.images, spec.Tag, spec.Keep)
	args := slices.Clone(d.build)
	if !d.podman {
		args = append(args, "--progress", "plain")
	}
	args = append(args, "-f", spec.Dockerfile, "-t", spec.Tag)
	for _, a := range spec.BuildArgs {
		args = append(args, "--build-arg", a)
	}
	if spec.Network != "" {
		args = append(args, "--network", spec.Network)
	}
	args = append(args, spec.Context)
	out, errOut, err := d.run(ctx, d.buildEnv, args...)
	log := append(out, errOut...)
	if err != nil {
		return log, err
	}
	return log, nil
}

// record notes a container or image about to be made: Cleanup removes
// it (unless keep).
func (d *dockerCLI) record(list *[]string, name string, keep bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if keep {
		d.kept = append(d.kept, name)
		return
	}
	*list = append(*list, name)
}

func (d *dockerCLI) forget(list *[]string, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	*list = slices.DeleteFunc(*list, func(s string) bool { return s == name })
}

// Image makes ref runnable: a docker-daemon: or bare name the engine has
// is run as it is; a registry name it lacks is pulled (and removed at
// Cleanup); a docker-archive: or oci-archive: file is loaded (and
// removed at Cleanup unless the engine had the image). An OCI layout
// directory cannot be loaded by docker.
func (d *dockerCLI) Image(ctx context.Context, ref string) (string, error) {
	r, err := layers.ParseReference(ref)
	if err != nil {
		return "", err
	}
	name := r.Name
	switch r.Transport {
	case layers.DockerDaemon:
		if _, err := d.out(ctx, "image", "inspect", "--format", "{{.Id}}", name); err != nil {
			return "", fmt.Errorf("%s: not in the engine the docker CLI uses: %w", ref, err)
		}
		return name, nil
	case layers.DockerArchive:
		// The engine may have the image already (the archive is a docker
		// save of it): its config digest is its ID.
		if id := archiveImageID(r.Path, r.Name); id != "" {
			if _, err := d.out(ctx, "image", "inspect", "--format", "{{.Id}}", id); err == nil {
				return id, nil
			}
		}
		return d.load(ctx, ref, r.Path, r.Name)
	case layers.OCIArchive:
		return d.load(ctx, ref, r.Path, r.Name)
	case layers.OCILayout:
		return "", fmt.Errorf("%s: --verify runs the original in the engine, and docker cannot load an OCI layout directory: copy it in first (skopeo copy %s docker-daemon:NAME:TAG) and give docker-daemon:NAME:TAG", ref, ref)
	case "":
		if st, err := os.Stat(ref); err == nil {
			if st.IsDir() {
				return "", fmt.Errorf("%s: --verify runs the original in the engine, and docker cannot load an OCI layout directory: copy it in first (skopeo copy oci:%s docker-daemon:NAME:TAG) and give docker-daemon:NAME:TAG", ref, ref)
			}
			return d.load(ctx, ref, ref, "")
		}
	}
	if _, err := d.out(ctx, "image", "inspect", "--format", "{{.Id}}", name); err == nil {
		return name, nil
	} else if ctx.Err() != nil {
		return "", ctx.Err()
	}
	d.record(&d.images, name, false)
	if _, _, err := d.run(ctx, nil, "pull", "--quiet", name); err != nil {
		return "", fmt.Errorf("%s: not in the engine, and docker pull failed: %w", ref, err)
	}
	return name, nil
}

// archiveImageID is the image ID (config digest) of the image a docker
// save archive holds (of several, the one tagged name), from its
// manifest.json; "" when it cannot tell. The tar is read by headers,
// skipping the layers.
func archiveImageID(p, name string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return ""
		}
		if path.Clean(h.Name) != "manifest.json" {
			continue
		}
		var entries []struct {
			Config   string
			RepoTags []string
		}
		if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&entries); err != nil {
			return ""
		}
		for _, e := range entries {
			if len(entries) == 1 || slices.Contains(e.RepoTags, name) || slices.Contains(e.RepoTags, name+":latest") {
				// <hex>.json (docker save before 25), blobs/sha256/<hex>
				// (after), sha256:<hex> (go-containerregistry).
				id := strings.TrimPrefix(strings.TrimSuffix(path.Base(e.Config), ".json"), "sha256:")
				if len(id) == 64 && isHexString(id) {
					return "sha256:" + id
				}
			}
		}
		return ""
	}
}

func isHexString(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// load is `docker load -i path`; the image it names (of several, the one
// called want) is removed at Cleanup unless the engine had it.
func (d *dockerCLI) load(ctx context.Context, ref, path, want string) (string, error) {
	before, err := d.out(ctx, "image", "ls", "--all", "--quiet", "--no-trunc")
	if err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	out, err := d.out(ctx, "load", "--input", path)
	if err != nil {
		return "", fmt.Errorf("%s: docker load: %w", ref, err)
	}
	var loaded []string
	for _, line := range strings.Split(out, "\n") {
		if n, ok := strings.CutPrefix(line, "Loaded image: "); ok {
			loaded = append(loaded, strings.TrimSpace(n))
		} else if n, ok := strings.CutPrefix(line, "Loaded image ID: "); ok {
			loaded = append(loaded, strings.TrimSpace(n))
		}
	}
	name := ""
	switch {
	case want != "":
		for _, n := range loaded {
			if n == want || strings.HasSuffix(n, "/"+want) || n == want+":latest" {
				name = n
			}
		}
	case len(loaded) == 1:
		name = loaded[0]
	}
	if name == "" {
		return "", fmt.Errorf("%s: docker load loaded %q: which one is the image?", ref, loaded)
	}
	id, err := d.out(ctx, "image", "inspect", "--format", "{{.Id}}", name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	if !slices.Contains(strings.Fields(before), id) {
		for _, n := range loaded {
			d.record(&d.images, n, false)
		}
	}
	return name, nil
}

func (d *dockerCLI) Run(ctx context.Context, spec RunSpec) (*Run, *Run, error) {
	var smoke *Run
	if spec.NoCommand {
		main := &Run{Error: noCommand}
		if spec.Smoke != nil {
			var err error
			if smoke, err = d.container(ctx, spec.Name+"-smoke", spec.Image, spec.Smoke, []string{"--network", "none"}, spec.Timeout, nil); err != nil {
				return nil, nil, err
			}
		}
		return main, smoke, nil
	}
	main, err := d.container(ctx, spec.Name, spec.Image, nil, []string{"--network", "none"}, spec.Timeout, func(ctx context.Context, r *Run) error {
		r.Ports, r.PortsUnknown = d.ports(ctx, spec.Name, spec.PortsHelpers)
		if spec.Smoke == nil {
			return ctx.Err()
		}
		var err error
		smoke, err = d.container(ctx, spec.Name+"-smoke", spec.Image, spec.Smoke, []string{"--network", "container:" + spec.Name}, spec.Timeout, nil)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if spec.Smoke != nil && smoke == nil { // the main run exited before the deadline
		smoke, err = d.container(ctx, spec.Name+"-smoke", spec.Image, spec.Smoke, []string{"--network", "none"}, spec.Timeout, nil)
		if err != nil {
			return nil, nil, err
		}
	}
	return main, smoke, nil
}

// noCommand is the main run of an image with no ENTRYPOINT or CMD.
const noCommand = "not run: the image has no ENTRYPOINT or CMD"

// container runs image as name (argv overriding its entrypoint and
// command when set) until it exits or timeout passes; while it is still
// running at the deadline, whileRunning is called, then it is killed.
// Its logs are read and it is removed.
func (d *dockerCLI) container(ctx context.Context, name, image string, argv, flags []string, timeout time.Duration, whileRunning func(ctx context.Context, r *Run) error) (*Run, error) {
	d.record(&d.containers, name, false)
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, _, err := d.run(rctx, nil, "rm", "--force", name); err == nil || isNoSuch(err) {
			d.forget(&d.containers, name)
		}
	}()
	args := append([]string{"create", "--name", name}, flags...)
	if argv != nil {
		args = append(args, "--entrypoint", argv[0], image)
		args = append(args, argv[1:]...)
	} else {
		args = append(args, image)
	}
	if _, err := d.out(ctx, args...); err != nil {
		return nil, fmt.Errorf("create a container of %s: %w", image, err)
	}
	r := &Run{}
	if st, err := d.inspect(ctx, name); err == nil {
		r.Command = append([]string{st.Path}, st.Args...)
	}
	if _, errOut, err := d.run(ctx, nil, "start", name); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The runtime could not start it (no such executable in the
		// image): a behaviour, not a failure of the verification.
		r.Error = startError(errOut, err.Error())
		return r, nil
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	code, err := d.out(wctx, "wait", name)
	cancel()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err == nil:
		r.ExitCode, err = strconv.Atoi(code)
		if err != nil {
			return nil, fmt.Errorf("docker wait %s: %q", name, code)
		}
	case errors.Is(err, context.DeadlineExceeded):
		// The deadline also ran while the CLI started and asked (seconds
		// on a busy machine): whether the container still runs is the
		// engine's to say.
		st, err := d.inspect(ctx, name)
		if err != nil {
			return nil, err
		}
		if !st.State.Running {
			r.ExitCode = st.State.ExitCode
			break
		}
		r.Running = true
		if whileRunning != nil {
			if err := whileRunning(ctx, r); err != nil {
				return nil, err
			}
		}
		if _, _, err := d.run(ctx, nil, "kill", name); err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	default:
		return nil, err
	}
	stdout, stderr, err := d.run(ctx, nil, "logs", name)
	if err != nil {
		return nil, fmt.Errorf("docker logs %s: %w", name, err)
	}
	r.Stdout, r.Stderr = firstLines(stdout, outputLines), firstLines(stderr, outputLines)
	return r, nil
}

// containerState is what `docker container inspect` says of a
// container that ran.
type containerState struct {
	ID    string   `json:"Id"`
	Path  string   `json:"Path"`
	Args  []string `json:"Args"`
	State struct {
		Running  bool `json:"Running"`
		ExitCode int  `json:"ExitCode"`
		Pid      int  `json:"Pid"`
	} `json:"State"`
}

func (d *dockerCLI) inspect(ctx context.Context, name string) (*containerState, error) {
	out, err := d.out(ctx, "container", "inspect", name)
	if err != nil {
		return nil, err
	}
	var st []containerState
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st) != 1 {
		return nil, fmt.Errorf("docker container inspect %s: not one container's JSON", name)
	}
	return &st[0], nil
}

func isNoSuch(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "no such")
}

// ports reads the sockets container name (id) listens on: from
// /proc/PID/net of its process when this machine is the engine's (the
// PID's cgroup names the container: on a remote engine, or one in a VM,
// the PID is another machine's), else through a helper container in its
// network namespace (an image with cat: the original usually has one).
func (d *dockerCLI) ports(ctx context.Context, name string, helpers []string) ([]string, string) {
	if st, err := d.inspect(ctx, name); err == nil && st.State.Pid > 0 && len(st.ID) == 64 {
		{
			dir := filepath.Join("/proc", strconv.Itoa(st.State.Pid))
			if cg, err := os.ReadFile(filepath.Join(dir, "cgroup")); err == nil && bytes.Contains(cg, []byte(st.ID)) {
				var all []byte
				for _, f := range []string{"tcp", "tcp6", "udp", "udp6"} {
					b, err := os.ReadFile(filepath.Join(dir, "net", f))
					if err == nil {
						all = append(all, b...)
					}
				}
				if p, err := parseProcNet(all); err == nil {
					return nonNil(p), ""
				}
			}
		}
	}
	for i, h := range helpers {
		helper := fmt.Sprintf("%s-ports%d", name, i)
		d.record(&d.containers, helper, false)
		out, _, _ := d.run(ctx, nil, "run", "--rm", "--name", helper, "--network", "container:"+name, "--entrypoint", "cat", h,
			"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6")
		// --rm does not remove a container that failed to start (no cat
		// in the image) on every engine.
		if _, _, err := d.run(ctx, nil, "rm", "--force", helper); err == nil || isNoSuch(err) {
			d.forget(&d.containers, helper)
		}
		if bytes.Contains(out, []byte("local_address")) {
			if p, err := parseProcNet(out); err == nil {
				return nonNil(p), ""
			}
		}
	}
	return nil, "the engine's processes are not on this machine (a remote engine, or one in a VM) and no image has cat to read /proc/net in the container's network namespace"
}

func (d *dockerCLI) Size(ctx context.Context, image string) (int64, error) {
	s, err := d.out(ctx, "image", "inspect", "--format", "{{.Size}}", image)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("docker image inspect %s: size %q", image, s)
	}
	return n, nil
}

func (d *dockerCLI) Save(ctx context.Context, image, dir string) (string, error) {
	p := filepath.Join(dir, "built.tar")
	if _, _, err := d.run(ctx, nil, "save", "--output", p, image); err != nil {
		return "", err
	}
	return "docker-archive:" + p, nil
}

func (d *dockerCLI) Cleanup(ctx context.Context) error {
	d.mu.Lock()
	containers, images := slices.Clone(d.containers), slices.Clone(d.images)
	d.mu.Unlock()
	var errs []error
	if len(containers) > 0 {
		if _, _, err := d.run(ctx, nil, append([]string{"rm", "--force"}, containers...)...); err != nil && !isNoSuch(err) {
			errs = append(errs, err)
		}
	}
	for _, im := range images {
		if _, _, err := d.run(ctx, nil, "rmi", im); err != nil && !isNoSuch(err) {
			errs = append(errs, err)
		}
	}
	d.mu.Lock()
	d.containers, d.images = nil, nil
	d.mu.Unlock()
	return errors.Join(errs...)
}
