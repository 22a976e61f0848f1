package site

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

type page struct{ app.Compo }

func (*page) Render() app.UI { return app.P().Text("page") }

var routeOnce sync.Once

// generate writes go-app's own site (no bpfplay edits) for prefix into a
// temporary directory.
func generate(t *testing.T, prefix string) string {
	t.Helper()
	routeOnce.Do(func() { app.Route("/", &page{}) })
	dir := t.TempDir()
	if err := app.GenerateStaticWebsite(dir, Handler(prefix, "test", nil)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// UseEarlyLoader puts the compile script before every stylesheet and
// script of the page, makes app.js instantiate that module, and registers
// the service worker only from the idle callback, for the prefix's URLs.
func TestUseEarlyLoader(t *testing.T) {
	for _, prefix := range []string{"", "/docs/bpfplay"} {
		dir := generate(t, prefix)
		stock := read(t, filepath.Join(dir, "app.js"))
		if err := UseEarlyLoader(dir, prefix); err != nil {
			t.Fatalf("prefix %q: %v", prefix, err)
		}
		page := read(t, filepath.Join(dir, "index.html"))
		loader := strings.Index(page, "WebAssembly.compileStreaming(fetch(url))")
		if loader < 0 || !strings.Contains(page, `var url = "`+prefix+`/web/app.wasm";`) {
			t.Fatalf("prefix %q: the page has no loader for %s/web/app.wasm:\n%s", prefix, prefix, page)
		}
		for _, later := range []string{`rel="stylesheet"`, `<script src=`, `<script defer`, `rel="preload"`} {
			if i := strings.Index(page, later); i >= 0 && i < loader {
				t.Errorf("prefix %q: %s comes before the loader", prefix, later)
			}
		}
		js := read(t, filepath.Join(dir, "app.js"))
		// go-app registers the worker at the top of app.js; the edited file
		// calls goappInitServiceWorker only from goappRegisterWhenIdle.
		if !strings.Contains(stock, "\ngoappInitServiceWorker();\n") {
			t.Fatalf("go-app's app.js no longer registers the worker at the top; the test needs a look")
		}
		if strings.Contains(js, "\ngoappInitServiceWorker();\n") {
			t.Errorf("prefix %q: app.js still registers the service worker at once", prefix)
		}
		if n := strings.Count(js, "goappRegisterWhenIdle();"); n != 2 {
			t.Errorf("prefix %q: goappRegisterWhenIdle is called %d times, want 2 (after loading, and when no wasm loads)", prefix, n)
		}
		if !strings.Contains(js, "await WebAssembly.instantiate(await window.bpWasmModule, go.importObject)") {
			t.Errorf("prefix %q: app.js does not instantiate the early module", prefix)
		}
		// The fallback keeps go-app's own fetch of the same URL.
		if !strings.Contains(js, `fetchWithProgress("`+prefix+`/web/app.wasm", showProgress)`) {
			t.Errorf("prefix %q: app.js lost go-app's fallback fetch", prefix)
		}
	}
}

// A go-app whose app.js differs stops the site build with a message
// instead of shipping a half-edited loader.
func TestUseEarlyLoaderRefusesUnknownAppJS(t *testing.T) {
	dir := generate(t, "")
	js := filepath.Join(dir, "app.js")
	if err := os.WriteFile(js, []byte(strings.Replace(read(t, js), "go.run(wasm.instance);", "go.run(wasm.instance, 1);", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	before := read(t, filepath.Join(dir, "index.html"))
	err := UseEarlyLoader(dir, "")
	if err == nil || !strings.Contains(err.Error(), "go-app's loader is not the one") {
		t.Fatalf("UseEarlyLoader on a changed app.js: %v", err)
	}
	if read(t, filepath.Join(dir, "index.html")) != before {
		t.Errorf("the page was edited although app.js could not be")
	}
}
