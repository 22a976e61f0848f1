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
		return app.P().Class("bp-muted").Text(a.t("noSteps"))
	}
	atStart, atEnd := a.step <= 0, a.step >= n-1
	btn := func(id, icon, label string, disabled bool, fn func(ctx app.Context)) app.UI {
		return app.Button().ID(id).Class("bp-ctl").
			Aria("label", label).Title(label).
			Disabled(disabled).
			Body(app.Span().Aria("hidden", true).Text(icon)).
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
		app.Button().ID("bp-play").Class("bp-ctl bp-play").
			Aria("label", playLabel+" (Space)").Aria("pressed", a.playing).Title(playLabel+" (Space)").
			Body(app.Span().Aria("hidden", true).Text(playIcon+" "+playLabel)).
			OnClick(func(ctx app.Context, e app.Event) { a.togglePlay(ctx) }),
		btn("bp-fwd", "▶", a.t("forward")+" (→)", atEnd, func(ctx app.Context) { a.stop(); a.setStep(a.step + 1) }),
		btn("bp-last", "▶|", a.t("last")+" (End)", atEnd, func(ctx app.Context) { a.stop(); a.setStep(n - 1) }),
		app.Input().ID("bp-slider").Type("range").Class("bp-slider").
			Min(1).Max(n).Step(1).Value(a.step+1).
			Aria("label", a.t("timeline")).
			Aria("valuetext", a.t("step")+" "+strconv.Itoa(a.step+1)+" / "+strconv.Itoa(n)).
			OnInput(func(ctx app.Context, e app.Event) {
				v, err := strconv.Atoi(ctx.JSSrc().Get("value").String())
				if err == nil {
					a.stop()
					a.setStep(v - 1)
				}
			}),
		app.Span().ID("bp-stepno").Class("bp-stepno").Aria("live", "polite").
			Text(a.t("step")+" "+strconv.Itoa(a.step+1)+" / "+strconv.Itoa(n)),
		app.Label().For("bp-speed").Class("bp-speed-label").Text(a.t("speed")),
		app.Select().ID("bp-speed").Aria("label", a.t("speed")).
			OnChange(func(ctx app.Context, e app.Event) {
				if v, err := strconv.Atoi(ctx.JSSrc().Get("value").String()); err == nil && v >= 0 && v < len(speeds) {
					a.speed = v
				}
			}).
			Body(app.Range(speeds).Slice(func(i int) app.UI {
				return app.Option().Value(i).Selected(i == a.speedIndex()).
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
func (a *App) renderSource(st StepView) app.UI {
	lines := strings.Split(strings.TrimRight(a.src, "\n"), "\n")
	// Show a window around the current line for long scenarios.
	from, to := 0, len(lines)
	if len(lines) > 40 {
		from = max(0, st.Line-20)
		to = min(len(lines), from+40)
	}
	return app.Section().Class("bp-source").Aria("label", a.t("scenario")).Body(
		app.H2().Text(a.t("scenario")),
		app.Ol().ID("bp-source").Class("bp-listing").Attr("start", from+1).Body(
			app.Range(lines[from:to]).Slice(func(i int) app.UI {
				n := from + i + 1
				cur := n == st.Line
				li := app.Li().DataSet("line", n)
				if cur {
					return li.Class("bp-cur").Aria("current", "step").Body(
						app.Span().Class("bp-marker").Aria("hidden", true).Text("▶ "),
						app.Span().Class("bp-sr").Text(a.t("currentLine")+": "),
						app.Code().Text(lines[n-1]),
					)
				}
				return li.Body(app.Span().Class("bp-marker").Aria("hidden", true).Text("  "), app.Code().Text(lines[n-1]))
			}),
		),
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
	return app.Section().ID("bp-result").Class("bp-result").
		DataSet("errno", st.Errno.String()).
		Aria("label", a.t("result")).Body(
		app.H2().Text(a.t("result")),
		app.P().Body(
			app.Span().Class(ternary(ok, "bp-ok", "bp-fail")).Text(status),
			app.Text(" · "+a.t("line")+" "+strconv.Itoa(st.Line)+": "),
			app.Code().Text(st.Text),
		),
		app.If(st.Err != "", app.P().Class("bp-error").Role("alert").Text(st.Err)),
		app.If(st.Failed, app.P().ID("bp-expect-failed").Class("bp-error").Role("alert").
			Text(a.t("expectFailed")+": "+st.Expect+" — "+a.t("got")+" "+st.Got)),
		app.If(st.Display != "", app.P().ID("bp-display").Body(app.Text(a.t("returned")+" "), app.Code().Text(st.Display))),
		app.Dl().Body(
			app.If(st.Key != nil, app.Dt().Text(a.t("key")), app.Dd().ID("bp-res-key").Body(app.Code().Text(formatBytes(st.Key)))),
			app.If(st.Keys != nil, app.Dt().Text(a.t("keys")), app.Dd().ID("bp-res-keys").Body(app.Code().Text(formatKeys(st.Keys)))),
			app.If(st.Value != nil, app.Dt().Text(a.t("value")), app.Dd().ID("bp-res-value").Body(app.Code().Text(formatBytes(st.Value)))),
			app.If(st.HasRet, app.Dt().Text("R0"), app.Dd().ID("bp-res-ret").Body(app.Code().Text(strconv.FormatUint(st.Ret, 10)))),
		),
	)
}

// renderEvents lists every event of the step: the kernel's own story of
// what happened, one line each, with its kind as a text badge.
func (a *App) renderEvents(st StepView) app.UI {
	evs := st.Events
	more := 0
	if len(evs) > 200 {
		more = len(evs) - 200
		evs = evs[:200]
	}
	return app.Section().Class("bp-events").Aria("label", a.t("events")).Body(
		app.H2().Text(a.t("events")+" ("+strconv.Itoa(len(st.Events))+")"),
		app.Ol().ID("bp-events").Class("bp-event-list").Body(
			app.Range(evs).Slice(func(i int) app.UI {
				e := evs[i]
				return app.Li().DataSet("kind", e.Kind()).Body(
					app.Span().Class("bp-kind").Text(e.Kind()),
					app.Text(" "+e.String()),
				)
			}),
		),
		app.If(more > 0, app.P().Class("bp-muted").Text("+"+strconv.Itoa(more)+" "+a.t("moreEvents"))),
	)
}
