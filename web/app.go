// Package web is the bpfplay browser UI (go-app v9). Every view draws what
// the simulator reports: the events of the current step and the World after
// it, both from a scenario Trace. Nothing here decides map behaviour.
package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/bpfplay/bpfplay/lessons"
	"github.com/bpfplay/bpfplay/sim"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Register adds the app's routes. Both entries (browser and native) call it,
// so prerendering and the browser see the same components.
func Register() {
	app.Route("/", &App{})
}

// Storage keys. The draft survives reloads and failed runs.
const (
	draftKey     = "bpfplay.draft"
	prevDraftKey = "bpfplay.draft.prev"
	langKey      = "bpfplay.lang"
)

// Play speeds in milliseconds per step.
var speeds = []int{2000, 1000, 500, 250}

// App is the root component: it reads the URL (Loc), loads the lesson or
// scenario, runs it through the simulator and renders the page.
type App struct {
	app.Compo

	loc    Loc
	prefix string
	ready  bool // set on the client once the URL has been read

	// What is shown.
	lessonID string
	lesson   lesson            // the open lesson, once loaded
	listings []lessons.Listing // the home page's lesson list, once loaded
	loading  bool              // what the URL names is still being fetched
	navGen   int               // counts navigations; a load for an older one is dropped
	title    string
	src      string // the scenario the trace was made from
	trace    Trace
	errs     []ScriptError
	loadErr  string
	step     int // 0-based index into the trace

	// The frame (World and named maps) of frameStep, cached for renders.
	frameStep  int
	frameTrace Trace
	frameWorld *sim.World
	frameMaps  []NamedMap

	// Playground editor.
	editor      string
	restoreNote bool // a previous draft was stashed and can be restored

	// Playback.
	playing bool
	playGen int
	speed   int // index into speeds
	lecture bool

	share     string // the last share link made
	shareKind string // "link" or "embed"
	shareErr  string // why the last share link could not be made

	unlisten func()
}

// OnMount installs the keyboard shortcuts.
func (a *App) OnMount(ctx app.Context) {
	if !app.IsClient {
		return
	}
	a.speed = 1
	a.unlisten = app.Window().AddEventListener("keydown", a.onKey)
}

// OnDismount removes the keyboard shortcuts and stops playback.
func (a *App) OnDismount() {
	a.playing = false
	a.playGen++
	if a.unlisten != nil {
		a.unlisten()
		a.unlisten = nil
	}
}

// OnNav reads the whole state from the URL.
func (a *App) OnNav(ctx app.Context) {
	Mark("bp-nav-start")
	defer Mark("bp-nav-end")
	ctx.Defer(func(app.Context) { Mark("bp-rendered") })
	a.prefix = strings.TrimSuffix(app.Getenv("GOAPP_ROOT_PREFIX"), "/")
	loc := ParseLoc(ctx.Page().URL())
	if ctx.Page().URL().Query().Get("lang") == "" {
		// No language in the URL: use the one chosen last time.
		var saved string
		ctx.LocalStorage().Get(langKey, &saved)
		if l, ok := normLang(saved); ok {
			loc.Lang = l
		}
	}
	a.navigate(ctx, loc)
}

