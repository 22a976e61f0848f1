//go:build js && wasm

// Command cmd is the minimal go-app app's entry (browser side).
package main

import (
	"syscall/js"

	"github.com/bpfplay/bpfplay/internal/minimalapp"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func main() {
	// The same mark as bpfplay's main (web.Mark): the benchmark splits each
	// cold start at it.
	js.Global().Get("performance").Call("mark", "bp-main")
	minimalapp.Register()
	app.RunWhenOnBrowser()
}
