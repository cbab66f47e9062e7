package cmdutil

import (
	"strconv"

	"github.com/dustin/go-humanize"

	"github.com/imgdiff/imgdiff/analyze/budget"
	"github.com/imgdiff/imgdiff/layers/cache"
)

// OpenCache returns the layer-index cache the commands use, or nil when
// caching is off: --no-cache, or IMGDIFF_NO_CACHE set to a true value. The
// directory is $IMGDIFF_CACHE_DIR, else $XDG_CACHE_HOME/imgdiff, else the
// user cache dir; IMGDIFF_CACHE_MAX_SIZE ("2GB", "500MiB") caps it. A cache
// that cannot be used costs speed, not the run: it is skipped with a
// warning on stderr.
func OpenCache(ios *IOStreams, noCache bool) *cache.Cache {
	if noCache || envTrue(ios.Getenv("IMGDIFF_NO_CACHE")) {
		return nil
	}
	var opts cache.Options
	if s := ios.Getenv("IMGDIFF_CACHE_MAX_SIZE"); s != "" {
		// The size grammar of the budgets: "2GB" is SI, "2GiB" IEC.
		n, err := budget.ParseSize(s)
		if err != nil || n <= 0 || n > 1<<62 {
			ios.Errorf("warning: IMGDIFF_CACHE_MAX_SIZE=%q is not a size such as 2GB; using %s", s, humanize.IBytes(cache.DefaultMaxBytes))
		} else {
			opts.MaxBytes = n
		}
	}
	dir, err := cache.Dir(ios.Getenv)
	if err == nil {
		var c *cache.Cache
		if c, err = cache.Open(dir, opts); err == nil {
			return c
		}
	}
	ios.Errorf("warning: not caching layer indexes: %v", err)
	return nil
}

// envTrue reads a boolean environment variable: "1", "true", "yes" and
// the like are true; empty, "0" and "false" are not.
func envTrue(v string) bool {
	if v == "" {
		return false
	}
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return v != "no" && v != "off"
}
