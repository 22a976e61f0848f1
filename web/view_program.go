package web

import (
	"encoding/hex"
	"strconv"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// programView draws one interpreter state: the instruction list with the
// current instruction, registers with their provenance labels, the stack
// bytes in use, the console and a runtime error with the verifier's words.
func (a *App) programView(mv MachineView, insn, n int) app.UI {
	setInsn := func(i int) { a.setInsn(i, n) }
	var rows []stackRow
	for off := 0; off+8 <= len(mv.Stack); off += 8 {
		b := mv.Stack[off : off+8]
		if !allZero(b) {
			rows = append(rows, stackRow{off - len(mv.Stack), b})
		}
	}
	return el("section").ID("bp-program").Class("bp-program").Aria("label", a.t("program")).
		DataSet("pc", mv.PC).Body(
		el("h2").Text(a.t("program")+" "+mv.Program),
		app.Div().Class("bp-player").Role("toolbar").Aria("label", a.t("insnStepping")).Body(
			el("button").ID("bp-insn-back").Class("bp-ctl").Aria("label", a.t("prevInsn")+" (Shift+←)").
				Title(a.t("prevInsn")+" (Shift+←)").Attr("disabled", insn <= 1).
				Text("◀").OnClick(func(ctx app.Context, e app.Event) { setInsn(insn - 1) }),
			elc("input").ID("bp-insn-slider").Attr("type", "range").Attr("min", 1).Attr("max", n).Attr("value", insn).
				Aria("label", a.t("insnTimeline")).
				OnInput(func(ctx app.Context, e app.Event) {
					if v, err := strconv.Atoi(ctx.JSSrc().Get("value").String()); err == nil {
						setInsn(v)
					}
				}),
			el("button").ID("bp-insn-fwd").Class("bp-ctl").Aria("label", a.t("nextInsn")+" (Shift+→)").
				Title(a.t("nextInsn")+" (Shift+→)").Attr("disabled", insn >= n).
				Text("▶").OnClick(func(ctx app.Context, e app.Event) { setInsn(insn + 1) }),
			el("span").Class("bp-stepno").Text(a.t("insn")+" "+strconv.Itoa(insn)+" / "+strconv.Itoa(n)),
		),
		a.programState(mv, rows),
	)
}

// setInsn shows instruction i (clamped to 1..n) of the step's run and
// records it in the URL.
func (a *App) setInsn(i, n int) {
	a.loc.Insn = min(max(i, 1), n)
	a.replaceURL()
}

// shownInsn is the instruction the program view shows, 1..n (the run's
// end when the URL names none), and n, the number of instructions the
// step's run executed; ok is false when the step ran no program.
func (a *App) shownInsn() (it InsnTracer, insn, n int, ok bool) {
	if it, ok = a.trace.(InsnTracer); !ok {
		return nil, 0, 0, false
	}
	if n = it.Insns(a.step); n == 0 {
		return nil, 0, 0, false
	}
	insn = a.loc.Insn
	if insn <= 0 || insn > n {
		insn = n
	}
	return it, insn, n, true
}

// stepInsn moves the instruction shown by d (Shift+← and Shift+→). It
// reports false when the step ran no program.
func (a *App) stepInsn(d int) bool {
	_, cur, n, ok := a.shownInsn()
	if ok {
		a.setInsn(cur+d, n)
	}
	return ok
}

// stackRow is one non-zero 8-byte slot of the stack, off relative to r10.
type stackRow struct {
	off   int
	bytes []byte
}

// programState draws the runtime error, the instruction listing, the
// registers, the stack and the console: static markup, so one HTML fragment
// (in a wrapper div with no style of its own) instead of a go-app tree.
func (a *App) programState(mv MachineView, rows []stackRow) app.UI {
	var d htmlDoc
	d.open("div", "class", "bp-prog-state")
	if e := mv.Err; e != nil {
		d.open("div", "id", "bp-runtime-error", "class", "bp-error", "role", "alert").
			elem("strong", "✗ "+a.t("runtimeError")+" (pc "+strconv.Itoa(e.PC)+")").
			open("pre").elem("code", e.Verifier).close("pre").
			elem("p", e.Explain).close("div")
	}
	d.open("div", "class", "bp-prog-cols")
	d.open("ol", "id", "bp-insns", "class", "bp-listing", "start", "0")
	for i, text := range mv.Insns {
		pc := strconv.Itoa(i)
		if i == mv.PC {
			d.open("li", "data-pc", pc, "class", "bp-cur", "aria-current", "step").
				elem("span", "▶ ", "class", "bp-marker", "aria-hidden", "true").
				elem("span", a.t("currentInsn")+": ", "class", "bp-sr").
				elem("code", text).close("li")
			continue
		}
		d.open("li", "data-pc", pc).elem("span", "  ", "class", "bp-marker", "aria-hidden", "true").
			elem("code", text).close("li")
	}
	d.close("ol")
	d.open("table", "id", "bp-regs", "class", "bp-table").elem("caption", a.t("registers")).open("tbody")
	for i := 0; i < 11; i++ {
		d.open("tr", "data-reg", strconv.Itoa(i)).
			elem("th", "r"+strconv.Itoa(i), "scope", "row").
			open("td").elem("code", "0x"+strconv.FormatUint(mv.Regs[i], 16)).close("td").
			elem("td", mv.RegLabel[i], "class", "bp-label-cell").close("tr")
	}
	d.close("tbody").close("table").close("div")
	d.open("table", "id", "bp-stack", "class", "bp-table").elem("caption", a.t("stack")).open("tbody")
	for _, r := range rows {
		d.open("tr").elem("th", "r10"+strconv.Itoa(r.off), "scope", "row").
			open("td").elem("code", hex.EncodeToString(r.bytes)).close("td").close("tr")
	}
	d.close("tbody").close("table")
	if len(mv.Console) > 0 {
		d.open("pre", "id", "bp-console", "class", "bp-console", "aria-label", a.t("console")).
			elem("code", joinLines(mv.Console)).close("pre")
	}
	return d.close("div").UI()
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func joinLines(s []string) string {
	out := ""
	for i, l := range s {
		if i > 0 {
			out += "\n"
		}
		out += l
	}
	return out
}
