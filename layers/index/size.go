package index

import (
	"errors"
	"fmt"
	"math/bits"
)

// MaxSize is the most bytes a size in an index may claim: an entry, a
// layer, an image, or a sum of images. It is 2^50 bytes (1.1 PB), far above
// any real image (a sparse file that claims a terabyte still fits) and far
// enough below the int64 limit that differences of two sizes cannot
// overflow. A size above it is corrupt input, not a figure to report.
const MaxSize = 1 << 50

// ErrSize is wrapped by the errors of AddSize and CheckSize.
var ErrSize = errors.New("size out of range")

// CheckSize returns an error wrapping ErrSize unless 0 <= n <= MaxSize.
func CheckSize(n int64) error {
	if n < 0 || n > MaxSize {
		return fmt.Errorf("%d bytes: %w (0 to %d)", n, ErrSize, int64(MaxSize))
	}
	return nil
}

// AddSize returns sum+n, checked: both must be sizes (CheckSize) and so must
// their sum, which therefore never overflows int64. Sums of sizes that come
// from an image (entry sizes into a layer, layer sizes into an image) go
// through it, so a hostile size claim is an error and never a negative or
// wrapped total.
func AddSize(sum, n int64) (int64, error) {
	if err := CheckSize(n); err != nil {
		return sum, err
	}
	if err := CheckSize(sum); err != nil {
		return sum, err
	}
	s, carry := bits.Add64(uint64(sum), uint64(n), 0)
	if carry != 0 || s > MaxSize {
		return sum, fmt.Errorf("%d + %d bytes: %w (0 to %d)", sum, n, ErrSize, int64(MaxSize))
	}
	return int64(s), nil
}
