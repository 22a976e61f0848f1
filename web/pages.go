package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// Render draws the page for the current Loc. A failure while drawing (a
// bug in a view) shows an error naming it instead of taking the page down;
// the URL and the draft are untouched, so nothing is lost.
func (a *App) Render() (ui app.UI) {
	defer func() {
		if r := recover(); r != nil {
			ui = el("div").Class("bp-app").Body(
				app.Div().ID("bp-ready").Hidden(true).DataSet("step", a.loc.Step).DataSet("failed", true),
				el("p").Class("bp-error").Role("alert").Text(fmt.Sprintf("%s: %v", T(a.loc.Lang, "drawFailed"), r)),
			)
		}
	}()
	if !a.ready {
		// Server-side prerender and the first client frame: a static shell.
		// Browser tests wait for #bp-ready, which only the client renders.
		return app.Div().Class("bp-app").Body(
			el("header").Class("bp-header").Body(el("span").Class("bp-brand").Text("bpfplay")),
			el("main").ID("bp-main").Body(
				el("p").Class("bp-muted").Text("bpfplay — Linux eBPF maps, step by step · eBPF 映射逐步演示"),
			),
		)
	}
	lang := a.loc.Lang
	var body app.UI
	switch {
	case a.loading:
		body = el("p").ID("bp-loading").Class("bp-muted").Role("status").Text(a.t("loading"))
	case a.loc.Page == PageLesson:
		body = a.renderLesson()
	case a.loc.Page == PagePlay:
		body = a.renderPlay()
	default:
		body = a.renderHome()
	}
	cls := "bp-app"
	if a.loc.Embed {
		cls += " bp-embed"
	}
	if a.lecture {
		cls += " bp-lecture"
	}
	steps := 0
	if a.trace != nil {
		steps = a.trace.Len()
	}
	return app.Div().Class(cls).Lang(lang).Body(
		// #bp-ready says the page shows what the URL names: tests wait for it.
		app.If(!a.loading, app.Div().ID("bp-ready").Hidden(true).
			DataSet("page", a.loc.Page).
			DataSet("lesson", a.lessonID).
			DataSet("step", a.loc.Step).
			DataSet("steps", steps).
			DataSet("lang", lang).
			DataSet("embed", a.loc.Embed)),
		a.renderHeader(),
		a.renderProblems(),
		el("main").ID("bp-main").Body(body),
	)
}

func (a *App) renderHeader() app.UI {
	if a.loc.Embed {
		open := a.loc
		open.Embed = false
		title := a.title
		if title == "" {
			title = a.t("playground")
		}
		return el("header").Class("bp-header bp-header-embed").Body(
			el("span").Class("bp-brand").Text("bpfplay"),
			el("span").Class("bp-embed-title").Text(title),
			el("a").Class("bp-open").Attr("href", open.URL(a.prefix)).Attr("target", "_blank").Attr("rel", "noopener").
				Aria("label", a.t("openFull")).Text(a.t("openFull")+" ↗"),
		)
	}
	other, otherLabel := "zh-CN", "中文"
	if a.loc.Lang == "zh-CN" {
		other, otherLabel = "en", "English"
	}
	return el("header").Class("bp-header").Body(
		el("a").Class("bp-brand").Attr("href", a.link(Loc{})).Text("bpfplay").
			OnClick(a.onLink(Loc{})),
		el("nav").Aria("label", a.t("mainNav")).Body(
			el("a").Attr("href", a.link(Loc{})).Text(a.t("lessons")).OnClick(a.onLink(Loc{})),
			el("a").Attr("href", a.link(Loc{Page: PagePlay})).Text(a.t("playground")).OnClick(a.onLink(Loc{Page: PagePlay})),
		),
		el("button").ID("bp-lang").Class("bp-lang").
			Lang(other).
			Aria("label", a.t("switchLang")).
			Title(a.t("switchLang")).
			Text(otherLabel).
			OnClick(func(ctx app.Context, e app.Event) { a.switchLang(ctx, other) }),
	)
}

// onLink makes an in-app link navigate without a reload; a middle click or
// a modified click still opens the href in a new tab.
func (a *App) onLink(loc Loc) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool() || e.Get("shiftKey").Bool() || e.Get("button").Int() != 0 {
			return
		}
		e.PreventDefault()
		e.Call("stopPropagation")
		a.goTo(ctx, loc)
	}
}

