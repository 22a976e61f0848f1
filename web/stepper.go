package web

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// stepper is the step toolbar: first, back, play, forward, last, the
// timeline slider and the speed. Its markup is made again only when the
// number of steps or the language changes (app.Raw: one DOM write, and much
// less wasm to compile on the way to the first frame than a go-app tree),
// so it is kept while the step changes: a focused button keeps its focus
// and a dragged slider keeps dragging. After every render sync writes the
// state into those nodes. Clicks, slider input and the speed choice bubble
// to the one go-app element around the markup.
type stepper struct {
	app.Compo

	N       int // steps
	Step    int // 0-based
	Playing bool
	Speed   int // index into speeds
	Lang    string
	App     *App // a pointer: it never counts as a change

	markup, markupFor string        // the markup and the N and Lang it was made for
	shown             *stepperState // what sync last wrote into the page
}

// stepperState is the part of the toolbar that changes from step to step.
type stepperState struct {
	step, speed int
	playing     bool
}

func (s *stepper) Render() app.UI {
	if key := strconv.Itoa(s.N) + " " + s.Lang; key != s.markupFor {
		s.markup, s.markupFor, s.shown = s.html(), key, nil
	}
	// display: contents (bpfplay.css): the toolbar inside stays sticky.
	return el("div").Class("bp-player-host").
		OnClick(s.onClick).OnInput(s.onInput).OnChange(s.onChange).
		Body(app.Raw(s.markup))
}

func (s *stepper) OnMount(app.Context)  { s.sync() }
func (s *stepper) OnUpdate(app.Context) { s.sync() }

func (s *stepper) t(key string) string { return T(s.Lang, key) }

func (s *stepper) playLabel() (label, icon string) {
	if s.Playing {
		return s.t("pause"), "||"
	}
	return s.t("play"), "▶"
}

func (s *stepper) stepText() string {
	return s.t("step") + " " + strconv.Itoa(s.Step+1) + " / " + strconv.Itoa(s.N)
}

// html is the toolbar in the current state; sync keeps it current.
func (s *stepper) html() string {
	atStart, atEnd := s.Step <= 0, s.Step >= s.N-1
	var d htmlDoc
	d.open("div", "id", "bp-player", "class", "bp-player", "role", "toolbar", "aria-label", s.t("stepping"))
	button := func(id, icon, label string, disabled bool) {
		kv := []string{"id", id, "class", "bp-ctl", "aria-label", label, "title", label}
		if disabled {
			kv = append(kv, "disabled", "")
		}
		d.open("button", kv...).elem("span", icon, "aria-hidden", "true").close("button")
	}
	button("bp-first", "|◀", s.t("first")+" (Home)", atStart)
	button("bp-back", "◀", s.t("back")+" (←)", atStart)
	label, icon := s.playLabel()
	d.open("button", "id", "bp-play", "class", "bp-ctl bp-play", "aria-label", label+" (Space)",
		"aria-pressed", strconv.FormatBool(s.Playing), "title", label+" (Space)").
		elem("span", icon+" "+label, "aria-hidden", "true").close("button")
	button("bp-fwd", "▶", s.t("forward")+" (→)", atEnd)
	button("bp-last", "▶|", s.t("last")+" (End)", atEnd)
	d.open("input", "id", "bp-slider", "type", "range", "class", "bp-slider",
		"min", "1", "max", strconv.Itoa(s.N), "step", "1", "value", strconv.Itoa(s.Step+1),
		"aria-label", s.t("timeline"), "aria-valuetext", s.stepText())
	d.elem("span", s.stepText(), "id", "bp-stepno", "class", "bp-stepno", "aria-live", "polite")
	d.elem("label", s.t("speed"), "for", "bp-speed", "class", "bp-speed-label")
	d.open("select", "id", "bp-speed", "aria-label", s.t("speed"))
	for i, ms := range speeds {
		unit := s.t("stepsPerSec")
		if ms == 1000 {
			unit = s.t("stepPerSec")
		}
		kv := []string{"value", strconv.Itoa(i)}
		if i == s.Speed {
			kv = append(kv, "selected", "")
		}
		d.elem("option", strconv.FormatFloat(1000/float64(ms), 'g', 3, 64)+" "+unit, kv...)
	}
	d.close("select")
	return d.close("div").b.String()
}

// sync writes the state into the toolbar's nodes, what changed only.
func (s *stepper) sync() {
	now := stepperState{step: s.Step, speed: s.Speed, playing: s.Playing}
	if !app.IsClient || (s.shown != nil && *s.shown == now) {
		return
	}
	doc := app.Window()
	if !doc.GetElementByID("bp-player").Truthy() {
		return
	}
	if s.shown == nil || s.shown.step != now.step {
		atStart, atEnd := s.Step <= 0, s.Step >= s.N-1
		doc.GetElementByID("bp-first").Set("disabled", atStart)
		doc.GetElementByID("bp-back").Set("disabled", atStart)
		doc.GetElementByID("bp-fwd").Set("disabled", atEnd)
		doc.GetElementByID("bp-last").Set("disabled", atEnd)
		slider := doc.GetElementByID("bp-slider")
		slider.Set("value", strconv.Itoa(s.Step+1))
		slider.Call("setAttribute", "aria-valuetext", s.stepText())
		doc.GetElementByID("bp-stepno").Set("textContent", s.stepText())
	}
	if s.shown == nil || s.shown.playing != now.playing {
		label, icon := s.playLabel()
		play := doc.GetElementByID("bp-play")
		play.Call("setAttribute", "aria-label", label+" (Space)")
		play.Call("setAttribute", "title", label+" (Space)")
		play.Call("setAttribute", "aria-pressed", strconv.FormatBool(s.Playing))
		play.Get("firstElementChild").Set("textContent", icon+" "+label)
	}
	if s.shown == nil || s.shown.speed != now.speed {
		doc.GetElementByID("bp-speed").Set("value", strconv.Itoa(s.Speed))
	}
	s.shown = &now
}

// onClick handles a click on one of the buttons (a disabled one sends none).
func (s *stepper) onClick(ctx app.Context, e app.Event) {
	b := e.Get("target").Call("closest", "button")
	if !b.Truthy() {
		return
	}
	a := s.App
	switch b.Get("id").String() {
	case "bp-first":
		a.stop()
		a.setStep(0)
	case "bp-back":
		a.stop()
		a.setStep(a.step - 1)
	case "bp-play":
		a.togglePlay(ctx)
	case "bp-fwd":
		a.stop()
		a.setStep(a.step + 1)
	case "bp-last":
		a.stop()
		a.setStep(a.last())
	default:
		return
	}
	a.Update()
}

// onInput follows the slider while it moves.
func (s *stepper) onInput(ctx app.Context, e app.Event) {
	t := e.Get("target")
	if t.Get("id").String() != "bp-slider" {
		return
	}
	if v, err := strconv.Atoi(t.Get("value").String()); err == nil {
		s.App.stop()
		s.App.setStep(v - 1)
		s.App.Update()
	}
}

// onChange takes the speed chosen.
func (s *stepper) onChange(ctx app.Context, e app.Event) {
	t := e.Get("target")
	if t.Get("id").String() != "bp-speed" {
		return
	}
	if v, err := strconv.Atoi(t.Get("value").String()); err == nil && v >= 0 && v < len(speeds) {
		s.App.speed = v
		s.App.Update()
	}
}
