//go:build !(js && wasm)

// Command wasm, built natively, writes the static site of the bpfplay app or
// serves one:
//
//	go run ./wasm -out build/site -prefix /some/path   # write the site
//	go run ./wasm -serve 127.0.0.1:8080 -out build/site # serve it
//
// The site is plain files for any static host; app.wasm must already be in
// DIR/web/app.wasm (make wasm builds it).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/bpfplay/bpfplay/web"
	"github.com/bpfplay/bpfplay/web/site"
)

func main() {
	out := flag.String("out", "build/site", "the site directory")
	prefix := flag.String("prefix", "", "URL path the site is served under, e.g. /bpfplay")
	serve := flag.String("serve", "", "serve the site directory on this address (e.g. 127.0.0.1:8080) instead of writing it")
	wasmExec := flag.String("wasm-exec", "", "wasm_exec.js to ship (default: $(go env GOROOT)/lib/wasm/wasm_exec.js)")
	flag.Parse()

	web.Register()
	if *serve != "" {
		if err := site.Serve(*serve, *out, *prefix, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bpfplay:", err)
			os.Exit(1)
		}
		return
	}
	if err := site.Write(*out, *prefix, *wasmExec); err != nil {
		fmt.Fprintln(os.Stderr, "bpfplay:", err)
		os.Exit(1)
	}
	fmt.Printf("bpfplay: wrote the static site to %s (prefix %q)\n", *out, site.CleanPrefix(*prefix))
}
