// Command bench is `make bench`: it generates large images into a temp
// dir, times the real imgdiff binary on them against baselines measured in
// the same run, and prints each performance target with its ratio and
// PASS/FAIL. It exits 1 when a target fails.
//
//	go run ./testdata/bench [-runs 3] [-dir DIR] [-keep] [-only NAME]
//
// Every figure is a ratio to something measured in the same run on the same
// machine, so the verdicts hold on a noisy machine; absolute times are
// printed for reference only. Each timing is the median of -runs runs of a
// whole process (wall clock), with peak RSS from wait4's rusage.
package main

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "baseline-") {
		os.Exit(runBaseline(os.Args[1:]))
	}
	if len(os.Args) > 2 && os.Args[1] == "measure" {
		os.Exit(runMeasured(os.Args[2:]))
	}
	runs := flag.Int("runs", 3, "runs per timing (the median is used)")
	dir := flag.String("dir", "", "work dir for the generated images (default: a new temp dir, removed at the end)")
	keep := flag.Bool("keep", false, "keep the temp work dir and print its name (a -dir is always kept, and reused by the next run)")
	bin := flag.String("imgdiff", "", "imgdiff binary to time (default: go build ./cmd/imgdiff)")
	genOnly := flag.Bool("gen-only", false, "generate the images into -dir and stop (for profiling)")
	only := flag.String("only", "", "run only the targets whose name contains this (for iterating on one)")
	flag.Float64Var(&scale, "scale", 1, "generate the images this much smaller (0.1: a tenth of the files and big-file bytes), for developing the harness; a -dir generated at another scale is regenerated")
	flag.Int64Var(&netRate, "rate", 40e6, "the throttled registry's cap per connection, bytes a second")
	flag.DurationVar(&netLatency, "latency", 10*time.Millisecond, "the throttled registry's latency per request")
	serve := flag.Bool("serve", false, "serve the gzip layout's images (bench:big, bench:next, bench:single) from the bench's registry and its throttle until interrupted, for timing or profiling by hand")
	flag.Parse()
	if *serve {
		if err := serveUntilInterrupted(*dir); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		return
	}
	if scale <= 0 || scale > 1 {
		fmt.Fprintln(os.Stderr, "bench: -scale must be in (0, 1]")
		os.Exit(2)
	}
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "bench: -runs must be at least 1")
		os.Exit(2)
	}
	if *genOnly {
		*keep = true
	}
	ok, err := bench(*dir, *runs, *keep, *bin, *genOnly, *only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func runBaseline(args []string) int {
	var n int64
	var err error
	switch {
	case args[0] == "baseline-headers" && len(args) == 2:
		n, err = baselineHeaders(args[1])
	case args[0] == "baseline-decompress" && len(args) == 3:
		n, err = baselineDecompress(args[1], args[2], false)
	case args[0] == "baseline-decompress-verify" && len(args) == 3:
		n, err = baselineDecompress(args[1], args[2], true)
	case args[0] == "baseline-decompress-verify-headers" && len(args) == 3:
		n, err = baselineDecompressHeaders(args[1], args[2])
	default:
		err = fmt.Errorf("usage: baseline-headers ARCHIVE | baseline-decompress[-verify[-headers]] LAYOUT TAG")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		return 2
	}
	fmt.Println(n)
	return 0
}

var whiteoutNs = []int{100, 1000, 10000}

// needDisk is what the generated images take at scale 1, with margin.
const needDisk = 13 << 30

func bench(dir string, runs int, keep bool, bin string, genOnly bool, only string) (bool, error) {
	start := time.Now()
	if dir == "" {
		d, err := os.MkdirTemp("", "imgdiff-bench-")
		if err != nil {
			return false, err
		}
		dir = d
	} else {
		// A dir the user names is theirs: never removed, so images
		// generated into it are reused by the next run.
		keep = true
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, err
		}
	}
	if !keep {
		defer os.RemoveAll(dir)
		// Gigabytes of images must not outlive an interrupted run.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-sig
			fmt.Fprintln(os.Stderr, "bench: interrupted, removing", dir)
			os.RemoveAll(dir)
			os.Exit(130)
		}()
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return false, err
	}
	free := int64(st.Bavail) * st.Bsize
	fmt.Printf("bench: work dir %s (%.1f GB free), %d CPUs, load average %s at the start, %d runs per timing\n", dir, float64(free)/1e9, runtime.NumCPU(), loadAverage(), runs)

	// -only naming a memory target ("RSS") needs only the many-entry
	// images (no other target's name says RSS); a fleet target makes its
	// own images.
	memOnly := strings.Contains(only, "RSS") || strings.Contains(only, "fleet")
	g := &generated{Scale: scale}
	if !memOnly {
		var err error
		if g, err = loadOrGenerate(dir, free); err != nil {
			return false, err
		}
		fmt.Printf("bench: big image: %d layers, %d files (%d tar entries), %.2f GB content; tar %.2f GB, gzip %.2f GB, zstd %.2f GB\n",
			g.BigLayers, g.BigFiles, g.BigEntries, float64(g.BigBytes)/1e9, float64(g.Uncompressed)/1e9, float64(g.GzipBytes)/1e9, float64(g.ZstdBytes)/1e9)
	}
	if genOnly {
		return true, nil
	}

	if bin == "" {
		bin = filepath.Join(dir, "imgdiff")
		t := time.Now()
		out, err := exec.Command("go", "build", "-o", bin, "./cmd/imgdiff").CombinedOutput()
		if err != nil {
			return false, fmt.Errorf("go build ./cmd/imgdiff: %v\n%s", err, out)
		}
		fmt.Printf("bench: built imgdiff in %s\n", time.Since(t).Round(time.Millisecond))
	}
	self, err := os.Executable()
	if err != nil {
		return false, err
	}
	cacheDir := filepath.Join(dir, "cache")
	noCache := []string{"IMGDIFF_NO_CACHE=1"}
	withCache := []string{"IMGDIFF_CACHE_DIR=" + cacheDir}
	analyze := func(ref string) command {
		return command{env: noCache, args: []string{bin, "analyze", ref, "-o", "json"}}
	}
	bigA := "docker-archive:" + g.Big
	bigGz := "oci:" + g.GzipLayout + ":big"
	nextGz := "oci:" + g.GzipLayout + ":next"
	bigZs := "oci:" + g.ZstdLayout + ":big"
	if g.Scale != 1 {
		fmt.Printf("bench: images at -scale %g: the figures are for developing the harness, not for the targets\n", g.Scale)
	}
	larger := bigGz
	if g.NextBytes > g.BigBytes {
		larger = nextGz
	}

	m := &measurer{runs: runs}
	var res []target
	// want says whether -only selects the target named name.
	want := func(name string) bool { return only == "" || strings.Contains(name, only) }
	var rss []int64 // peak RSS of each analyze of the big image

	// Uncompressed archive against the header walk.
	if name := "analyze docker-archive (uncompressed) / baseline (a) header walk"; want(name) {
		t, base := m.pair(analyze(bigA), command{args: []string{self, "baseline-headers", g.Big}})
		res = append(res, ratioTarget(name, t, base, 1.5))
		rss = append(rss, t.rss)
	}

	// Compressed layouts against the floor any correct reader must spend
	// (issue 26): parallel decompression, the SHA-256 of each blob
	// (integrity stays, every blob is digest-checked) and a bare walk of
	// the decoded tar headers. The ratios to decompression with and
	// without the SHA-256 are information.
	for _, c := range []struct{ name, layout, ref string }{
		{"gzip", g.GzipLayout, bigGz},
		{"zstd", g.ZstdLayout, bigZs},
	} {
		name := "analyze OCI layout, " + c.name + " / baseline (c) decompress + SHA-256 + header walk"
		if !want(name) {
			continue
		}
		ts := m.group(analyze(c.ref),
			command{args: []string{self, "baseline-decompress-verify-headers", c.layout, "big"}},
			command{args: []string{self, "baseline-decompress-verify", c.layout, "big"}},
			command{args: []string{self, "baseline-decompress", c.layout, "big"}})
		res = append(res, ratioTarget(name, ts[0], ts[1], 1.15),
			infoTarget("(info) analyze OCI layout, "+c.name+" / baseline (b) decompress + SHA-256", ts[0], ts[2]),
			infoTarget("(info) analyze OCI layout, "+c.name+" / baseline (b) decompress, no SHA-256", ts[0], ts[3]))
		rss = append(rss, ts[0].rss)
	}

	// Registry: the gzip layout's images served by a registry on
	// 127.0.0.1, through a proxy that caps each connection.
	if !memOnly {
		r, err := registryTargets(m, g, self, bin, want)
		if err != nil {
			return false, err
		}
		res = append(res, r...)
	}

	// Compare of two images sharing their base, against the larger alone.
	if name := "compare big next (gzip, shared base) / analyze the larger alone"; want(name) {
		t, larger := m.pair(command{env: noCache, args: []string{bin, "compare", bigGz, nextGz, "-o", "json"}}, analyze(larger))
		res = append(res, ratioTarget(name, t, larger, 1.2))
	}

	// Whiteout-heavy: linear in N.
	last := len(whiteoutNs) - 1
	grow := whiteoutNs[last] / whiteoutNs[0]
	if name := fmt.Sprintf("whiteout-heavy: time(N=%d) / time(N=%d), linear bound", whiteoutNs[last], whiteoutNs[0]); want(name) {
		var wt []timing
		for _, n := range whiteoutNs {
			wt = append(wt, m.one(analyze("docker-archive:"+g.Whiteouts[n])))
		}
		for i := 1; i < len(whiteoutNs); i++ {
			fmt.Printf("  whiteouts N=%d: %s (x%.2f for N x%d)\n", whiteoutNs[i], wt[i].wall, ratio(wt[i], wt[i-1]), whiteoutNs[i]/whiteoutNs[i-1])
		}
		res = append(res, ratioTarget(name, wt[last], wt[0], float64(grow)*1.2))
	}

	// Peak RSS of analysing the 150k-file image, worst of the formats run.
	if len(rss) > 0 {
		peak := slices.Max(rss)
		res = append(res, target{
			name:  fmt.Sprintf("peak RSS, analyze of the %d-file image (worst format)", g.BigFiles),
			value: fmt.Sprintf("%.0f MB (%.0f B/file, %.0f B/entry)", float64(peak)/1e6, float64(peak)/float64(g.BigFiles), float64(peak)/float64(g.BigEntries)),
			pass:  peak > 0 && peak < 300e6, limit: "< 300 MB",
		})
	}

	// Memory of the whole command on millions of entries (issue 26).
	r, err := memoryTargets(m, dir, bin, want)
	if err != nil {
		return false, err
	}
	res = append(res, r...)

	// A fleet of images sharing bases (issue 28).
	if r, err := fleetTargets(dir, bin, want); err != nil {
		return false, err
	} else {
		res = append(res, r...)
	}

	// Cache: a second compare of the same images, against the first.
	if name := "compare, warm cache / cold cache"; want(name) {
		cold, warm := m.cache(command{env: withCache, args: []string{bin, "compare", bigGz, nextGz, "-o", "json"}}, cacheDir)
		res = append(res, ratioTarget(name, warm, cold, 0.10))
	}
	if len(res) == 0 {
		return false, fmt.Errorf("-only %q selects no target", only)
	}

	fmt.Println()
	fmt.Printf("%-72s %-28s %-10s %s\n", "TARGET", "MEASURED", "LIMIT", "")
	allPass := true
	for _, r := range res {
		verdict := "PASS"
		switch {
		case r.info:
			verdict = "info"
		case !r.pass:
			verdict, allPass = "FAIL", false
		}
		fmt.Printf("%-72s %-28s %-10s %s\n", r.name, r.value, r.limit, verdict)
	}
	fmt.Printf("\nbench: done in %s, %d CPUs, load average %s at the end\n", time.Since(start).Round(time.Second), runtime.NumCPU(), loadAverage())
	return allPass, m.err
}

