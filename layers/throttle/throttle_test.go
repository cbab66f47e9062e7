package throttle

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"
)

// echoServer sends back what it reads, on 127.0.0.1.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestProxy: bytes pass both ways unchanged, every connection is counted,
// the peak is the most open at once, the cap makes a transfer take at
// least size/rate (a lower bound, which a loaded machine cannot break),
// and Close cuts open connections.
func TestProxy(t *testing.T) {
	const rate = 256 << 10
	p, err := New(echoServer(t), rate, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range payload {
		payload[i] = byte(r.UintN(256))
	}
	var conns []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	start := time.Now()
	go conns[0].Write(payload)
	got := make([]byte, len(payload))
	if _, err := io.ReadFull(conns[0], got); err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("echo through the proxy: err %v, equal %v", err, bytes.Equal(got, payload))
	}
	if d, min := time.Since(start), time.Duration(len(payload))*time.Second/rate; d < min*9/10 {
		t.Errorf("%d bytes at %d B/s took %s, want at least %s", len(payload), rate, d, min)
	}
	// The accept loop may lag the dials: wait for it to count them.
	deadline := time.Now().Add(5 * time.Second)
	for p.Conns() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if p.Conns() != 3 || p.Peak() != 3 {
		t.Errorf("Conns %d, Peak %d; want 3 and 3", p.Conns(), p.Peak())
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	conns[1].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conns[1].Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read after Close: %v, want EOF (connection cut)", err)
	}
	for _, c := range conns {
		c.Close()
	}
}
