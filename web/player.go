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
// the speed, all keyboard-operable and labelled.
func (a *App) renderPlayer() app.UI {
	if a.trace == nil {
		return nil
	}
	n := a.trace.Len()
	if n == 0 {
		return el("p").Class("bp-muted").Text(a.t("noSteps"))
	}
	atStart, atEnd := a.step <= 0, a.step >= n-1
	btn := func(id, icon, label string, disabled bool, fn func(ctx app.Context)) app.UI {
		return el("button").ID(id).Class("bp-ctl").
			Aria("label", label).Title(label).
			Attr("disabled", disabled).
			Body(el("span").Aria("hidden", true).Text(icon)).
			OnClick(func(ctx app.Context, e app.Event) { fn(ctx) })
	}
	playLabel := a.t("play")
	playIcon := "▶"
	if a.playing {
		playLabel, playIcon = a.t("pause"), "||"
	}
	return app.Div().ID("bp-player").Class("bp-player").Role("toolbar").Aria("label", a.t("stepping")).Body(
		btn("bp-first", "|◀", a.t("first")+" (Home)", atStart, func(ctx app.Context) { a.stop(); a.setStep(0) }),
		btn("bp-back", "◀", a.t("back")+" (←)", atStart, func(ctx app.Context) { a.stop(); a.setStep(a.step - 1) }),
		el("button").ID("bp-play").Class("bp-ctl bp-play").
			Aria("label", playLabel+" (Space)").Aria("pressed", a.playing).Title(playLabel+" (Space)").
			Body(el("span").Aria("hidden", true).Text(playIcon+" "+playLabel)).
			OnClick(func(ctx app.Context, e app.Event) { a.togglePlay(ctx) }),
		btn("bp-fwd", "▶", a.t("forward")+" (→)", atEnd, func(ctx app.Context) { a.stop(); a.setStep(a.step + 1) }),
		btn("bp-last", "▶|", a.t("last")+" (End)", atEnd, func(ctx app.Context) { a.stop(); a.setStep(n - 1) }),
		elc("input").ID("bp-slider").Attr("type", "range").Class("bp-slider").
			Attr("min", 1).Attr("max", n).Attr("step", 1).Attr("value", a.step+1).
			Aria("label", a.t("timeline")).
			Aria("valuetext", a.t("step")+" "+strconv.Itoa(a.step+1)+" / "+strconv.Itoa(n)).
			OnInput(func(ctx app.Context, e app.Event) {
				v, err := strconv.Atoi(ctx.JSSrc().Get("value").String())
				if err == nil {
					a.stop()
					a.setStep(v - 1)
				}
			}),
		el("span").ID("bp-stepno").Class("bp-stepno").Aria("live", "polite").
			Text(a.t("step")+" "+strconv.Itoa(a.step+1)+" / "+strconv.Itoa(n)),
		el("label").Attr("for", "bp-speed").Class("bp-speed-label").Text(a.t("speed")),
		el("select").ID("bp-speed").Aria("label", a.t("speed")).
			OnChange(func(ctx app.Context, e app.Event) {
				if v, err := strconv.Atoi(ctx.JSSrc().Get("value").String()); err == nil && v >= 0 && v < len(speeds) {
					a.speed = v
				}
			}).
			Body(app.Range(speeds).Slice(func(i int) app.UI {
				return el("option").Attr("value", i).Attr("selected", i == a.speedIndex()).
					Text(strconv.FormatFloat(1000/float64(speeds[i]), 'g', 3, 64) + " " + a.t("stepsPerSec"))
			})),
	)
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
	var b strings.Builder
	b.WriteString(`<ol id="bp-source" class="bp-listing" start="` + strconv.Itoa(from+1) + `">`)
	for n := from + 1; n <= to; n++ {
		code := escapeHTML(lines[n-1])
		if n == st.Line {
			b.WriteString(`<li data-line="` + strconv.Itoa(n) + `" class="bp-cur" aria-current="step"><span class="bp-marker" aria-hidden="true">▶ </span><span class="bp-sr">` +
				escapeHTML(a.t("currentLine")) + `: </span><code>` + code + `</code></li>`)
			continue
		}
		b.WriteString(`<li data-line="` + strconv.Itoa(n) + `"><span class="bp-marker" aria-hidden="true">  </span><code>` + code + `</code></li>`)
	}
	b.WriteString(`</ol>`)
	return el("section").Class("bp-source").Aria("label", a.t("scenario")).Body(
		el("h2").Text(a.t("scenario")),
		app.Raw(b.String()),
	)
}

// renderResult shows what the statement returned, as the simulator says.
func (a *App) renderResult(st StepView) app.UI {
	ok := st.Errno == 0 && st.Err == ""
	status := "✓ OK"
	if st.Err != "" {
		status = "✗ " + a.t("error")
	} else if !ok {
		status = "✗ " + st.Errno.String()
	}
	return el("section").ID("bp-result").Class("bp-result").
		DataSet("errno", st.Errno.String()).
		Aria("label", a.t("result")).Body(
		el("h2").Text(a.t("result")),
		el("p").Body(
			el("span").Class(ternary(ok, "bp-ok", "bp-fail")).Text(status),
			// An errno the scenario expected is the lesson's point, not a failure.
			app.If(st.Expect != "" && !st.Failed && st.Err == "",
				el("span").ID("bp-expect-held").Class("bp-ok").Text(" ✓ "+a.t("asExpected")+" (=> "+st.Expect+")")),
			app.Text(" · "+a.t("line")+" "+strconv.Itoa(st.Line)+": "),
			el("code").Text(st.Text),
		),
		app.If(st.Err != "", el("p").Class("bp-error").Role("alert").Text(st.Err)),
		app.If(st.Failed, el("p").ID("bp-expect-failed").Class("bp-error").Role("alert").
			Text(a.t("expectFailed")+": "+st.Expect+" — "+a.t("got")+" "+st.Got)),
		app.If(st.Display != "", el("p").ID("bp-display").Body(app.Text(a.t("returned")+" "), el("code").Text(st.Display))),
		el("dl").Body(
			app.If(st.Key != nil, el("dt").Text(a.t("key")), el("dd").ID("bp-res-key").Body(el("code").Text(formatBytes(st.Key)))),
			app.If(st.Keys != nil && st.Display == "", el("dt").Text(a.t("keys")), el("dd").ID("bp-res-keys").Body(el("code").Text(formatKeys(st.Keys)))),
			app.If(st.Value != nil, el("dt").Text(a.t("value")), el("dd").ID("bp-res-value").Body(el("code").Text(formatBytes(st.Value)))),
			app.If(st.HasRet, el("dt").Text("R0"), el("dd").ID("bp-res-ret").Body(el("code").Text(strconv.FormatUint(st.Ret, 10)))),
		),
	)
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
	var b strings.Builder
	b.WriteString(`<ol id="bp-events" class="bp-event-list">`)
	for _, e := range evs {
		k := escapeHTML(e.Kind())
		b.WriteString(`<li data-kind="` + k + `"><span class="bp-kind">` + k + `</span> ` + escapeHTML(e.String()) + `</li>`)
	}
	b.WriteString(`</ol>`)
	return el("section").Class("bp-events").Aria("label", a.t("events")).Body(
		el("h2").Text(a.t("events")+" ("+strconv.Itoa(len(st.Events))+")"),
		app.Raw(b.String()),
		app.If(more > 0, el("p").Class("bp-muted").Text("+"+strconv.Itoa(more)+" "+a.t("moreEvents"))),
	)
}
