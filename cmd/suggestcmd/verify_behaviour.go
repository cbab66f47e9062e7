package suggestcmd

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/imgdiff/imgdiff/analyze/model"
)

// What --verify compares between the original and the suggested image:
// how a run ended (exit status, or still running at the deadline), the
// ports it listened on, the first lines of its output, normalised, and
// the same for the --smoke command.

// outputLines is how many lines of each stream are compared.
const outputLines = 20

// Run is what one bounded run of an image showed.
type Run struct {
	// Command is the argv that ran (entrypoint and arguments), as the
	// engine reports it; empty when unknown.
	Command []string `json:"command,omitempty"`
	// Running is true when the container was still running at the
	// deadline (and was then stopped); ExitCode is meaningful only when
	// it is false.
	Running  bool `json:"running"`
	ExitCode int  `json:"exitCode"`
	// Ports are the sockets listened on at the deadline ("tcp
	// 0.0.0.0:8080"), sorted; nil when PortsUnknown says why they could
	// not be read. A run that exited listens on nothing.
	Ports        []string `json:"ports"`
	PortsUnknown string   `json:"portsUnknown,omitempty"`
	// Stdout and Stderr are the first outputLines lines of each stream,
	// as the program wrote them (not normalised).
	Stdout []string `json:"stdout"`
	Stderr []string `json:"stderr"`
	// Error is set when the engine could not run the image at all (no
	// such entrypoint in the image): the run counts as failed.
	Error string `json:"error,omitempty"`
}

// outcome is the run's end as one phrase.
func (r *Run) outcome() string {
	switch {
	case r.Error != "":
		return "did not start: " + r.Error
	case r.Running:
		return "still running at the deadline"
	}
	return fmt.Sprintf("exited %d", r.ExitCode)
}

// firstLines is the first n lines of b (a final line without a newline
// counts; \r before a newline is dropped).
func firstLines(b []byte, n int) []string {
	lines := []string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for len(lines) < n && sc.Scan() {
		lines = append(lines, strings.TrimSuffix(sc.Text(), "\r"))
	}
	return lines
}

