// Command hello-svc is a small HTTP service (standard library only) that
// imgdiff's end-to-end tests build into single- and multi-stage images.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"strings"
)

func greeting(name string) string {
	if name == "" {
		name = "world"
	}
	return "hello, " + name
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/hello/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"message": greeting(strings.TrimPrefix(r.URL.Path, "/hello/")),
		})
	})
	addr := ":8080"
	if p := os.Getenv("PORT"); p != "" {
		addr = ":" + p
	}
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}