// navigate loads what loc names. It is also what the language switch and
// the in-app links use, so the URL and the state never disagree. A lesson
// or the lesson list may arrive later (fetched in the browser): until then
// the page says it is loading, and a load that answers an older navigation
// is dropped.
func (a *App) navigate(ctx app.Context, loc Loc) {
	a.stop()
	a.navGen++
	gen := a.navGen
	a.loc = loc
	a.ready = true
	a.loading = true
	a.share, a.shareErr = "", ""
	a.errs = nil
	a.loadErr = ""
	a.lecture = false
	a.lesson = lesson{}
	a.trace, a.title, a.src = nil, "", ""
	a.lessonID = loc.Lesson
	a.setDocLang()
	// finish runs when what loc names is there, unless a newer navigation
	// has started since.
	finish := func(open func()) {
		if gen != a.navGen {
			return
		}
		open()
		a.loading = false
		a.moveTo(loc.Step - 1)
		// The address bar, the title and the rest of a lesson's run wait
		// until the page has drawn: none of them is on screen.
		t := a.trace
		afterPaint(ctx, func(ctx app.Context) {
			if gen != a.navGen {
				return
			}
			a.replaceURL()
			ctx.Page().SetTitle(a.pageTitle())
			if t != nil && app.IsClient {
				a.completeRun(ctx, t)
			}
		})
	}
	switch {
	case loc.Page == PageLesson:
		loadLesson(ctx, a.prefix, loc.Lesson, func(l lesson, err error) {
			finish(func() { a.openLesson(l, err) })
		})
	case loc.Page == PagePlay && loc.Shared == "" && loc.Lesson != "":
		// "Try it": the playground starts from the lesson's scenario.
		loadLesson(ctx, a.prefix, loc.Lesson, func(l lesson, err error) {
			finish(func() {
				script := ""
				if err == nil {
					script = l.Script
				}
				a.openIncoming(ctx, script, "lesson", err)
			})
		})
	case loc.Page == PagePlay && loc.Shared != "":
		decodeShare(ctx, loc.Shared, func(s string, err error) {
			finish(func() { a.openIncoming(ctx, s, "share", err) })
		})
	case loc.Page == PagePlay:
		finish(func() { a.openPlayground(ctx, "", "") })
	default:
		a.lessonID = ""
		loadListings(ctx, a.prefix, func(ls []lessons.Listing, err error) {
			finish(func() {
				a.listings = ls
				if err != nil {
					a.loadErr = err.Error()
				}
			})
		})
	}
}

func (a *App) openLesson(l lesson, err error) {
	if err != nil {
		a.loadErr = err.Error()
		return
	}
	Mark("bp-lesson-parsed")
	a.lesson = l
	a.title = l.title(a.loc.Lang)
	a.src = l.Script
	a.start(l.ID, l.Script)
	Mark("bp-lesson-ran")
}

// openIncoming opens the playground on a scenario that arrived (from a
// share link or a lesson), or, when it could not be had, on the saved draft
// with the reason shown.
func (a *App) openIncoming(ctx app.Context, src, from string, err error) {
	if err != nil {
		a.loadErr = err.Error()
		src, from = "", ""
	}
	a.openPlayground(ctx, src, from)
}

// openPlayground opens the editor on the saved draft, or on incoming (a
// shared scenario or a lesson's, named by from) when there is one.
func (a *App) openPlayground(ctx app.Context, incoming, from string) {
	var draft string
	ctx.LocalStorage().Get(draftKey, &draft)
	a.editor = draft
	if from != "" && a.loc.Embed {
		// An embed shows its scenario without touching the reader's draft.
		a.editor = incoming
	} else if from != "" && incoming != draft {
		// Never lose what the user typed: keep the old draft restorable.
		if strings.TrimSpace(draft) != "" {
			ctx.LocalStorage().Set(prevDraftKey, draft)
		}
		a.editor = incoming
		ctx.LocalStorage().Set(draftKey, incoming)
	}
	var prev string
	ctx.LocalStorage().Get(prevDraftKey, &prev)
	a.restoreNote = prev != "" && prev != a.editor
	if strings.TrimSpace(a.editor) == "" {
		a.editor = sampleScenario
	}
	a.title = ""
	a.src = a.editor
	a.run("playground", a.editor)
}

// run parses and runs all of src through the scenario package: the
// playground shows every script error at once.
func (a *App) run(name, src string) {
	if a.start(name, src) {
		runMoreSafely(a.trace, a.trace.Len())
		a.errs = a.trace.StepErrors()
	}
}

// start parses src and prepares its trace; statements run when a step needs
// them (a lesson draws its first step before the rest has run) and the rest
// after the first frame (completeRun). It reports whether there is a trace.
func (a *App) start(name, src string) bool {
	a.trace = nil
	a.errs = nil
	if runScenario == nil {
		a.loadErr = "engine"
		return false
	}
	t, err := safeRun(name, src)
	if err != nil {
		a.errs = scriptErrors(err)
		return false
	}
	a.trace = t
	return true
}