func (a *App) switchLang(ctx app.Context, lang string) {
	ctx.LocalStorage().Set(langKey, lang)
	loc := a.loc
	loc.Lang = lang
	step := a.step
	a.navigate(ctx, loc)
	a.setStep(step)
}

func (a *App) renderProblems() app.UI {
	if len(a.loc.Problems) == 0 {
		return nil
	}
	return app.Div().Class("bp-problem").Role("status").Body(
		app.Text(a.t("urlIgnored")+" "),
		el("code").Text(strings.Join(a.loc.Problems, ", ")),
	)
}

// ---- home ----

func (a *App) renderHome() app.UI {
	if a.loadErr != "" {
		return a.renderLoadError()
	}
	ls := a.listings
	lang := a.loc.Lang
	return app.Div().Class("bp-home").Body(
		el("h1").Text(a.t("tagline")),
		el("p").Class("bp-lead").Text(a.t("intro")),
		el("h2").Text(a.t("lessons")),
		el("ol").ID("bp-lessons").Class("bp-lesson-list").Body(
			app.Range(ls).Slice(func(i int) app.UI {
				l := ls[i]
				loc := Loc{Page: PageLesson, Lesson: l.ID}
				return el("li").Body(
					el("a").Attr("href", a.link(loc)).DataSet("lesson", l.ID).
						OnClick(a.onLink(loc)).
						Body(el("strong").Text(inLang(l.Titles, lang))),
					app.Div().Class("bp-muted").Text(inLang(l.Summaries, lang)),
				)
			}),
		),
		el("p").Body(
			el("a").Class("bp-button").Attr("href", a.link(Loc{Page: PagePlay})).
				OnClick(a.onLink(Loc{Page: PagePlay})).Text(a.t("openPlayground")),
		),
	)
}

// ---- lesson ----

func (a *App) renderLesson() app.UI {
	if a.loadErr != "" || a.lesson.Lesson == nil {
		return a.renderLoadError()
	}
	l := a.lesson
	lang := a.loc.Lang
	t := l.text(lang)
	st, ok := a.current()
	key, note := "", ""
	if ok {
		key, note = l.note(lang, st.Line)
	}
	atEnd := a.trace != nil && a.step == a.last()
	noteBox := el("section").ID("bp-note").Class("bp-note").Aria("live", "polite").
		Aria("label", a.t("note")).DataSet("group", key).Body(
		app.If(note != "", app.Div().Body(Markdown(note)...)).
			Else(el("p").Class("bp-muted").Text(a.t("noNote"))),
		app.If(atEnd && strings.TrimSpace(t.Outro) != "", app.Div().Class("bp-outro").Body(Markdown(t.Outro)...)),
	)
	try := Loc{Page: PagePlay, Lesson: l.ID, Step: a.loc.Step}
	controls := app.Div().Class("bp-lesson-actions").Body(
		el("button").ID("bp-lecture").Aria("pressed", a.lecture).
			Aria("label", a.t("lectureMode")).
			Text(ternary(a.lecture, "■ "+a.t("stopLecture"), "▶ "+a.t("lectureMode"))).
			OnClick(func(ctx app.Context, e app.Event) {
				a.lecture = !a.lecture
				if a.lecture && !a.playing {
					a.togglePlay(ctx)
				} else if !a.lecture {
					a.stop()
				}
			}),
		app.If(!a.loc.Embed, el("a").ID("bp-try").Class("bp-button").Attr("href", a.link(try)).
			OnClick(a.onLink(try)).Text(a.t("tryIt"))),
		a.renderShareButtons(),
	)
	if a.loc.Embed {
		return app.Div().Class("bp-lesson").Body(
			noteBox, a.renderPlayer(), a.renderStage(),
		)
	}
	return app.Div().Class("bp-lesson").Body(
		el("h1").ID("bp-title").Text(t.Title),
		app.If(!a.lecture, app.Div().Class("bp-intro").Body(Markdown(t.Intro)...)),
		controls,
		a.renderShare(),
		noteBox,
		a.renderPlayer(),
		a.renderStage(),
	)
}

func (a *App) renderLoadError() app.UI {
	if a.loadErr == "engine" {
		return app.Div().Class("bp-unavailable").Role("status").Text(a.t("engineUnavailable"))
	}
	return app.Div().Class("bp-error").Role("alert").Text(a.loadErr)
}

// ---- playground ----

