package main

import "testing"

func TestGreeting(t *testing.T) {
	for in, want := range map[string]string{"": "hello, world", "e2e": "hello, e2e"} {
		if got := greeting(in); got != want {
			t.Errorf("greeting(%q) = %q, want %q", in, got, want)
		}
	}
}
