// Package minimalapp is the smallest go-app v9 app, built and served the
// same way as bpfplay (split main, -trimpath -ldflags='-s -w', static site):
// the baseline for bpfplay's wasm size and cold start (see
// internal/browsertest/bench_test.go).
package minimalapp

import "github.com/maxence-charriere/go-app/v9/pkg/app"

// Hello renders one element only the client shows (#ready), so a cold-start
// measurement waits for the same thing as for bpfplay: the wasm app running.
type Hello struct{ app.Compo }

func (h *Hello) Render() app.UI {
	if app.IsServer {
		return app.Div().Text("loading")
	}
	return app.Div().ID("ready").Text("hello")
}

// Register adds the route, for both entries.
func Register() { app.Route("/", &Hello{}) }
