package suggestcmd

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// What differs between two runs of one program is replaced; what the
// program computed is not (the word counts of the e2e CLI apps, a port
// it chose, a version).
func TestNormalise(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2026-12-06T10:31:02.123Z INFO listening on :8080", "<time> INFO listening on :8080"},
		{"2026/12/06 10:31:02 listening on :8080", "<time> listening on :8080"},
		{"[Sun Dec  6 10:31:02 2026] started", "[<time> <time> 2026] started"},
		{"request done in 12.5ms", "request done in <duration>"},
		{"host 3f2a9c1b7d4e ready", "host <hex> ready"},
		{"id 123e4567-e89b-12d3-a456-426614174000", "id <uuid>"},
		{"worker pid=4711 up, PID: 12", "worker pid <n> up, pid <n>"},
		{"nginx[17]: ready", "nginx[<n>]: ready"},
		{"bound to 127.0.0.1:43817", "bound to 127.0.0.1:<port>"},
		{"      4 the", "      4 the"},
		{"listening on 0.0.0.0:8080 (v1.2.3)", "listening on 0.0.0.0:8080 (v1.2.3)"},
		{"deadbeef", "deadbeef"}, // 8 hex digits: a word, not an id
	} {
		if got := normalise(c.in); got != c.want {
			t.Errorf("normalise(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// /proc/net tables as the kernel writes them (header lines verbatim from
// Linux 6.1): listeners are TCP sockets in state 0A and UDP sockets in
// state 07 with a port; addresses are 32-bit words in little-endian
// order.
func TestParseProcNet(t *testing.T) {
	const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65532        0 123 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 124 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:A3C2 01 00000000:00000000 00:00000000 00000000     0        0 125 1 0000000000000000 20 4 30 10 -1
`
	const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 126 1 0000000000000000 100 0 0 10 0
`
	const udp = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  10: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 127 2 0000000000000000 0
  11: 0100007F:D431 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 128 2 0000000000000000 0
`
	got, err := parseProcNet([]byte(tcp + tcp6 + udp))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"tcp 0.0.0.0:8080", "tcp 127.0.0.1:5432", "tcp6 [::]:80", "udp 0.0.0.0:53"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listeners (-want +got):\n%s", diff)
	}
	if _, err := parseProcNet([]byte(tcp[strings.Index(tcp, "\n")+1:])); err == nil {
		t.Error("a table without its header was read")
	}
	if got, err := parseProcNet([]byte("  sl  local_address rem_address   st\n")); err != nil || len(got) != 0 {
		t.Errorf("an empty table: %v, %v", got, err)
	}
}

func TestCompareRuns(t *testing.T) {
	server := func(ports []string, out ...string) *Run {
		return &Run{Running: true, Ports: ports, Stdout: []string{}, Stderr: out}
	}
	exited := func(code int, out ...string) *Run {
		return &Run{ExitCode: code, Stdout: out, Stderr: []string{}}
	}
	for _, c := range []struct {
		name  string
		a, b  *Run
		diffs []string // substrings, one per difference, in order
		notes int
	}{
		{"same server", server([]string{"tcp6 [::]:8080"}, "2026/12/06 10:00:01 listening"), server([]string{"tcp6 [::]:8080"}, "2026/12/06 10:00:07 listening"), nil, 0},
		{"ephemeral port", server([]string{"tcp 0.0.0.0:8080", "tcp 0.0.0.0:41234"}), server([]string{"tcp 0.0.0.0:8080", "tcp 0.0.0.0:37001"}), nil, 0},
		{"a port lost", server([]string{"tcp 0.0.0.0:8080", "udp 0.0.0.0:53"}), server([]string{"tcp 0.0.0.0:8080"}),
			[]string{"run: the original listens on tcp 0.0.0.0:8080, udp 0.0.0.0:53, the suggestion on tcp 0.0.0.0:8080"}, 0},
		{"crashed", server([]string{"tcp 0.0.0.0:8080"}), &Run{ExitCode: 1, Stdout: []string{}, Stderr: []string{"Error: Cannot find module 'express'"}},
			[]string{"run: the original still running at the deadline, the suggestion exited 1", "stderr line 1: the original wrote no line 1, the suggestion wrote \"Error: Cannot find module 'express'\""}, 0},
		{"no such executable", exited(0, "hello"), &Run{Error: `exec: "logstat": executable file not found in $PATH`},
			[]string{`the suggestion did not start: exec: "logstat"`, "stdout line 1"}, 0},
		{"exit status", exited(0), exited(2), []string{"the original exited 0, the suggestion exited 2"}, 0},
		{"same output", exited(0, "      4 the", "      2 and"), exited(0, "      4 the", "      2 and"), nil, 0},
		{"output differs", exited(0, "      4 the", "      2 and"), exited(0, "      4 the", "      2 cat"),
			[]string{`run: stdout line 2: the original wrote "      2 and", the suggestion wrote "      2 cat"`}, 0},
		{"exited, fewer lines", exited(0, "a", "b"), exited(0, "a"), []string{"stdout line 2: the original wrote \"b\", the suggestion wrote no line 2"}, 0},
		{"running, more lines by the deadline", server(nil, "a", "b", "c"), server(nil, "a"), nil, 0},
		{"running, silent", server([]string{}, "started"), server([]string{}), []string{"stderr line 1"}, 0},
		{"ports unknown", &Run{Running: true, PortsUnknown: "remote"}, &Run{Running: true, PortsUnknown: "remote"}, nil, 1},
		{"ports not read (a smoke command)", &Run{Running: true}, &Run{Running: true}, nil, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			diffs, notes := compareRuns("run", c.a, c.b)
			if len(diffs) != len(c.diffs) {
				t.Fatalf("differences %q, want %d like %q", diffs, len(c.diffs), c.diffs)
			}
			for i, d := range c.diffs {
				if !strings.Contains(diffs[i], d) {
					t.Errorf("difference %d %q, want it to contain %q", i, diffs[i], d)
				}
			}
			if len(notes) != c.notes {
				t.Errorf("notes %q, want %d", notes, c.notes)
			}
		})
	}
}

// A --smoke command without shell syntax runs as argv (a scratch image
// has no shell); with any, through /bin/sh -c.
func TestSmokeArgv(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"/usr/local/bin/app --version", []string{"/usr/local/bin/app", "--version"}},
		{"  wget -qO- http://127.0.0.1:8080/healthz ", []string{"wget", "-qO-", "http://127.0.0.1:8080/healthz"}},
		{"app --level=debug", []string{"app", "--level=debug"}},
		{"echo $HOME", []string{"/bin/sh", "-c", "echo $HOME"}},
		{"app | wc -l", []string{"/bin/sh", "-c", "app | wc -l"}},
		{`app "two words"`, []string{"/bin/sh", "-c", `app "two words"`}},
		{"LANG=C app", []string{"/bin/sh", "-c", "LANG=C app"}},
		{"app *.txt", []string{"/bin/sh", "-c", "app *.txt"}},
	} {
		if got := smokeArgv(c.in); !cmp.Equal(got, c.want) {
			t.Errorf("smokeArgv(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
