// Command gen writes imgdiff's generated test images: the fixture set (one
// small image in every format imgdiff reads, with expected.json) and the
// demo single-/multi-stage pair that `make demo` compares. The images are
// defined in package layers/imagetest, where tests build them in-process.
//
//	go run ./testdata/gen -set fixtures -out DIR
//	go run ./testdata/gen -set demo -out testdata/demo
package main

// Regenerate the committed fixtures (a test in layers/imagetest checks they
// match): go generate ./testdata/gen
//
//go:generate go run . -set fixtures -out ../fixtures

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/imgdiff/imgdiff/layers/imagetest"
)

func main() {
	set := flag.String("set", "", "what to write: fixtures or demo")
	out := flag.String("out", "", "output directory")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -set fixtures|demo -out DIR")
		os.Exit(2)
	}
	start := time.Now()
	var err error
	switch *set {
	case "fixtures":
		err = imagetest.WriteFixtures(*out)
	case "demo":
		err = imagetest.WriteDemo(*out)
	default:
		err = fmt.Errorf("unknown set %q (want fixtures or demo)", *set)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s to %s in %.1fs\n", *set, *out, time.Since(start).Seconds())
}
