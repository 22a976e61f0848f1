package web

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// current is the StepView of the current step.
func (a *App) current() (StepView, bool) {
	if a.trace == nil || a.trace.Len() == 0 || a.step < 0 || a.step >= a.trace.Len() {
		return StepView{}, false
	}
	return a.trace.Step(a.step), true
}

// renderPlayer draws first/back/play/forward/last, the timeline slider and
// the speed, all keyboard-operable and labelled (stepper).
func (a *App) renderPlayer() app.UI {
	if a.trace == nil {
		return nil
	}
	n := a.trace.Len()
	if n == 0 {
		return el("p").Class("bp-muted").Text(a.t("noSteps"))
	}
	return &stepper{N: n, Step: a.step, Playing: a.playing, Speed: a.speedIndex(), Lang: a.loc.Lang, App: a}
}

// renderStage draws the scenario listing, the statement's result, the
// program (when the step ran one), the maps and the events.
func (a *App) renderStage() app.UI {
	if a.trace == nil {
		return nil
	}
	st, ok := a.current()
	if !ok {
		return nil
	}
	w, maps := a.frame()
	return app.Div().ID("bp-stage").Class("bp-stage").Body(
		app.Div().Class("bp-col-left").Body(
			a.renderSource(st),
			a.renderResult(st),
			a.tailCallChain(st),
			a.renderEvents(st),
		),
		app.Div().Class("bp-col-right").Body(
			a.renderProgram(),
			a.renderMaps(w, maps, st),
		),
	)
}

// renderSource lists the scenario with the current statement marked by an
// arrow and the words "current line" for screen readers (not by colour only).
// The listing is built as escaped HTML text and mounted as one node: far
// cheaper for go-app than one component tree per line on every step.
func (a *App) renderSource(st StepView) app.UI {
	lines := strings.Split(strings.TrimRight(a.src, "\n"), "\n")
	// Show a window around the current line for long scenarios.
	from, to := 0, len(lines)
	if len(lines) > 40 {
		from = min(max(0, st.Line-20), len(lines)-40)
		to = from + 40
	}
	var d htmlDoc
	d.open("section", "class", "bp-source", "aria-label", a.t("scenario")).
		elem("h2", a.t("scenario")).
		open("ol", "id", "bp-source", "class", "bp-listing", "start", strconv.Itoa(from+1))
	for n := from + 1; n <= to; n++ {
		ln := strconv.Itoa(n)
		if n == st.Line {
			d.open("li", "data-line", ln, "class", "bp-cur", "aria-current", "step").
				elem("span", "▶ ", "class", "bp-marker", "aria-hidden", "true").
				elem("span", a.t("currentLine")+": ", "class", "bp-sr")
		} else {
			d.open("li", "data-line", ln).elem("span", "  ", "class", "bp-marker", "aria-hidden", "true")
		}
		d.elem("code", lines[n-1]).close("li")
	}
	return d.close("ol").close("section").UI()
}

// renderResult shows what the statement returned, as the simulator says.
// Static markup: built as one HTML fragment (see htmlDoc).
func (a *App) renderResult(st StepView) app.UI {
	ok := st.Errno == 0 && st.Err == ""
	status := "✓ OK"
	if st.Err != "" {
		status = "✗ " + a.t("error")
	} else if !ok {
		status = "✗ " + st.Errno.String()
	}
	var d htmlDoc
	d.open("section", "id", "bp-result", "class", "bp-result", "data-errno", st.Errno.String(), "aria-label", a.t("result")).
		elem("h2", a.t("result")).
		open("p").elem("span", status, "class", ternary(ok, "bp-ok", "bp-fail"))
	// An errno the scenario expected is the lesson's point, not a failure.
	if st.Expect != "" && !st.Failed && st.Err == "" {
		d.elem("span", " ✓ "+a.t("asExpected")+" (=> "+st.Expect+")", "id", "bp-expect-held", "class", "bp-ok")
	}
	d.text(" · "+a.t("line")+" "+strconv.Itoa(st.Line)+": ").elem("code", st.Text).close("p")
	if st.Err != "" {
		d.elem("p", st.Err, "class", "bp-error", "role", "alert")
	}
	if st.Failed {
		d.elem("p", a.t("expectFailed")+": "+st.Expect+" — "+a.t("got")+" "+st.Got, "id", "bp-expect-failed", "class", "bp-error", "role", "alert")
	}
	if st.Display != "" {
		d.open("p", "id", "bp-display").text(a.t("returned")+" ").elem("code", st.Display).close("p")
	}
	d.open("dl")
	item := func(term, id, val string) {
		d.elem("dt", term).open("dd", "id", id).elem("code", val).close("dd")
	}
	if st.Key != nil {
		item(a.t("key"), "bp-res-key", formatBytes(st.Key))
	}
	if st.Keys != nil && st.Display == "" {
		item(a.t("keys"), "bp-res-keys", formatKeys(st.Keys))
	}
	if st.Value != nil {
		item(a.t("value"), "bp-res-value", formatBytes(st.Value))
	}
	if st.HasRet {
		item("R0", "bp-res-ret", strconv.FormatUint(st.Ret, 10))
	}
	return d.close("dl").close("section").UI()
}

// renderEvents lists every event of the step: the kernel's own story of
// what happened, one line each, with its kind as a text badge. Built as
// escaped HTML and mounted as one node (a step can have thousands).
func (a *App) renderEvents(st StepView) app.UI {
	evs := st.Events
	more := 0
	if len(evs) > 200 {
		more = len(evs) - 200
		evs = evs[:200]
	}
	var d htmlDoc
	d.open("section", "class", "bp-events", "aria-label", a.t("events")).
		elem("h2", a.t("events")+" ("+strconv.Itoa(len(st.Events))+")").
		open("ol", "id", "bp-events", "class", "bp-event-list")
	for _, e := range evs {
		k := e.Kind()
		d.open("li", "data-kind", k).elem("span", k, "class", "bp-kind").text(" " + e.String()).close("li")
	}
	d.close("ol")
	if more > 0 {
		d.elem("p", "+"+strconv.Itoa(more)+" "+a.t("moreEvents"), "class", "bp-muted")
	}
	return d.close("section").UI()
}
