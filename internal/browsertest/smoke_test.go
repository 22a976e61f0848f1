package browsertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/bpfplay/bpfplay/lessons"
)

// TestHome opens the lesson list: one link per lesson, no console error, no
// request to another origin.
func TestHome(t *testing.T) {
	dir := siteDirectory(t)
	srv := serveSite(t, dir, "")
	b := newBrowser(t)
	b.open(srv.URL + "/")
	var n int
	b.eval(`document.querySelectorAll("#bp-lessons a[data-lesson]").length`, &n)
	ls, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	if n != len(ls) {
		t.Errorf("home lists %d lessons, lessons.Load has %d", n, len(ls))
	}
	b.screenshot("home")
	b.check(srv.URL)
}

// TestLessonOpens opens the first lesson and checks the player is there.
func TestLessonOpens(t *testing.T) {
	dir := siteDirectory(t)
	srv := serveSite(t, dir, "")
	b := newBrowser(t)
	ls, _ := lessons.Load()
	b.open(srv.URL + "/?lesson=" + ls[0].ID + "&step=3")
	b.waitStep(3)
	b.screenshot("smoke-" + ls[0].ID)
	b.check(srv.URL)
}

// TestOfflineAfterLoad: once the service worker has cached the app, a
// lesson opens with the server gone (an offline workshop).
func TestOfflineAfterLoad(t *testing.T) {
	dir := siteDirectory(t)
	srv := serveSite(t, dir, "")
	b := newBrowser(t)
	ls, _ := lessons.Load()
	b.open(srv.URL + "/")
	var ok bool
	b.run("service worker ready", chromedp.Evaluate(`navigator.serviceWorker.ready.then(() => true)`, &ok, func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
	b.check(srv.URL)
	srv.Close()
	b.open(srv.URL + "/?lesson=" + ls[len(ls)-1].ID + "&step=2")
	b.waitStep(2)
}

// TestPrefixedSite writes the site for PREFIX=/some/path (reusing the built
// app.wasm) and opens a lesson under that path: every request stays under
// the prefix and in-app links keep it.
func TestPrefixedSite(t *testing.T) {
	src := siteDirectory(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(filepath.Join(src, "web", "app.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "web", "app.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	gen := exec.Command("go", "run", "./wasm", "-out", dir, "-prefix", "/some/path")
	gen.Dir = repoRoot(t)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("writing the prefixed site: %v\n%s", err, out)
	}
	srv := serveSite(t, dir, "/some/path")
	b := newBrowser(t)
	ls, _ := lessons.Load()
	b.open(srv.URL + "/some/path/?lesson=" + ls[0].ID + "&step=2")
	b.waitStep(2)
	var hrefs []string
	b.eval(`Array.from(document.querySelectorAll("header a")).map(a => a.getAttribute("href"))`, &hrefs)
	for _, h := range hrefs {
		if !strings.HasPrefix(h, "/some/path/") {
			t.Errorf("link %q leaves the prefix", h)
		}
	}
	b.check(srv.URL + "/some/path/")
}

// TestUnknownLesson: the app fetches lessons from the site (app.wasm does not
// embed them). A lesson id the site does not have gives the app's own
// message, and an id that cannot be a lesson is refused without a request.
func TestUnknownLesson(t *testing.T) {
	dir := siteDirectory(t)
	srv := serveSite(t, dir, "")
	b := newBrowser(t)
	for _, id := range []string{"no-such-lesson", "..%2Fetc%2Fpasswd"} {
		b.open(srv.URL + "/?lesson=" + id)
		var msg string
		b.eval(`(document.querySelector("#bp-main [role=alert]") || {}).textContent || ""`, &msg)
		if !strings.Contains(msg, "there is no lesson") {
			t.Errorf("?lesson=%s shows %q, want the app's \"there is no lesson\" message", id, msg)
		}
	}
	b.mu.Lock()
	reqs := append([]string(nil), b.requests...)
	b.mu.Unlock()
	for _, r := range reqs {
		if strings.Contains(r, "passwd") && !strings.HasPrefix(r, srv.URL+"/?lesson=") {
			t.Errorf("a crafted lesson id reached the network: %s", r)
		}
	}
}
