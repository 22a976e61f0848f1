//go:build js && wasm

// Command wasm is the bpfplay app. This file is the browser entry: it only
// registers the routes and starts go-app. The native entry (main_native.go)
// writes or serves the static site; keeping them apart keeps the server
// code out of app.wasm.
package main

import (
	"github.com/bpfplay/bpfplay/web"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func main() {
	// Performance marks let the cold-start benchmark split wasm compile and
	// Go start-up from the app's own work (see web.Mark).
	web.Mark("bp-main")
	web.RepairLocation()
	web.Register()
	app.RunWhenOnBrowser()
}
