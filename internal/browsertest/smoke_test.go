package browsertest

import (
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