// loadOrGenerate reuses images a kept work dir already holds, else
// generates them.
func loadOrGenerate(dir string, free int64) (*generated, error) {
	stamp := filepath.Join(dir, "generated.json")
	if g, err := readStamp(stamp); err == nil && g.Scale == scale && g.SingleGzip > 0 {
		fmt.Println("bench: reusing the images in", dir)
		return g, nil
	}
	// Images of another scale or an older generator are written again.
	for _, old := range []string{"big-docker.tar", "oci-gzip", "oci-zstd", "work"} {
		if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
			return nil, err
		}
	}
	if need := int64(float64(needDisk) * scale); free < need {
		return nil, fmt.Errorf("%s: %.1f GB free, the bench needs %.1f GB", dir, float64(free)/1e9, float64(need)/1e9)
	}
	t := time.Now()
	g, err := generate(dir, whiteoutNs)
	if err != nil {
		return nil, fmt.Errorf("generating images: %w", err)
	}
	fmt.Printf("bench: generated the images in %s\n", time.Since(t).Round(time.Millisecond))
	return g, writeStamp(stamp, g)
}

type command struct {
	env  []string
	args []string
}

func (c command) String() string { return strings.Join(c.args, " ") }

type timing struct {
	wall time.Duration
	cpu  time.Duration // user + system
	rss  int64         // bytes
	// serverCPU is this process's CPU meanwhile: the registry and the
	// throttle serving the command, on the same cores.
	serverCPU time.Duration
}

