package cmdutil

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/imgdiff/imgdiff/layers"
)

// TestRangedFlags parses --ranged-threshold and --ranged-conns as a
// command does and checks the layers options they become.
func TestRangedFlags(t *testing.T) {
	cases := []struct {
		args    []string
		want    layers.RangedOptions
		wantErr string
	}{
		// The flags' defaults are the layers' defaults, spelled out.
		{nil, layers.RangedOptions{Threshold: 32 << 20, Total: 8}, ""},
		{[]string{"--ranged-threshold", "off"}, layers.RangedOptions{Threshold: -1, Total: 8}, ""},
		{[]string{"--ranged-threshold", "OFF"}, layers.RangedOptions{Threshold: -1, Total: 8}, ""},
		{[]string{"--ranged-threshold", "100MB", "--ranged-conns", "16"}, layers.RangedOptions{Threshold: 100e6, Total: 16}, ""},
		{[]string{"--ranged-threshold", "1KiB", "--ranged-conns", "1"}, layers.RangedOptions{Threshold: 1024, Total: 1}, ""},
		{[]string{"--ranged-conns", "0"}, layers.RangedOptions{Threshold: 32 << 20}, ""},
		{[]string{"--ranged-threshold", "0"}, layers.RangedOptions{}, "--ranged-threshold must be more than 0 bytes"},
		{[]string{"--ranged-threshold", "lots"}, layers.RangedOptions{}, `--ranged-threshold: size "lots"`},
		{[]string{"--ranged-threshold", "-5MB"}, layers.RangedOptions{}, "--ranged-threshold"},
		{[]string{"--ranged-conns", "-1"}, layers.RangedOptions{}, "--ranged-conns must be at least 0"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var o SourceOptions
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			AddSourceFlags(fs, &o)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			ios, _, _ := Test()
			po, err := Pipeline(ios, o, nil, nil)
			if tc.wantErr != "" {
				var fe *FlagError
				if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a flag error mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if po.Open.Ranged != tc.want {
				t.Errorf("Ranged = %+v, want %+v", po.Open.Ranged, tc.want)
			}
		})
	}
}