// Normalisation: what differs between two runs of the same program and
// says nothing about whether it works. Applied in this order to each line.
var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	// ISO 8601 / RFC 3339 timestamps and plain dates, and log-style
	// "Mon Jan  2 15:04:05" dates.
	{regexp.MustCompile(`\d{4}[-/]\d{2}[-/]\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?`), "<time>"},
	{regexp.MustCompile(`\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun),? +(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2}\b`), "<time>"},
	{regexp.MustCompile(`\b\d{1,2}:\d{2}:\d{2}([.,]\d+)?\b`), "<time>"},
	// Durations ("took 12.3ms", "in 1.2s").
	{regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|us|ms|s)\b`), "<duration>"},
	// UUIDs.
	{regexp.MustCompile(`\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b`), "<uuid>"},
	// Hex identifiers of 12 digits or more: container ids (the
	// hostname), request ids, hashes of run-time state.
	{regexp.MustCompile(`\b[0-9a-f]{12,}\b`), "<hex>"},
	// Process ids: "pid 7", "pid=7", "PID: 7", "[7]" after a word.
	{regexp.MustCompile(`(?i)\bpid[ =:]+\d+`), "pid <n>"},
	{regexp.MustCompile(`(\w)\[\d+\]`), "$1[<n>]"},
	// Ports the kernel picks (the ephemeral range).
	{regexp.MustCompile(`:(3[2-9]\d{3}|[4-5]\d{4}|60\d{3}|6[1-5]\d{3})\b`), ":<port>"},
}

// normalise is line with what varies from run to run replaced.
func normalise(line string) string {
	for _, n := range normalisers {
		line = n.re.ReplaceAllString(line, n.with)
	}
	return line
}

// ephemeral reports whether port is in Linux's default ephemeral range,
// where a port the program did not choose lands.
func ephemeral(port int) bool { return port >= 32768 && port <= 60999 }

// parseProcNet reads the sockets of /proc/net/{tcp,tcp6,udp,udp6}
// (concatenated: each table starts with its header line, and UDP's
// header alone has a "drops" column) and returns the ones listened on:
// TCP sockets in LISTEN, UDP sockets bound to a port and not connected.
func parseProcNet(b []byte) ([]string, error) {
	var out []string
	proto := ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "sl" {
			proto = "tcp"
			if slices.Contains(f, "drops") {
				proto = "udp"
			}
			continue
		}
		if len(f) < 4 {
			continue
		}
		if proto == "" {
			return nil, fmt.Errorf("a socket line before any table header: %q", line)
		}
		addr, portHex, ok := strings.Cut(f[1], ":")
		if !ok {
			return nil, fmt.Errorf("%s: local address %q", proto, f[1])
		}
		port, err := strconv.ParseUint(portHex, 16, 16)
		if err != nil {
			return nil, fmt.Errorf("%s: port %q: %w", proto, portHex, err)
		}
		ip, err := procIP(addr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", proto, err)
		}
		p := proto
		if len(addr) == 32 && !strings.HasSuffix(p, "6") {
			p += "6"
		}
		switch {
		case strings.HasPrefix(p, "tcp") && f[3] != "0A": // not LISTEN
			continue
		case strings.HasPrefix(p, "udp") && (port == 0 || f[3] != "07"): // not bound, or connected
			continue
		}
		out = append(out, fmt.Sprintf("%s %s", p, net.JoinHostPort(ip.String(), strconv.Itoa(int(port)))))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// procIP decodes /proc/net's address: 4 or 16 bytes, each 32-bit word in
// host (little-endian) order.
func procIP(s string) (net.IP, error) {
	b, err := hex.DecodeString(s)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return nil, fmt.Errorf("address %q", s)
	}
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.IP(b), nil
}

// portKey is a listening socket as compared: the kernel-chosen port of
// an ephemeral listener is not the program's choice, so any ephemeral
// port compares equal.
func portKey(s string) string {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s
	}
	if n, err := strconv.Atoi(s[i+1:]); err == nil && ephemeral(n) {
		return s[:i+1] + "<ephemeral>"
	}
	return s
}

// compareRuns lists how b (the suggestion) behaved differently from a
// (the original), as sentences; what could not be compared goes to
// notes. what names the runs ("the container", "--smoke").
func compareRuns(what string, a, b *Run) (diffs, notes []string) {
	if a.Error != "" && b.Error == "" {
		notes = append(notes, fmt.Sprintf("%s: the original %s", what, a.outcome()))
	}
	if a.outcome() != b.outcome() && !(a.Error != "" && b.Error != "") {
		diffs = append(diffs, fmt.Sprintf("%s: the original %s, the suggestion %s", what, a.outcome(), b.outcome()))
	}
	// Ports are read at the deadline: of two runs that were still
	// running then (one that exited listens on nothing, and its outcome
	// already differs).
	switch {
	case !a.Running || !b.Running:
	case a.Ports == nil && b.Ports == nil && a.PortsUnknown == "" && b.PortsUnknown == "":
		// Not read at all (a --smoke command's runs).
	case a.Ports == nil || b.Ports == nil:
		why := a.PortsUnknown
		if why == "" {
			why = b.PortsUnknown
		}
		notes = append(notes, fmt.Sprintf("%s: ports not compared: %s", what, why))
	default:
		ka, kb := keys(a.Ports), keys(b.Ports)
		if !slices.Equal(ka, kb) {
			diffs = append(diffs, fmt.Sprintf("%s: the original listens on %s, the suggestion on %s", what, portList(a.Ports), portList(b.Ports)))
		}
	}
	// Output: a run stopped at the deadline may have written more or
	// less by then, so only the lines both wrote are compared (and one
	// that wrote nothing against one that wrote something); runs that
	// exited wrote all they would.
	for _, s := range []struct {
		name string
		a, b []string
	}{{"stdout", a.Stdout, b.Stdout}, {"stderr", a.Stderr, b.Stderr}} {
		na, nb := normaliseAll(s.a), normaliseAll(s.b)
		if a.Running || b.Running {
			n := min(len(na), len(nb))
			if (len(na) == 0) != (len(nb) == 0) {
				n = max(len(na), len(nb))
			}
			na, nb = na[:min(n, len(na))], nb[:min(n, len(nb))]
		}
		if i, differ := firstDifference(na, nb); differ {
			diffs = append(diffs, fmt.Sprintf("%s: %s line %d: the original %s, the suggestion %s", what, s.name, i+1, lineAt(s.a, i), lineAt(s.b, i)))
		}
	}
	return diffs, notes
}

func keys(ports []string) []string {
	k := make([]string, len(ports))
	for i, p := range ports {
		k[i] = portKey(p)
	}
	slices.Sort(k)
	return k
}

func portList(ports []string) string {
	if len(ports) == 0 {
		return "nothing"
	}
	return strings.Join(ports, ", ")
}

func normaliseAll(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = normalise(l)
	}
	return out
}

// firstDifference is the index of the first line where a and b differ
// (including one ending before the other).
func firstDifference(a, b []string) (int, bool) {
	for i := 0; i < max(len(a), len(b)); i++ {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			return i, true
		}
	}
	return 0, false
}

// lineAt is line i of lines, quoted (control characters visible, long
// lines shortened), or "(no such line)".
func lineAt(lines []string, i int) string {
	if i >= len(lines) {
		return "wrote no line " + strconv.Itoa(i+1)
	}
	l := lines[i]
	if len(l) > 200 {
		l = l[:200] + "…"
	}
	return `wrote "` + model.Visible(l) + `"`
}

// shellSyntax matches what only a shell understands in a --smoke
// command: without any, the command is run as argv (an image without a
// shell can still run it).
var shellSyntax = regexp.MustCompile("[|&;<>()$`\\\\\"'*?\\[\\]#~{}\\n]")

// smokeArgv is how --smoke cmd is run: its words as argv, or
// ["/bin/sh", "-c", cmd] when it has shell syntax.
func smokeArgv(cmd string) []string {
	words := strings.Fields(cmd)
	// A leading NAME=value is an assignment only a shell makes.
	if shellSyntax.MatchString(cmd) || len(words) > 0 && strings.Contains(words[0], "=") {
		return []string{"/bin/sh", "-c", cmd}
	}
	return words
}
