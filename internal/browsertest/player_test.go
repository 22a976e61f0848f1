package browsertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPlayerControls drives the step toolbar with the mouse: the buttons,
// the slider and the speed, then play and pause. The toolbar is markup kept
// in place while the step changes (web/stepper.go), so the focused button
// keeps its focus and the slider stays the same node (a drag goes on).
func TestPlayerControls(t *testing.T) {
	l := lessonByID(t, "hash-buckets")
	n := len(lessonTrace(t, l).Steps)
	if n < 8 {
		t.Fatalf("the lesson has %d steps; the test needs 8", n)
	}
	srv := serveSite(t, siteDirectory(t), "")
	b := newBrowser(t)
	b.open(fmt.Sprintf("%s/?lesson=%s&step=1", srv.URL, l.ID))
	b.waitStep(1)
	enabled := func(want map[string]bool) {
		t.Helper()
		for id, on := range want {
			var disabled bool
			b.eval(fmt.Sprintf(`document.getElementById(%q).disabled`, id), &disabled)
			if disabled == on {
				t.Errorf("#%s: disabled=%v, want %v", id, disabled, !on)
			}
		}
	}
	state := func(step int) {
		t.Helper()
		b.waitStep(step)
		var value, text string
		b.eval(`document.getElementById('bp-slider').value`, &value)
		b.eval(`document.getElementById('bp-stepno').textContent`, &text)
		if value != fmt.Sprint(step) || !strings.HasSuffix(text, fmt.Sprintf("%d / %d", step, n)) {
			t.Errorf("step %d: slider %s, label %q", step, value, text)
		}
	}
	enabled(map[string]bool{"bp-first": false, "bp-back": false, "bp-fwd": true, "bp-last": true})
	b.eval(`window.__slider = document.getElementById('bp-slider'); true`, nil)

	b.run("click forward", chromedp.Click("#bp-fwd", chromedp.ByQuery))
	state(2)
	var focused string
	b.eval(`document.activeElement && document.activeElement.id`, &focused)
	if focused != "bp-fwd" {
		t.Errorf("after clicking forward the focus is on %q, want bp-fwd", focused)
	}
	enabled(map[string]bool{"bp-first": true, "bp-back": true})
	b.run("click forward again", chromedp.Click("#bp-fwd", chromedp.ByQuery))
	state(3)
	b.run("click back", chromedp.Click("#bp-back", chromedp.ByQuery))
	state(2)
	b.run("click last", chromedp.Click("#bp-last", chromedp.ByQuery))
	state(n)
	enabled(map[string]bool{"bp-fwd": false, "bp-last": false, "bp-back": true})
	b.run("click first", chromedp.Click("#bp-first", chromedp.ByQuery))
	state(1)

	// The slider, as a drag moves it: input events on the same node.
	b.eval(`(() => { const s = document.getElementById('bp-slider'); s.value = '5'; s.dispatchEvent(new Event('input', {bubbles: true})); return true })()`, nil)
	state(5)
	var same bool
	b.eval(`window.__slider === document.getElementById('bp-slider')`, &same)
	if !same {
		t.Error("the slider was replaced while stepping: a drag would stop")
	}

	// The fastest speed, then play until the step moves, then pause.
	b.eval(`(() => { const s = document.getElementById('bp-speed'); s.value = '3'; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, nil)
	b.run("play", chromedp.Click("#bp-play", chromedp.ByQuery))
	b.waitStep(7)
	b.run("pause", chromedp.Click("#bp-play", chromedp.ByQuery))
	b.run("wait for pause", chromedp.WaitReady(`#bp-play[aria-pressed="false"]`, chromedp.ByQuery))
	var speed string
	b.eval(`document.getElementById('bp-speed').value`, &speed)
	if speed != "3" {
		t.Errorf("speed %s after playing, want 3", speed)
	}
	b.check(srv.URL)
}