// selfCPU is this process's user + system time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measurer runs commands and keeps the first error.
type measurer struct {
	runs int
	err  error
}

// runOnce runs c with stdout to /dev/null and returns its wall time, CPU
// time and peak RSS. It runs c through `bench measure`, a fresh small
// process: Linux starts a child's peak RSS (ru_maxrss) at its parent's
// high-water mark (the exec records the forked memory's peak), and this
// process's is the generator's hundreds of MB.
func (m *measurer) runOnce(c command) timing {
	self, err := os.Executable()
	if err != nil {
		m.err = cmp.Or(m.err, err)
		return timing{}
	}
	cmd := exec.Command(self, append([]string{"measure"}, c.args...)...)
	cmd.Env = append(os.Environ(), c.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	before := selfCPU()
	err = cmd.Run()
	var t timing
	t.serverCPU = selfCPU() - before
	if err == nil {
		var wall, cpu, rss int64
		if _, serr := fmt.Sscan(stdout.String(), &wall, &cpu, &rss); serr != nil {
			err = fmt.Errorf("bench measure printed %q: %v", stdout.String(), serr)
		}
		t.wall, t.cpu, t.rss = time.Duration(wall), time.Duration(cpu), rss
	}
	if err != nil && m.err == nil {
		m.err = fmt.Errorf("%s: %v: %s", c, err, strings.TrimSpace(stderr.String()))
	}
	return t
}

// runMeasured is `bench measure CMD ARGS...`: it runs the command with
// stdout to /dev/null and stderr passed on, and prints its wall time and
// CPU time in ns and its peak RSS in bytes. It fails as the command does.
func runMeasured(args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	t := time.Now()
	err := cmd.Run()
	wall := time.Since(t)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // kB on Linux
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	fmt.Println(int64(wall), int64(cpu), rss)
	return 0
}

// pair times a and b alternately, runs times each, and returns the
// medians: alternating spreads the machine's noise over both.
func (m *measurer) pair(a, b command) (timing, timing) {
	var ta, tb []timing
	for range m.runs {
		ta = append(ta, m.runOnce(a))
		tb = append(tb, m.runOnce(b))
	}
	ma, mb := median(ta), median(tb)
	fmt.Printf("  %s: %s, CPU %s (peak RSS %.0f MB)\n  %s: %s, CPU %s\n", a, ma.wall, ma.cpu, float64(ma.rss)/1e6, b, mb.wall, mb.cpu)
	return ma, mb
}

// group times cs in turn, runs rounds, and returns the median of each.
func (m *measurer) group(cs ...command) []timing {
	all := make([][]timing, len(cs))
	for range m.runs {
		for i, c := range cs {
			all[i] = append(all[i], m.runOnce(c))
		}
	}
	out := make([]timing, len(cs))
	for i, c := range cs {
		out[i] = median(all[i])
		server := ""
		if out[i].serverCPU > 50*time.Millisecond {
			server = fmt.Sprintf(", registry+throttle CPU %s", out[i].serverCPU.Round(time.Millisecond))
		}
		fmt.Printf("  %s: %s, CPU %s%s (peak RSS %.0f MB)\n", c, out[i].wall.Round(time.Millisecond), out[i].cpu.Round(time.Millisecond), server, float64(out[i].rss)/1e6)
	}
	return out
}

func (m *measurer) one(c command) timing {
	var ts []timing
	for range m.runs {
		ts = append(ts, m.runOnce(c))
	}
	return median(ts)
}

// cache times c on an empty cache, then again on the cache it filled.
func (m *measurer) cache(c command, dir string) (cold, warm timing) {
	var tc, tw []timing
	for range m.runs {
		if err := os.RemoveAll(dir); err != nil && m.err == nil {
			m.err = err
		}
		tc = append(tc, m.runOnce(c))
		tw = append(tw, m.runOnce(c))
	}
	cold, warm = median(tc), median(tw)
	fmt.Printf("  %s: cold %s, warm %s\n", c, cold.wall, warm.wall)
	return cold, warm
}

func median(ts []timing) timing {
	s := slices.Clone(ts)
	slices.SortFunc(s, func(a, b timing) int { return int(a.wall - b.wall) })
	out := s[len(s)/2]
	out.rss = slices.MaxFunc(ts, func(a, b timing) int { return int(a.rss - b.rss) }).rss
	return out
}

type target struct {
	name, value, limit string
	pass               bool
	info               bool // a diagnostic, no verdict
}

func ratio(a, b timing) float64 { return a.wall.Seconds() / b.wall.Seconds() }

// infoTarget is a ratio printed without a verdict.
func infoTarget(name string, a, b timing) target {
	t := ratioTarget(name, a, b, 0)
	t.limit, t.info = "-", true
	return t
}

func ratioTarget(name string, a, b timing, max float64) target {
	r := ratio(a, b)
	return target{
		name:  name,
		value: fmt.Sprintf("%.3fx (%s / %s)", r, a.wall.Round(time.Millisecond), b.wall.Round(time.Millisecond)),
		limit: fmt.Sprintf("<= %.2fx", max),
		pass:  r <= max && a.wall > 0 && b.wall > 0,
	}
}

// loadAverage is the 1, 5 and 15-minute load averages, as /proc/loadavg
// has them ("?" where there is none): a timing taken beside other work is
// worth less, and the report says so.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// memoryTargets are the peak RSS of the whole command on a layer of
// millions of entries, per entry, in every output format, and of a
// comparison of two such images against one analysis (issue 26). Each
// is one run in a fresh process: memory is not noise-bound as time is.
func memoryTargets(m *measurer, dir, bin string, want func(string) bool) ([]target, error) {
	perEntry := "peak RSS per tar entry, analyze of a one-layer image of millions of entries, worst format"
	cmpName := "peak RSS, compare of two such images / analyze of one"
	if !want(perEntry) && !want(cmpName) {
		return nil, nil
	}
	t := time.Now()
	mi, err := generateMany(dir)
	if err != nil {
		return nil, fmt.Errorf("generating the many-entry images: %w", err)
	}
	fmt.Printf("bench: many-entry images: %d and %d tar entries (%s)\n", mi.EntriesA, mi.EntriesB, time.Since(t).Round(time.Millisecond))
	refA, refB := "oci:"+mi.A+":many", "oci:"+mi.B+":many"
	var worst int64
	for _, f := range []string{"json", "table", "markdown", "html", "ncdu", "sarif"} {
		tm := m.runOnce(command{env: []string{"IMGDIFF_NO_CACHE=1"}, args: []string{bin, "analyze", refA, "-o", f}})
		fmt.Printf("  analyze -o %s: %s, CPU %s, peak RSS %.0f MB (%.0f B/entry)\n", f, tm.wall.Round(time.Millisecond), tm.cpu.Round(time.Millisecond), float64(tm.rss)/1e6, float64(tm.rss)/float64(mi.EntriesA))
		worst = max(worst, tm.rss)
	}
	var res []target
	if want(perEntry) {
		per := float64(worst) / float64(mi.EntriesA)
		res = append(res, target{
			name:  perEntry,
			value: fmt.Sprintf("%.0f B/entry (%.0f MB, %d entries)", per, float64(worst)/1e6, mi.EntriesA),
			limit: "<= 150 B", pass: worst > 0 && per <= 150,
		})
	}
	if want(cmpName) {
		tm := m.runOnce(command{env: []string{"IMGDIFF_NO_CACHE=1"}, args: []string{bin, "compare", refA, refB, "-o", "json"}})
		fmt.Printf("  compare: %s, CPU %s, peak RSS %.0f MB\n", tm.wall.Round(time.Millisecond), tm.cpu.Round(time.Millisecond), float64(tm.rss)/1e6)
		r := float64(tm.rss) / float64(worst)
		res = append(res, target{
			name:  cmpName,
			value: fmt.Sprintf("%.2fx (%.0f MB / %.0f MB)", r, float64(tm.rss)/1e6, float64(worst)/1e6),
			limit: "<= 2.00x", pass: worst > 0 && tm.rss > 0 && r <= 2,
		})
	}
	return res, nil
}
