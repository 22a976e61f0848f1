package browsertest

import (
	"strconv"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/sim/scenario"
	"github.com/bpfplay/bpfplay/web"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const shareScenario = `# share test
map counts type=hash key=4 value=8 max=8 flags=zero_seed
update counts 1 100
update counts 2 200
update counts 9 900
lookup counts 2
delete counts 1
walk counts
`

// TestShareAndEmbed types a scenario in the playground, runs it, steps,
// makes a share link and opens it in a fresh browser: same scenario, same
// step. Then the embed variant renders with minimal chrome. A bad scenario
// shows its line and the text survives a reload.
func TestShareAndEmbed(t *testing.T) {
	s, err := scenario.Parse("share", shareScenario)
	if err != nil {
		t.Fatal(err)
	}
	tr := scenario.Run(s, scenario.Options{})
	srv := serveSite(t, siteDirectory(t), "")

	b := newBrowser(t)
	b.open(srv.URL + "/?page=play")
	b.run("type and run",
		chromedp.SetValue("#bp-editor", shareScenario, chromedp.ByQuery),
		chromedp.Click("#bp-run", chromedp.ByQuery),
	)
	b.waitStep(1)
	b.run("focus body", chromedp.Evaluate(`document.activeElement.blur()`, nil))
	b.key(kb.ArrowRight)
	b.key(kb.ArrowRight)
	b.waitStep(3)
	b.run("share", chromedp.Click("#bp-share", chromedp.ByQuery), chromedp.WaitReady("#bp-share-out", chromedp.ByQuery))
	var link string
	b.eval(`document.querySelector("#bp-share-out").value`, &link)
	if !strings.Contains(link, "#s=") || !strings.HasPrefix(link, srv.URL) {
		t.Fatalf("share link %q", link)
	}
	b.check(srv.URL)

	// A fresh browser (no localStorage, no service worker) opens the link.
	b2 := newBrowser(t)
	b2.open(link)
	b2.waitStep(3)
	var lines []string
	b2.eval(`Array.from(document.querySelectorAll("#bp-source li code")).map(c => c.textContent)`, &lines)
	want := strings.Split(strings.TrimRight(shareScenario, "\n"), "\n")
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("shared scenario shows\n%q\nwant\n%q", lines, want)
	}
	if got := b2.attr("#bp-source li.bp-cur", "data-line"); got != itoa(tr.Steps[2].Line) {
		t.Errorf("current line %s, the trace's step 3 is line %d", got, tr.Steps[2].Line)
	}
	// Embed mode: minimal chrome, same state.
	embed := strings.Replace(link, "?", "?embed=1&", 1)
	b2.open(embed)
	b2.waitStep(3)
	var navs, headers, editors int
	b2.eval(`document.querySelectorAll("nav").length`, &navs)
	b2.eval(`document.querySelectorAll(".bp-header-embed").length`, &headers)
	b2.eval(`document.querySelectorAll("#bp-editor").length`, &editors)
	if navs != 0 || headers != 1 || editors != 0 {
		t.Errorf("embed: %d nav, %d embed headers, %d editors", navs, headers, editors)
	}
	b2.screenshot("embed-shared")
	b2.check(srv.URL)

	// A bad scenario: the error names its line; reload keeps the text.
	b3 := newBrowser(t)
	b3.open(srv.URL + "/?page=play")
	bad := "map m type=hash key=4 value=4 max=4\nfrobnicate m 1\n"
	b3.run("type bad", chromedp.SetValue("#bp-editor", bad, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("#bp-editor").dispatchEvent(new Event("input", {bubbles: true}))`, nil),
		chromedp.Click("#bp-run", chromedp.ByQuery),
		chromedp.WaitReady(`#bp-errors li[data-line="2"]`, chromedp.ByQuery))
	b3.open(srv.URL + "/?page=play")
	var text string
	b3.eval(`document.querySelector("#bp-editor").value`, &text)
	if text != bad {
		t.Errorf("after reload the editor has %q, want %q", text, bad)
	}
	b3.check(srv.URL)
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestShareCodecs: the browser compresses share links with its own
// CompressionStream and Go code with compress/flate; each opens the other's
// links (raw DEFLATE is the format). Damaged and oversized fragments give
// the app's message, not a blank page.
func TestShareCodecs(t *testing.T) {
	srv := serveSite(t, siteDirectory(t), "")
	want := strings.Split(strings.TrimRight(shareScenario, "\n"), "\n")

	// A link made by Go (docs, tests, the CLI) opens in the browser.
	b := newBrowser(t)
	b.open(srv.URL + "/?page=play&step=2#s=" + web.EncodeSource(shareScenario))
	b.waitStep(2)
	var lines []string
	b.eval(`Array.from(document.querySelectorAll("#bp-source li code")).map(c => c.textContent)`, &lines)
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Go-made link shows\n%q\nwant\n%q", lines, want)
	}
	b.check(srv.URL)

	// A link made by the browser decodes in Go to the same scenario.
	b.run("share", chromedp.Click("#bp-share", chromedp.ByQuery), chromedp.WaitReady("#bp-share-out", chromedp.ByQuery))
	var link string
	b.eval(`document.querySelector("#bp-share-out").value`, &link)
	_, frag, ok := strings.Cut(link, "#s=")
	if !ok {
		t.Fatalf("share link %q has no #s=", link)
	}
	got, err := web.DecodeSource(frag)
	if err != nil || got != shareScenario {
		t.Errorf("Go decodes the browser's link to %q, %v; want the scenario", got, err)
	}

	// Bad fragments: cut short, not base64, and a bomb (1 MiB of zeros
	// compresses to about 1 KiB).
	bomb := web.EncodeSource(strings.Repeat("\x00", 1<<20))
	for frag, msg := range map[string]string{
		frag[:len(frag)/2]: "does not decompress",
		"%%%":              "not valid base64url",
		bomb:               "larger than 256 KiB",
	} {
		b2 := newBrowser(t)
		b2.open(srv.URL + "/?page=play#s=" + frag)
		var alert string
		b2.eval(`Array.from(document.querySelectorAll("[role=alert]")).map(e => e.textContent).join(" | ")`, &alert)
		if !strings.Contains(alert, msg) {
			t.Errorf("#s=%.20s…: page says %q, want %q", frag, alert, msg)
		}
	}
}
