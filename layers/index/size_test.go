package index

import (
	"errors"
	"math"
	"testing"
)

func TestAddSize(t *testing.T) {
	cases := []struct {
		sum, n, want int64
		ok           bool
	}{
		{0, 0, 0, true},
		{1, 2, 3, true},
		{MaxSize - 1, 1, MaxSize, true},
		{MaxSize, 0, MaxSize, true},
		{MaxSize, 1, MaxSize, false},
		{1, MaxSize, 1, false},
		{0, MaxSize + 1, 0, false},
		{0, -1, 0, false},
		{-1, 0, -1, false},
		// The overflow of issue 13: two sparse files of ~9e18 bytes.
		{0, 9_000_000_000_000_000_000, 0, false},
		{math.MaxInt64, math.MaxInt64, math.MaxInt64, false},
		{math.MinInt64, 5, math.MinInt64, false},
	}
	for _, c := range cases {
		got, err := AddSize(c.sum, c.n)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("AddSize(%d, %d) = %d, %v; want %d, ok=%v", c.sum, c.n, got, err, c.want, c.ok)
		}
		if err != nil && !errors.Is(err, ErrSize) {
			t.Errorf("AddSize(%d, %d): %v does not wrap ErrSize", c.sum, c.n, err)
		}
	}
}

func TestCheckSize(t *testing.T) {
	for n, ok := range map[int64]bool{0: true, 1: true, MaxSize: true, MaxSize + 1: false, -1: false, math.MaxInt64: false, math.MinInt64: false} {
		if err := CheckSize(n); (err == nil) != ok {
			t.Errorf("CheckSize(%d) = %v, want ok=%v", n, err, ok)
		}
	}
}

func TestID(t *testing.T) {
	for v, want := range map[int64]uint32{0: 0, 1000: 1000, -1: 1<<32 - 1, -2: 1<<32 - 2, 1<<32 - 1: 1<<32 - 1, 1 << 32: 1<<32 - 1, -1 << 40: 1<<32 - 1, 1 << 62: 1<<32 - 1} {
		if got := ID(v); got != want {
			t.Errorf("ID(%d) = %d, want %d", v, got, want)
		}
	}
}