func (a *App) renderPlay() app.UI {
	var parts []app.UI
	if a.loadErr != "" {
		parts = append(parts, a.renderLoadError())
	}
	if !a.loc.Embed {
		parts = append(parts,
			el("h1").Text(a.t("playground")),
			app.If(a.restoreNote, app.Div().Class("bp-notice").Role("status").Body(
				app.Text(a.t("prevDraftKept")+" "),
				el("button").ID("bp-restore").Text(a.t("restoreDraft")).OnClick(a.onRestore),
			)),
			el("label").Attr("for", "bp-editor").Class("bp-label").Text(a.t("scenario")),
			el("textarea").ID("bp-editor").Class("bp-editor").
				Aria("label", a.t("scenario")).
				Aria("invalid", len(a.errs) > 0).
				Aria("describedby", "bp-errors").
				Spellcheck(false).
				Attr("rows", 14).
				Text(a.editor).
				OnInput(a.onEdit).
				OnKeyDown(func(ctx app.Context, e app.Event) {
					if e.Get("key").String() == "Enter" && (e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool()) {
						e.PreventDefault()
						a.onRun(ctx, e)
					}
				}),
			app.Div().Class("bp-edit-actions").Body(
				el("button").ID("bp-run").Class("bp-primary").Aria("label", a.t("runHint")).
					Text("▶ "+a.t("run")).OnClick(a.onRun),
				a.renderShareButtons(),
			),
			a.renderShare(),
		)
	}
	parts = append(parts, a.renderErrors())
	if a.trace != nil {
		parts = append(parts, a.renderPlayer(), a.renderStage())
	}
	return app.Div().Class("bp-play").Body(parts...)
}

func (a *App) onEdit(ctx app.Context, e app.Event) {
	a.editor = ctx.JSSrc().Get("value").String()
	ctx.LocalStorage().Set(draftKey, a.editor)
	if a.loc.Lesson != "" || a.loc.Shared != "" {
		// The text is the user's now: a reload must open the draft, not
		// the lesson or shared scenario again.
		a.loc.Lesson, a.loc.Shared, a.lessonID = "", "", ""
		a.replaceURL()
	}
	// No ctx.PreventUpdate here: in go-app v9.8 it leaves the component
	// marked "no update" until a non-event dispatch, which swallowed the
	// Run button's update after typing.
}

func (a *App) onRun(ctx app.Context, e app.Event) {
	a.stop()
	if app.IsClient {
		if el := app.Window().GetElementByID("bp-editor"); el.Truthy() {
			a.editor = el.Get("value").String()
		}
	}
	ctx.LocalStorage().Set(draftKey, a.editor)
	a.src = a.editor
	// The editor's text is now the scenario: drop a shared fragment or
	// lesson from the URL (the draft is in localStorage).
	a.loc.Shared = ""
	a.loc.Lesson = ""
	a.lessonID = ""
	a.loadErr = ""
	a.share = ""
	a.run("playground", a.editor)
	a.setStep(0)
}

func (a *App) onRestore(ctx app.Context, e app.Event) {
	var prev string
	ctx.LocalStorage().Get(prevDraftKey, &prev)
	if prev == "" {
		return
	}
	// Swap, so that nothing is lost either way.
	ctx.LocalStorage().Set(prevDraftKey, a.editor)
	a.editor = prev
	ctx.LocalStorage().Set(draftKey, prev)
	a.restoreNote = true
	if app.IsClient {
		if el := app.Window().GetElementByID("bp-editor"); el.Truthy() {
			el.Set("value", prev)
		}
	}
}

func (a *App) renderErrors() app.UI {
	if len(a.errs) == 0 {
		return app.Div().ID("bp-errors")
	}
	lines := strings.Split(a.editor, "\n")
	return app.Div().ID("bp-errors").Class("bp-error").Role("alert").Body(
		el("strong").Text(a.t("scenarioErrors")),
		el("ul").Body(app.Range(a.errs).Slice(func(i int) app.UI {
			e := a.errs[i]
			src := ""
			if e.Line >= 1 && e.Line <= len(lines) {
				src = lines[e.Line-1]
			}
			pos := a.t("line") + " " + strconv.Itoa(e.Line)
			if e.Col > 0 {
				pos += ", " + a.t("col") + " " + strconv.Itoa(e.Col)
			}
			line := e.Line
			return el("li").DataSet("line", e.Line).Body(
				app.If(e.Line > 0, el("button").Class("bp-linkish").
					Aria("label", a.t("goToLine")+" "+strconv.Itoa(e.Line)).
					Text(pos).
					OnClick(func(ctx app.Context, ev app.Event) { selectLine(line) })),
				app.Text(": "+e.Msg),
				app.If(src != "", el("pre").Class("bp-errline").Body(
					el("code").Text(src),
					app.If(e.Col > 0, el("code").Class("bp-caret").Aria("hidden", true).
						Text("\n"+strings.Repeat(" ", max(0, e.Col-1))+"^")),
				)),
			)
		})),
		el("p").Class("bp-muted").Text(a.t("draftSafe")),
	)
}