// completeRun runs the statements of t that have not run yet, after the
// page has drawn, in slices of about 10 ms with the browser free between
// them; then it shows the script errors of the whole run (lessons have none,
// the lesson tests make sure). Only lessons start with statements left to
// run (the playground runs all at once). A newer trace does not stop it: a
// lesson is bounded by maxUISteps.
func (a *App) completeRun(ctx app.Context, t Trace) {
	if t.RunMore(0) {
		return
	}
	ctx.Async(func() {
		for done := false; !done; {
			time.Sleep(time.Millisecond)
			end := time.Now().Add(10 * time.Millisecond)
			for !done && time.Now().Before(end) {
				done = runMoreSafely(t, 8)
			}
		}
		ctx.Dispatch(func(app.Context) {
			if a.trace == t {
				a.errs = t.StepErrors()
			}
		})
	})
}

// runMoreSafely is t.RunMore, with a panic in the engine reported as done.
// (The executor already turns a panic inside a statement into that step's
// error; this guards the page against anything else.)
func runMoreSafely(t Trace, n int) (done bool) {
	defer func() {
		if r := recover(); r != nil {
			done = true
		}
	}()
	return t.RunMore(n)
}

// frame is the World after the current step and its named maps. It comes
// from the Trace (checkpoint + replay), never from UI-side bookkeeping.
func (a *App) frame() (*sim.World, []NamedMap) {
	if a.trace == nil {
		return nil, nil
	}
	if a.frameTrace != a.trace || a.frameStep != a.step {
		a.frameWorld, a.frameMaps = a.trace.Frame(a.step)
		a.frameTrace, a.frameStep = a.trace, a.step
	}
	return a.frameWorld, a.frameMaps
}

// safeRun turns a panic in the engine into an error naming it, so a bad
// scenario can never take the page down.
func safeRun(name, src string) (t Trace, err error) {
	defer func() {
		if r := recover(); r != nil {
			t = nil
			err = &panicError{r}
		}
	}()
	return runScenario(name, src)
}

type panicError struct{ v any }

func (p *panicError) Error() string {
	return "internal error in the simulator (please report it with a share link): " + strings.TrimSpace(strings.ReplaceAll(fmt.Sprint(p.v), "\n", " "))
}

// last is the index of the last step, -1 without a trace.
func (a *App) last() int {
	if a.trace == nil {
		return -1
	}
	return a.trace.Len() - 1
}

// setStep moves to step i (clamped) and records it in the URL.
func (a *App) setStep(i int) {
	a.moveTo(i)
	a.replaceURL()
}

// moveTo is setStep without writing the address bar.
func (a *App) moveTo(i int) {
	if i > a.last() {
		i = a.last()
	}
	if i < 0 {
		i = 0
	}
	a.step = i
	a.loc.Step = 0
	if a.trace != nil && a.trace.Len() > 0 {
		a.loc.Step = i + 1
	}
	if a.loc.Insn > 0 {
		if it, ok := a.trace.(InsnTracer); !ok || a.trace == nil || a.loc.Insn > it.Insns(a.step) {
			a.loc.Insn = 0
		}
	}
}

// replaceURL writes the current Loc into the address bar without a
// navigation, so reload and copy-paste give back this exact state.
func (a *App) replaceURL() {
	if !app.IsClient || !a.ready {
		return
	}
	loc := a.loc
	loc.Problems = nil
	app.Window().Get("history").Call("replaceState", nil, "", loc.URL(a.prefix))
}

func (a *App) setDocLang() {
	if app.IsClient {
		app.Window().Get("document").Get("documentElement").Set("lang", a.loc.Lang)
	}
}

func (a *App) pageTitle() string {
	if a.title != "" {
		return a.title + " · bpfplay"
	}
	return "bpfplay"
}

// t translates a UI string into the current language.
func (a *App) t(key string) string { return T(a.loc.Lang, key) }

// link is the URL of another state of the app (same prefix and language).
func (a *App) link(loc Loc) string {
	loc.Lang = a.loc.Lang
	return loc.URL(a.prefix)
}

