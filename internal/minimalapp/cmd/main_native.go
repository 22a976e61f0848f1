//go:build !(js && wasm)

// Command cmd writes the minimal go-app app's static site: -out DIR
// (DIR/web/app.wasm must exist). Local icons, as for bpfplay.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bpfplay/bpfplay/internal/minimalapp"
	"github.com/bpfplay/bpfplay/static"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func main() {
	out := flag.String("out", "build/minimal", "site directory")
	flag.String("prefix", "", "unused; accepted like the bpfplay entry")
	flag.Parse()
	minimalapp.Register()
	h := &app.Handler{
		Name:    "minimal",
		Title:   "minimal",
		Version: "1",
		Icon:    app.Icon{Default: "/web/icon-192.png", Large: "/web/icon-512.png", SVG: "/web/icon.svg"},
	}
	if err := app.GenerateStaticWebsite(*out, h); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range []string{"icon-192.png", "icon-512.png", "icon.svg"} {
		b, _ := static.Files.ReadFile(f)
		if err := os.WriteFile(filepath.Join(*out, "web", f), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