// selectLine puts the editor's selection on a 1-based line.
func selectLine(line int) {
	if !app.IsClient {
		return
	}
	el := app.Window().GetElementByID("bp-editor")
	if !el.Truthy() {
		return
	}
	text := el.Get("value").String()
	start := 0
	for n := 1; n < line; n++ {
		i := strings.IndexByte(text[start:], '\n')
		if i < 0 {
			break
		}
		start += i + 1
	}
	end := strings.IndexByte(text[start:], '\n')
	if end < 0 {
		end = len(text)
	} else {
		end += start
	}
	// JS strings count UTF-16 units; convert from byte offsets.
	el.Call("focus")
	el.Call("setSelectionRange", utf16Len(text[:start]), utf16Len(text[:end]))
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// ---- share and embed ----

func (a *App) renderShareButtons() app.UI {
	if a.loc.Embed {
		return nil
	}
	return el("span").Class("bp-share-buttons").Body(
		el("button").ID("bp-share").Aria("label", a.t("shareHint")).Text(a.t("share")).
			OnClick(func(ctx app.Context, e app.Event) { a.makeShare(ctx, "link") }),
		el("button").ID("bp-embed-code").Aria("label", a.t("embedHint")).Text("</> "+a.t("embed")).
			OnClick(func(ctx app.Context, e app.Event) { a.makeShare(ctx, "embed") }),
	)
}

// makeShare makes the share link (kind "link") or the embed snippet
// ("embed") for what is shown: the lesson, or the whole scenario in the
// fragment, at the current step and language. Compressing the scenario may
// finish later (in the browser it is asynchronous).
func (a *App) makeShare(ctx app.Context, kind string) {
	loc := Loc{Step: a.loc.Step, Insn: a.loc.Insn, Lang: a.loc.Lang}
	show := func(loc Loc) {
		origin := ""
		if app.IsClient {
			origin = app.Window().Get("location").Get("origin").String()
		}
		if kind == "embed" {
			loc.Embed = true
			a.share = `<iframe src="` + escapeHTML(origin+loc.URL(a.prefix)) + `" title="bpfplay" width="100%" height="560" style="border:1px solid #ccc" loading="lazy"></iframe>`
		} else {
			a.share = origin + loc.URL(a.prefix)
		}
		a.shareKind, a.shareErr = kind, ""
	}
	if a.loc.Page == PageLesson {
		loc.Page, loc.Lesson = PageLesson, a.lessonID
		show(loc)
		return
	}
	loc.Page = PagePlay
	gen := a.navGen
	encodeShare(ctx, a.src, func(frag string, err error) {
		if gen != a.navGen {
			return // the reader has moved on
		}
		if err != nil {
			a.share, a.shareErr = "", err.Error()
			return
		}
		loc.Shared = frag
		show(loc)
	})
}

func (a *App) renderShare() app.UI {
	if a.shareErr != "" {
		return app.Div().Class("bp-error").Role("alert").Text(a.shareErr)
	}
	if a.share == "" {
		return nil
	}
	label := a.t("shareLink")
	if a.shareKind == "embed" {
		label = a.t("embedCode")
	}
	return app.Div().Class("bp-sharebox").Body(
		el("label").Attr("for", "bp-share-out").Text(label),
		elc("input").ID("bp-share-out").Attr("readonly", true).Attr("value", a.share).
			Aria("label", label).
			OnFocus(func(ctx app.Context, e app.Event) { ctx.JSSrc().Call("select") }),
		el("button").ID("bp-copy").Text(a.t("copy")).Aria("label", a.t("copy")+": "+label).
			OnClick(func(ctx app.Context, e app.Event) {
				if app.IsClient {
					if c := app.Window().Get("navigator").Get("clipboard"); c.Truthy() {
						c.Call("writeText", a.share)
					}
				}
			}),
	)
}

func ternary(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}
