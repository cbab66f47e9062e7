// Package throttle owns a TCP proxy on 127.0.0.1 that makes a loopback
// server look like one across a network: each connection's downstream
// throughput is capped and each request burst is delayed. Tests and the
// bench put it in front of an in-process registry to see what a ranged
// fetch gains over one connection; it counts the connections it serves.
package throttle

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards every connection to one target address.
type Proxy struct {
	// Addr is the proxy's host:port on 127.0.0.1.
	Addr string

	ln      net.Listener
	target  string
	rate    int64
	latency time.Duration

	conns, active, peak atomic.Int64
	wg                  sync.WaitGroup
	mu                  sync.Mutex
	open                map[net.Conn]struct{}
	closed              bool
}

// New starts a proxy to target (host:port) that sends each connection's
// bytes from target to the client at most rate bytes a second (rate <= 0:
// no cap) and holds each burst from the client latency before sending it
// on (so a request costs at least one latency).
func New(target string, rate int64, latency time.Duration) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("throttle: %w", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), ln: ln, target: target, rate: rate, latency: latency, open: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Conns is how many connections the proxy has accepted.
func (p *Proxy) Conns() int64 { return p.conns.Load() }

// Peak is the most connections that were open at once.
func (p *Proxy) Peak() int64 { return p.peak.Load() }

// Close stops the proxy, cuts its connections and waits for its goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.open[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		n := p.active.Add(1)
		for {
			old := p.peak.Load()
			if n <= old || p.peak.CompareAndSwap(old, n) {
				break
			}
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.active.Add(-1)
			p.handle(c)
		}()
	}
}

func (p *Proxy) handle(client net.Conn) {
	if !p.track(client) {
		return
	}
	defer p.untrack(client)
	upstream, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(upstream) {
		return
	}
	defer p.untrack(upstream)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.delayed(ctx, upstream, client)
		upstream.(*net.TCPConn).CloseWrite()
	}()
	p.capped(client, upstream)
	cancel()
	client.Close()
	upstream.Close()
	<-done
}

// delayed copies client → upstream, each read held latency.
func (p *Proxy) delayed(ctx context.Context, dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if p.latency > 0 {
				t := time.NewTimer(p.latency)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// maxCredit is how far behind its schedule a connection may fall and
// catch up. A sleep overshoots its deadline (by a millisecond or more on
// a loaded machine); dropping the overshoot every 16 kB read took a
// 40 MB/s cap down to ~13 MB/s, so the deficit is kept, up to this much.
// Further behind, the connection was idle, which earns no more credit
// than that (a burst of maxCredit × rate bytes).
const maxCredit = 20 * time.Millisecond

// capped copies upstream → client at most rate bytes a second, on
// average over maxCredit. An idle connection earns no more than
// maxCredit: after a pause the cap holds at once. Each step is an
// io.CopyN between the two connections, which Linux does with splice
// (no copy through this process): the proxy stands for a network, and
// its CPU is taken from the process measured on the same cores.
func (p *Proxy) capped(dst io.Writer, src io.Reader) {
	if p.rate <= 0 {
		io.Copy(dst, src)
		return
	}
	// A step is 2 ms at the rate, at most 64 kB (at 40 MB/s a sleep
	// every 1.6 ms; a timer per 16 kB cost ~2 s of CPU per 1.4 GB). The
	// bytes of a step go out before its sleep: a burst of one step.
	step := min(max(p.rate/500, 512), 64<<10)
	next := time.Now()
	for {
		n, err := io.CopyN(dst, src, step)
		if n > 0 {
			if earliest := time.Now().Add(-maxCredit); next.Before(earliest) {
				next = earliest
			}
			next = next.Add(time.Duration(float64(n) / float64(p.rate) * float64(time.Second)))
			time.Sleep(time.Until(next))
		}
		if err != nil {
			return
		}
	}
}