// goTo navigates inside the app without reloading the page.
func (a *App) goTo(ctx app.Context, loc Loc) {
	loc.Lang = a.loc.Lang
	if app.IsClient {
		app.Window().Get("history").Call("pushState", nil, "", loc.URL(a.prefix))
	}
	a.navigate(ctx, loc)
}

// ---- playback ----

func (a *App) stop() {
	a.playing = false
	a.playGen++
}

func (a *App) togglePlay(ctx app.Context) {
	if a.playing {
		a.stop()
		return
	}
	if a.trace == nil || a.trace.Len() == 0 {
		return
	}
	if a.step >= a.last() {
		a.setStep(0)
	}
	a.playing = true
	a.playGen++
	a.scheduleTick(ctx, a.playGen)
}

func (a *App) scheduleTick(ctx app.Context, gen int) {
	d := time.Duration(speeds[a.speedIndex()]) * time.Millisecond
	if a.lecture {
		d *= 2 // time to read the note
	}
	// ctx may belong to the step toolbar (stepper), whose update would not
	// redraw the page: each tick updates the App itself.
	ctx.After(d, func(ctx app.Context) {
		if gen != a.playGen || !a.playing {
			return
		}
		if a.step >= a.last() {
			a.playing = false
		} else {
			a.setStep(a.step + 1)
			a.scheduleTick(ctx, gen)
		}
		a.Update()
	})
}

func (a *App) speedIndex() int {
	if a.speed < 0 || a.speed >= len(speeds) {
		return 1
	}
	return a.speed
}

// onKey implements ←, →, Home, End and Space, except while typing.
func (a *App) onKey(ctx app.Context, e app.Event) {
	if a.trace == nil {
		return
	}
	target := e.Get("target")
	if target.Truthy() {
		switch strings.ToUpper(target.Get("tagName").String()) {
		case "TEXTAREA", "INPUT", "SELECT", "BUTTON", "A":
			// Typing, sliding or pressing a focused control: let it be,
			// except that arrows on buttons still step.
			tag := strings.ToUpper(target.Get("tagName").String())
			if tag != "BUTTON" && tag != "A" {
				return
			}
			if k := e.Get("key").String(); k == " " || k == "Enter" {
				return
			}
		}
	}
	if e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool() || e.Get("altKey").Bool() {
		return
	}
	key := e.Get("key").String()
	if e.Get("shiftKey").Bool() {
		// Shift+←/→ step through the instructions of the step's program run.
		d := 0
		switch key {
		case "ArrowLeft":
			d = -1
		case "ArrowRight":
			d = 1
		}
		if d == 0 || !a.stepInsn(d) {
			return
		}
		e.PreventDefault()
		return
	}
	switch key {
	case "ArrowLeft":
		a.stop()
		a.setStep(a.step - 1)
	case "ArrowRight":
		a.stop()
		a.setStep(a.step + 1)
	case "Home":
		a.stop()
		a.setStep(0)
	case "End":
		a.stop()
		a.setStep(a.last())
	case " ":
		a.togglePlay(ctx)
	default:
		return
	}
	e.PreventDefault()
}

// afterPaint runs fn on the UI goroutine once the browser has drawn the
// frame that is being prepared (the next animation frame, then a task), so
// work that changes nothing on screen does not hold back the first paint.
// A hidden tab draws no frames, so there fn waits until the tab is shown.
// Natively it runs fn at once.
func afterPaint(ctx app.Context, fn func(app.Context)) {
	if !app.IsClient {
		fn(ctx)
		return
	}
	var frame, task app.Func
	task = app.FuncOf(func(app.Value, []app.Value) any {
		task.Release()
		ctx.Dispatch(fn)
		return nil
	})
	frame = app.FuncOf(func(app.Value, []app.Value) any {
		frame.Release()
		app.Window().Call("setTimeout", task, 0)
		return nil
	})
	app.Window().Call("requestAnimationFrame", frame)
}

// Mark records a performance mark in the browser (for the cold-start
// benchmark); it does nothing natively.
func Mark(name string) {
	if app.IsClient {
		if p := app.Window().Get("performance"); p.Truthy() {
			p.Call("mark", name)
		}
	}
}
