//go:build js && wasm

package main

import (
	"github.com/bpfplay/bpfplay/internal/minimalapp"
	"github.com/bpfplay/bpfplay/lessons"
	"github.com/bpfplay/bpfplay/sim/scenario"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

var keep = []any{scenario.Run, scenario.Parse, lessons.All}

func main() {
	minimalapp.Register()
	if len(keep) == 0 {
		s, _ := scenario.Parse("", "")
		scenario.Run(s, scenario.Options{})
		lessons.All()
	}
	app.RunWhenOnBrowser()
}
