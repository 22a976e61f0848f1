//go:build !(js && wasm)

// Native only: EncodeSource and DecodeSource are the native share codec
// (share_flate.go); the browser one is tested in internal/browsertest.

package web

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/lessons"
	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/scenario"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// mountAt mounts the App in go-app's client tester and navigates to raw.
func mountAt(t *testing.T, raw string) (*App, app.ClientDispatcher) {
	t.Helper()
	a := &App{}
	d := app.NewClientTester(a)
	u, err := url.Parse("https://test.go-app.dev" + raw)
	if err != nil {
		t.Fatal(err)
	}
	d.Nav(u)
	d.Consume()
	return a, d
}

// nativeTrace runs a lesson's scenario natively: the expected values of
// the tests come from it, not from the UI.
func nativeTrace(t *testing.T, id string) *scenario.Trace {
	t.Helper()
	l, ok := lessons.Get(id)
	if !ok {
		t.Skipf("lesson %q does not exist (yet)", id)
	}
	s, err := scenario.Parse(id, l.Script)
	if err != nil {
		t.Fatalf("lesson %s does not parse: %v", id, err)
	}
	return scenario.Run(s, scenario.Options{MaxSteps: maxUISteps})
}

// TestLessonShowsSimulatorBuckets: at every step of the hash-buckets
// lesson, each bucket row the UI draws lists exactly the keys the
// simulator's World has in that bucket, newest first.
func TestLessonShowsSimulatorBuckets(t *testing.T) {
	tr := nativeTrace(t, "hash-buckets")
	a, d := mountAt(t, "/?lesson=hash-buckets")
	defer d.Close()
	checked := 0
	for i := range tr.Steps {
		a.setStep(i)
		d.Consume()
		a.Update()
		d.Consume()
		html := app.HTMLString(a)
		if want := fmt.Sprintf(`data-step="%d"`, i+1); !strings.Contains(html, want) {
			t.Fatalf("step %d: page does not say %s", i, want)
		}
		_, named := tr.NamedMapsAt(i)
		for _, nm := range named {
			h, ok := nm.Map.Ops().(*sim.Hashtab)
			if !ok || h.NBuckets() > maxDrawnBuckets {
				continue
			}
			for b := uint32(0); b < h.NBuckets(); b++ {
				var keys []string
				for _, e := range h.Bucket(b) {
					keys = append(keys, hex.EncodeToString(e.Key))
				}
				want := fmt.Sprintf(`data-bucket="%d" data-keys="%s"`, b, strings.Join(keys, " "))
				if !strings.Contains(html, want) {
					t.Errorf("step %d map %s: want %s", i, nm.Name, want)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no bucket was checked")
	}
}

// TestStepBackMatchesTrace: stepping back shows the trace's own state, not
// the state the UI was in before.
func TestStepBackMatchesTrace(t *testing.T) {
	tr := nativeTrace(t, "hash-buckets")
	a, d := mountAt(t, "/?lesson=hash-buckets&step=1")
	defer d.Close()
	last := len(tr.Steps) - 1
	a.setStep(last)
	d.Consume()
	a.setStep(2)
	a.Update()
	d.Consume()
	html := app.HTMLString(a)
	st := tr.Steps[2]
	if !strings.Contains(html, `data-step="3"`) {
		t.Fatal("not at step 3")
	}
	if !strings.Contains(html, ">"+htmlEsc(st.Text)+"<") {
		t.Errorf("step 3's statement %q is not shown", st.Text)
	}
	_, named := tr.NamedMapsAt(2)
	for _, nm := range named {
		if want := fmt.Sprintf("%s %d", T("en", "entries"), nm.Map.Len()); !strings.Contains(html, want) {
			t.Errorf("map %s: want %q", nm.Name, want)
		}
	}
}

func htmlEsc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

// TestLanguages: the lesson title and UI strings follow lang.
func TestLanguages(t *testing.T) {
	l, ok := lessons.Get("hash-buckets")
	if !ok {
		t.Skip("no hash-buckets lesson")
	}
	for _, lang := range []string{"en", "zh-CN"} {
		a, d := mountAt(t, "/?lesson=hash-buckets&lang="+lang)
		html := app.HTMLString(a)
		if !strings.Contains(html, htmlEsc(l.Text[lang].Title)) {
			t.Errorf("%s: title %q missing", lang, l.Text[lang].Title)
		}
		if !strings.Contains(html, T(lang, "tryIt")) {
			t.Errorf("%s: %q missing", lang, T(lang, "tryIt"))
		}
		d.Close()
	}
}

// TestBadScenarioKeepsText: a scenario with an error shows the line and
// keeps the text in localStorage.
func TestBadScenarioKeepsText(t *testing.T) {
	a, d := mountAt(t, "/?page=play")
	defer d.Close()
	bad := "map m type=hash key=4 value=4 max=4\nupdate m 1 2\nfrobnicate m\n"
	a.editor = bad
	d.Dispatch(app.Dispatch{Mode: app.Update, Source: a, Function: func(ctx app.Context) { a.onRun(ctx, app.Event{}) }})
	d.Consume()
	a.Update()
	d.Consume()
	html := app.HTMLString(a)
	if !strings.Contains(html, `data-line="3"`) {
		t.Errorf("error does not point at line 3:\n%s", html)
	}
	var saved string
	d.Dispatch(app.Dispatch{Mode: app.Update, Source: a, Function: func(ctx app.Context) { ctx.LocalStorage().Get(draftKey, &saved) }})
	d.Consume()
	if saved != bad {
		t.Errorf("draft not kept: %q", saved)
	}
}

// TestBadURLNoPanic: garbage in the URL shows a notice, never panics.
func TestBadURLNoPanic(t *testing.T) {
	for _, raw := range []string{
		"/?lesson=does-not-exist&step=99",
		"/?page=play#s=!!!notbase64",
		"/?page=play&step=-4&lang=klingon#s=" + EncodeSource("map m type=nope\n"),
		"/?lesson=hash-buckets&step=100000&insn=7",
	} {
		a, d := mountAt(t, raw)
		html := app.HTMLString(a)
		if !strings.Contains(html, "bp-ready") {
			t.Errorf("%s: not rendered", raw)
		}
		d.Close()
	}
}

// TestViewsEscapeScenarioText: the static views are HTML text (htmlDoc,
// svgDoc), so every scenario-controlled string must come out escaped. A
// shared scenario carries markup in a comment, a note, a failed expectation,
// a queue value and a bad statement; no step may render it as markup.
func TestViewsEscapeScenarioText(t *testing.T) {
	src := "# <script>alert(1)</script>\n" +
		"map q type=queue key=0 value=4 max=2\n" +
		"note <img src=x onerror=alert(1)>\n" +
		"push q 0x3c696d67\n" +
		"pop q => 7\n" +
		"map h type=hash key=4 value=4 max=4\n" +
		"update h 1 2\n" +
		"lookup h 1\n"
	a, d := mountAt(t, "/?page=play#s="+EncodeSource(src))
	defer d.Close()
	for i := 0; i <= a.last(); i++ {
		a.setStep(i)
		a.Update()
		d.Consume()
		// Outside the editor (a textarea, whose text go-app escapes too).
		body := app.HTMLString(a)
		if j := strings.Index(body, "<textarea"); j >= 0 {
			if k := strings.Index(body[j:], "</textarea>"); k >= 0 {
				body = body[:j] + body[j+k:]
			}
		}
		for _, bad := range []string{"<script", "<img", "<svg/onload"} {
			if strings.Contains(body, bad) {
				t.Errorf("step %d renders %q as markup", i+1, bad)
			}
		}
		if i == 0 && !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("the comment's text is not shown escaped")
		}
	}
	if a.last() < 6 {
		t.Fatalf("the scenario ran %d steps; want all 7 statements (errors: %v, %s)", a.last()+1, a.errs, a.loadErr)
	}
	// A statement that does not parse: its text comes back in the error list.
	b, d2 := mountAt(t, "/?page=play#s="+EncodeSource("frobnicate <svg/onload=alert(1)>\n"))
	defer d2.Close()
	if html := app.HTMLString(b); strings.Contains(strings.Replace(html, "<textarea", "", 1), "<svg/onload") &&
		!strings.Contains(html, "&lt;svg/onload") {
		t.Errorf("a parse error renders the statement's markup")
	}
}
