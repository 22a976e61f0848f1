package browsertest

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/lessons"
	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/scenario"
	"github.com/bpfplay/bpfplay/sim/vm"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// lessonTrace runs a lesson natively; the expected DOM comes from it.
func lessonTrace(t *testing.T, l *lessons.Lesson) *scenario.Trace {
	t.Helper()
	s, err := scenario.Parse(l.ID, l.Script)
	if err != nil {
		t.Fatalf("lesson %s: %v", l.ID, err)
	}
	return scenario.Run(s, scenario.Options{MaxSteps: 100000})
}

func mustLessons(t *testing.T) []*lessons.Lesson {
	ls, err := lessons.Load()
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func lessonByID(t *testing.T, id string) *lessons.Lesson {
	l, ok := lessons.Get(id)
	if !ok {
		t.Fatalf("no lesson %q", id)
	}
	return l
}

// TestEveryLessonBothLanguages opens every lesson in en and zh-CN, checks
// the title, the number of steps, steps to the end with End and back with
// Home and ←/→, and checks the result and note group shown at the end
// against the simulator's trace. One screenshot per lesson and language.
func TestEveryLessonBothLanguages(t *testing.T) {
	dir := siteDirectory(t)
	srv := serveSite(t, dir, "")
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowser(t)
			for _, l := range mustLessons(t) {
				tr := lessonTrace(t, l)
				n := len(tr.Steps)
				b.open(srv.URL + "/?lesson=" + l.ID + "&lang=" + url.QueryEscape(lang))
				var title string
				b.eval(`document.querySelector("#bp-title").textContent`, &title)
				if want := l.Text[lang].Title; title != want {
					t.Errorf("%s/%s: title %q, want %q", l.ID, lang, title, want)
				}
				if got := b.attr("#bp-ready", "data-steps"); got != fmt.Sprint(n) {
					t.Errorf("%s: %s steps shown, the trace has %d", l.ID, got, n)
					continue
				}
				if n == 0 {
					continue
				}
				b.key(kb.End)
				b.waitStep(n)
				last := tr.Steps[n-1]
				if last.Err == nil {
					if got := b.attr("#bp-result", "data-errno"); got != last.Errno.String() {
						t.Errorf("%s: last step shows %s, the trace says %s", l.ID, got, last.Errno)
					}
				}
				if got, want := b.attr("#bp-note", "data-group"), l.NoteKeyForLine(last.Line); got != want {
					t.Errorf("%s: note group %q at the end, want %q", l.ID, got, want)
				}
				b.screenshot(fmt.Sprintf("lesson-%s-%s", l.ID, lang))
				b.key(kb.Home)
				b.waitStep(1)
				if n > 1 {
					b.key(kb.ArrowRight)
					b.waitStep(2)
					b.key(kb.ArrowLeft)
					b.waitStep(1)
				}
			}
			b.check(srv.URL)
		})
	}
}

// firstStep returns the first step index whose events satisfy pred.
func firstStep(tr *scenario.Trace, pred func(sim.Event) bool) int {
	for i := range tr.Steps {
		for _, e := range tr.Steps[i].Events {
			if pred(e) {
				return i
			}
		}
	}
	return -1
}

// TestHashBucketsLesson: at the end of the fill group, each bucket row
// holds exactly the keys the simulator has in that bucket, newest first.
func TestHashBucketsLesson(t *testing.T) {
	l := lessonByID(t, "hash-buckets")
	tr := lessonTrace(t, l)
	srv := serveSite(t, siteDirectory(t), "")
	b := newBrowser(t)
	for _, i := range []int{2, 9, len(tr.Steps) / 2, len(tr.Steps) - 1} {
		b.open(fmt.Sprintf("%s/?lesson=%s&step=%d", srv.URL, l.ID, i+1))
		b.waitStep(i + 1)
		_, named := tr.NamedMapsAt(i)
		for _, nm := range named {
			h, ok := nm.Map.Ops().(*sim.Hashtab)
			if !ok || h.NBuckets() > 64 {
				continue
			}
			var got []string
			b.eval(fmt.Sprintf(`Array.from(document.querySelectorAll('[data-map=%q] g[data-bucket]')).map(g => g.dataset.bucket + ":" + g.dataset.keys)`, nm.Name), &got)
			var want []string
			for bk := uint32(0); bk < h.NBuckets(); bk++ {
				var keys []string
				for _, e := range h.Bucket(bk) {
					keys = append(keys, hex.EncodeToString(e.Key))
				}
				want = append(want, fmt.Sprintf("%d:%s", bk, strings.Join(keys, " ")))
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("step %d map %s:\n got %v\nwant %v", i+1, nm.Name, got, want)
			}
		}
	}
	b.check(srv.URL)
}

