package browsertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The early loader (web/site/loader.go) fetches app.wasm once, from the
// top of the page, and the app still starts: no second copy for the page
// itself, the loading indicator gone, the player there.
func TestLoaderFetchesWasmOnce(t *testing.T) {
	srv := serveSite(t, siteDirectory(t), "")
	b := newBrowser(t)
	b.open(srv.URL + "/?lesson=hash-buckets")
	b.run("player", chromedp.WaitReady("#bp-player", chromedp.ByQuery))
	var fetched int
	b.eval(`performance.getEntriesByType("resource").filter(e => e.name.endsWith("/web/app.wasm")).length`, &fetched)
	if fetched != 1 {
		t.Errorf("the page fetched app.wasm %d times, want 1", fetched)
	}
	var loader int
	b.eval(`document.querySelectorAll("#app-wasm-loader").length`, &loader)
	if loader != 0 {
		t.Errorf("the loading indicator is still there after the app started")
	}
	b.check(srv.URL)
}

// When app.wasm cannot be had, the loading indicator says so, naming the
// file and the HTTP status, instead of spinning forever.
func TestLoaderReportsMissingWasm(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(siteDirectory(t))); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "web", "app.wasm")); err != nil {
		t.Fatal(err)
	}
	srv := serveSite(t, dir, "")
	b := newBrowser(t)
	b.run("open", chromedp.Navigate(srv.URL+"/?lesson=hash-buckets"))
	var label string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		b.eval(`(document.getElementById("app-wasm-loader-label") || {}).innerText || ""`, &label)
		if strings.Contains(label, "404") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(label, "app.wasm") || !strings.Contains(label, "404") {
		t.Errorf("loading label with app.wasm missing: %q, want it to name app.wasm and 404", label)
	}
}

// ?wasm=false (go-app's switch for a page without the app) loads no wasm.
func TestLoaderHonoursWasmFalse(t *testing.T) {
	srv := serveSite(t, siteDirectory(t), "")
	b := newBrowser(t)
	b.run("open", chromedp.Navigate(srv.URL+"/?wasm=false"), chromedp.WaitReady("body", chromedp.ByQuery))
	time.Sleep(time.Second)
	b.mu.Lock()
	reqs := append([]string(nil), b.requests...)
	b.mu.Unlock()
	for _, r := range reqs {
		if strings.HasSuffix(r, "/web/app.wasm") {
			t.Errorf("?wasm=false still fetched %s", r)
		}
	}
}
