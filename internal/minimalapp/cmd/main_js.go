//go:build js && wasm

// Command cmd is the minimal go-app app's entry (browser side).
package main

import (
	"github.com/bpfplay/bpfplay/internal/minimalapp"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func main() {
	minimalapp.Register()
	app.RunWhenOnBrowser()
}