// TestLRUEvictionLesson: at the first eviction, the UI lists exactly the
// keys the simulator evicted in that step.
func TestLRUEvictionLesson(t *testing.T) {
	l := lessonByID(t, "lru-eviction")
	tr := lessonTrace(t, l)
	i := firstStep(tr, func(e sim.Event) bool { _, ok := e.(sim.LRUEvictEvent); return ok })
	if i < 0 {
		t.Fatal("the lesson's trace has no eviction")
	}
	var want []string
	for _, e := range tr.Steps[i].Events {
		if ev, ok := e.(sim.LRUEvictEvent); ok {
			want = append(want, ev.Key)
		}
	}
	srv := serveSite(t, siteDirectory(t), "")
	b := newBrowser(t)
	b.open(fmt.Sprintf("%s/?lesson=%s&step=%d", srv.URL, l.ID, i+1))
	b.waitStep(i + 1)
	if got := b.attr("#bp-evicted", "data-keys"); got != strings.Join(want, " ") {
		t.Errorf("step %d: evicted %q, the simulator evicted %q", i+1, got, strings.Join(want, " "))
	}
	b.screenshot("check-lru-eviction")
	b.check(srv.URL)
}

// TestGetNextKeyLesson: where get_next_key restarts, the UI says so and
// lists the keys the trace returned.
func TestGetNextKeyLesson(t *testing.T) {
	l := lessonByID(t, "get-next-key")
	tr := lessonTrace(t, l)
	i := firstStep(tr, func(e sim.Event) bool { _, ok := e.(sim.HashRestartEvent); return ok })
	if i < 0 {
		t.Fatal("the lesson's trace has no get_next_key restart")
	}
	srv := serveSite(t, siteDirectory(t), "")
	b := newBrowser(t)
	b.open(fmt.Sprintf("%s/?lesson=%s&step=%d", srv.URL, l.ID, i+1))
	b.waitStep(i + 1)
	b.run("restart shown", chromedp.WaitReady("#bp-iter-restart", chromedp.ByQuery))
	st := tr.Steps[i]
	if st.Op == "walk" {
		var keys []string
		for _, k := range st.Keys {
			keys = append(keys, hex.EncodeToString(k))
		}
		if got := b.attr("#bp-iter", "data-keys"); got != strings.Join(keys, " ") {
			t.Errorf("walk keys %q, the trace has %q", got, strings.Join(keys, " "))
		}
	} else if st.Key != nil {
		keys := b.attr("#bp-iter", "data-keys")
		if !strings.HasSuffix(keys, hex.EncodeToString(st.Key)) {
			t.Errorf("keys so far %q do not end with the returned key %x", keys, st.Key)
		}
	}
	b.screenshot("check-get-next-key")
	b.check(srv.URL)
}

// TestLPMLesson: the node a lookup ended on and the longest match shown
// are the simulator's.
func TestLPMLesson(t *testing.T) {
	l := lessonByID(t, "lpm-match")
	tr := lessonTrace(t, l)
	i := firstStep(tr, func(e sim.Event) bool { _, ok := e.(sim.LPMBestEvent); return ok })
	if i < 0 {
		t.Fatal("the lesson's trace has no LPM lookup match")
	}
	var best, ended, mapName string
	var key sim.LPMKeyEvent
	for _, e := range tr.Steps[i].Events {
		switch ev := e.(type) {
		case sim.LPMBestEvent:
			best, mapName = ev.Prefix, ev.Map
		case sim.LPMVisitEvent:
			ended = ev.Node
		case sim.LPMKeyEvent:
			key = ev
		}
	}
	srv := serveSite(t, siteDirectory(t), "")
	b := newBrowser(t)
	b.open(fmt.Sprintf("%s/?lesson=%s&step=%d", srv.URL, l.ID, i+1))
	b.waitStep(i + 1)
	sel := "#bp-lpm-" + mapName
	if got := b.attr(sel, "data-best"); got != best {
		t.Errorf("longest match %q, the simulator found %q", got, best)
	}
	if got := b.attr(sel, "data-ended"); got != ended {
		t.Errorf("descent ended on %q, the simulator on %q", got, ended)
	}
	// The looked-up key, bytes and prefixlen, as the simulator read it.
	if got := b.attr("#bp-lpm-key", "data-key"); got != key.Data || key.Data == "" {
		t.Errorf("key shown %q, the simulator looked up %q", got, key.Data)
	}
	if got := b.attr("#bp-lpm-key", "data-prefixlen"); got != fmt.Sprint(key.Prefixlen) {
		t.Errorf("key prefixlen shown %s, the simulator's %d", got, key.Prefixlen)
	}
	var marked string
	b.eval(fmt.Sprintf(`(document.querySelector('%s g[data-best="1"]')||{dataset:{}}).dataset.prefix||""`, sel), &marked)
	if marked != best {
		t.Errorf("the node marked ★ is %q, want %q", marked, best)
	}
	b.screenshot("check-lpm-match")
	b.check(srv.URL)
}

