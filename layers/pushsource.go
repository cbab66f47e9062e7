package layers

import (
	"errors"
	"fmt"
	"io"
)

// pushSource is a blockSource over a decompressor's WriteTo. Read copies
// every decoded byte out of the decoder into the caller's buffer; WriteTo
// hands out the decoder's own blocks instead. Bodies are most of a layer
// and the walk only skips them, so reading through WriteTo saves a copy of
// every decompressed byte. WriteTo pushes and the tar reader pulls, so
// WriteTo runs in a goroutine that hands each block over and waits until
// the reader is done with it: the two take turns and never run at once.
type pushSource struct {
	blocks  chan []byte   // decoded blocks, from the writer goroutine
	release chan struct{} // tells the writer the last block is consumed
	stop    chan struct{} // closed by Close: the writer must return
	ended   chan struct{} // closed when the writer goroutine has returned
	err     error         // WriteTo's result, read after ended

	held  bool   // a block is out and the writer waits for release
	cur   []byte // unconsumed part of the held block
	carry []byte // bytes copied out of earlier blocks, consumed before cur
	eof   error  // set once the writer has ended: io.EOF or its error
	spare []byte // carry's buffer, reused

	// done and canceled, when set, are the walk's ctx.Done and ctx.Err:
	// every block handed over, and every wait for one, checks them, so
	// that skipping or draining a huge body stops at an interrupt.
	done     <-chan struct{}
	canceled func() error
}

// errSourceClosed ends a WriteTo whose reader has gone away.
var errSourceClosed = errors.New("layer reader closed")

// newPushSource starts wt.WriteTo in a goroutine; its errors are prefixed
// with format ("zstd"). Close must be called.
func newPushSource(wt io.WriterTo, format string) *pushSource {
	s := &pushSource{
		blocks:  make(chan []byte),
		release: make(chan struct{}),
		stop:    make(chan struct{}),
		ended:   make(chan struct{}),
	}
	go func() {
		defer close(s.ended)
		if _, err := wt.WriteTo(handoff{s}); err != nil {
			s.err = fmt.Errorf("%s: %w", format, err)
		}
	}()
	return s
}

// handoff is the io.Writer WriteTo writes to.
type handoff struct{ s *pushSource }

func (h handoff) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	select {
	case h.s.blocks <- p:
	case <-h.s.stop:
		return 0, errSourceClosed
	}
	// p belongs to the reader until it releases it; returning earlier
	// would let the decoder overwrite bytes still being parsed.
	select {
	case <-h.s.release:
		return len(p), nil
	case <-h.s.stop:
		return 0, errSourceClosed
	}
}

// fill makes cur non-empty, releasing the consumed block first. It returns
// io.EOF at the clean end and the decoder's error otherwise.
func (s *pushSource) fill() error {
	if len(s.cur) > 0 {
		return nil
	}
	if s.eof != nil {
		return s.eof
	}
	if s.canceled != nil {
		if err := s.canceled(); err != nil {
			return err
		}
	}
	if s.held {
		s.held = false
		s.release <- struct{}{}
	}
	select {
	case b := <-s.blocks:
		s.held, s.cur = true, b
		return nil
	case <-s.ended:
		s.eof = s.err
		if s.eof == nil {
			s.eof = io.EOF
		}
		return s.eof
	case <-s.done: // nil, and never ready, unless set
		return s.canceled()
	}
}

func (s *pushSource) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(s.carry) > 0 {
		n := copy(p, s.carry)
		s.carry = s.carry[n:]
		return n, nil
	}
	if err := s.fill(); err != nil {
		return 0, err
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	return n, nil
}

// Peek returns the next n bytes, in place when one block holds them. The
// result is valid until the next Read, Peek or skip that needs another
// block, which is how fastTar uses it.
func (s *pushSource) Peek(n int) ([]byte, error) {
	if len(s.carry) == 0 {
		if err := s.fill(); err != nil {
			return nil, err
		}
		if len(s.cur) >= n {
			return s.cur[:n], nil
		}
		// Across a block boundary: copy what is needed, at most n bytes.
		if cap(s.spare) < n {
			s.spare = make([]byte, 0, max(n, 512))
		}
		s.carry = s.spare[:0]
	}
	for len(s.carry) < n {
		if err := s.fill(); err != nil {
			return s.carry, err
		}
		k := min(n-len(s.carry), len(s.cur))
		s.carry = append(s.carry, s.cur[:k]...)
		s.cur = s.cur[k:]
	}
	return s.carry[:n], nil
}

func (s *pushSource) seekable() bool { return false }

func (s *pushSource) skip(n int64) (int64, error) {
	var done int64
	if k := min(n, int64(len(s.carry))); k > 0 {
		s.carry = s.carry[k:]
		done += k
	}
	for done < n {
		if err := s.fill(); err != nil {
			return done, err
		}
		k := min(n-done, int64(len(s.cur)))
		s.cur = s.cur[k:]
		done += k
	}
	return done, nil
}

// drain consumes the rest of the stream, so the decoder reaches its end
// and checks what it checks there. It returns nil at a clean end.
func (s *pushSource) drain() error {
	s.carry = nil
	for {
		s.cur = nil
		if err := s.fill(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// Close stops the writer goroutine and waits for it, so the decoder may
// be closed after it.
func (s *pushSource) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.ended
	return nil
}