// TestTailCallLesson: the program array slots shown are the simulator's,
// and the chain of tail calls of the first run is listed.
func TestTailCallLesson(t *testing.T) {
	l := lessonByID(t, "tail-calls")
	tr := lessonTrace(t, l)
	last := len(tr.Steps) - 1
	srv := serveSite(t, siteDirectory(t), "")
	b := newBrowser(t)
	b.open(fmt.Sprintf("%s/?lesson=%s&step=%d", srv.URL, l.ID, last+1))
	b.waitStep(last + 1)
	_, named := tr.NamedMapsAt(last)
	checked := false
	for _, nm := range named {
		pa, ok := nm.Map.Ops().(*sim.ProgArray)
		if !ok {
			continue
		}
		var want []string
		for _, s := range pa.View().Slots {
			want = append(want, fmt.Sprintf("%d:%s", s.Index, s.Prog))
		}
		var got []string
		b.eval(fmt.Sprintf(`Array.from(document.querySelectorAll('[data-map=%q] tr[data-slot]')).map(r => r.dataset.slot + ":" + r.dataset.prog)`, nm.Name), &got)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("prog_array %s: got %v, want %v", nm.Name, got, want)
		}
		checked = true
	}
	if !checked {
		t.Errorf("no prog_array in the trace: %v", tr.Errors())
	}
	// The chain of the first run that tail-called: every attempt, taken or
	// falling through, with tail_call_cnt, as the interpreter reported it.
	i := firstStep(tr, func(e sim.Event) bool { _, ok := e.(vm.TailCallEvent); return ok })
	if i < 0 {
		t.Fatalf("the lesson's trace has no tail call: %v", tr.Errors())
	}
	var want []string
	for _, e := range tr.Steps[i].Events {
		if tc, ok := e.(vm.TailCallEvent); ok {
			if tc.Taken {
				want = append(want, fmt.Sprintf("1:%s:%d", tc.Target, tc.Count))
			} else {
				want = append(want, fmt.Sprintf("0::%d", tc.Count))
			}
		}
	}
	b.open(fmt.Sprintf("%s/?lesson=%s&step=%d", srv.URL, l.ID, i+1))
	b.waitStep(i + 1)
	var got []string
	b.eval(`Array.from(document.querySelectorAll('#bp-tailcalls li[data-taken]')).map(li => li.dataset.taken + ":" + (li.dataset.target||"") + ":" + li.dataset.count)`, &got)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("step %d tail-call chain:\n got %v\nwant %v", i+1, got, want)
	}
	b.screenshot("check-tail-calls")
	checkInstructionKeys(t, b, tr, i)
	b.check(srv.URL)
}

// checkInstructionKeys: on step i (a run statement, shown), Shift+← and
// Shift+→ move through the run's instructions; the program counter shown
// is the interpreter's after that many instructions, replayed natively.
func checkInstructionKeys(t *testing.T, b *browser, tr *scenario.Trace, i int) {
	t.Helper()
	pcAfter := func(k int) int {
		m, _ := tr.MachineAt(i, k)
		if m == nil {
			t.Fatalf("step %d ran no program", i+1)
		}
		return m.State().PC
	}
	n := 0
	for m, _ := tr.MachineAt(i, 0); m != nil && !m.Done(); n++ {
		m.Step()
	}
	if n < 2 {
		t.Fatalf("step %d ran %d instructions; the check needs two", i+1, n)
	}
	shown := func(k int) {
		t.Helper()
		sel := fmt.Sprintf(`#bp-program[data-pc="%d"]`, pcAfter(k))
		b.run(fmt.Sprintf("wait for instruction %d (%s)", k, sel), chromedp.WaitReady(sel, chromedp.ByQuery))
		var label string
		b.eval(`document.querySelector('#bp-program .bp-stepno').textContent`, &label)
		if want := fmt.Sprintf("%d / %d", k, n); !strings.HasSuffix(label, want) {
			t.Errorf("instruction label %q, want it to end in %q", label, want)
		}
	}
	shift := chromedp.KeyModifiers(input.ModifierShift)
	shown(n) // a step opens at the end of its run
	b.run("Shift+←", chromedp.KeyEvent(kb.ArrowLeft, shift))
	shown(n - 1)
	var href string
	b.eval(`location.href`, &href)
	if want := fmt.Sprintf("insn=%d", n-1); !strings.Contains(href, want) {
		t.Errorf("URL %s does not hold %s", href, want)
	}
	b.run("Shift+→", chromedp.KeyEvent(kb.ArrowRight, shift))
	shown(n)
	if got := b.attr("#bp-ready", "data-step"); got != fmt.Sprint(i+1) {
		t.Errorf("Shift+arrows changed the step to %s", got)
	}
}
