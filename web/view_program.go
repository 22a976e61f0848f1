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
	setInsn := func(i int) {
		if i < 1 {
			i = 1
		}
		if i > n {
			i = n
		}
		a.loc.Insn = i
		a.replaceURL()
	}
	regs := make([]int, 11)
	for i := range regs {
		regs[i] = i
	}
	type stackRow struct {
		off   int
		bytes []byte
	}
	var rows []stackRow
	for off := 0; off+8 <= len(mv.Stack); off += 8 {
		b := mv.Stack[off : off+8]
		if !allZero(b) {
			rows = append(rows, stackRow{off - len(mv.Stack), b})
		}
	}
	var errorBox app.UI
	if e := mv.Err; e != nil {
		errorBox = app.Div().ID("bp-runtime-error").Class("bp-error").Role("alert").Body(
			el("strong").Text("✗ "+a.t("runtimeError")+" (pc "+strconv.Itoa(e.PC)+")"),
			el("pre").Body(el("code").Text(e.Verifier)),
			el("p").Text(e.Explain),
		)
	}
	return el("section").ID("bp-program").Class("bp-program").Aria("label", a.t("program")).
		DataSet("pc", mv.PC).Body(
		el("h2").Text(a.t("program")+" "+mv.Program),
		app.Div().Class("bp-player").Role("toolbar").Aria("label", a.t("insnStepping")).Body(
			el("button").ID("bp-insn-back").Class("bp-ctl").Aria("label", a.t("prevInsn")).Attr("disabled", insn <= 1).
				Text("◀").OnClick(func(ctx app.Context, e app.Event) { setInsn(insn - 1) }),
			elc("input").ID("bp-insn-slider").Attr("type", "range").Attr("min", 1).Attr("max", n).Attr("value", insn).
				Aria("label", a.t("insnTimeline")).
				OnInput(func(ctx app.Context, e app.Event) {
					if v, err := strconv.Atoi(ctx.JSSrc().Get("value").String()); err == nil {
						setInsn(v)
					}
				}),
			el("button").ID("bp-insn-fwd").Class("bp-ctl").Aria("label", a.t("nextInsn")).Attr("disabled", insn >= n).
				Text("▶").OnClick(func(ctx app.Context, e app.Event) { setInsn(insn + 1) }),
			el("span").Class("bp-stepno").Text(a.t("insn")+" "+strconv.Itoa(insn)+" / "+strconv.Itoa(n)),
		),
		errorBox,
		app.Div().Class("bp-prog-cols").Body(
			el("ol").ID("bp-insns").Class("bp-listing").Attr("start", 0).Body(
				app.Range(mv.Insns).Slice(func(i int) app.UI {
					li := el("li").DataSet("pc", i)
					if i == mv.PC {
						return li.Class("bp-cur").Aria("current", "step").Body(
							el("span").Class("bp-marker").Aria("hidden", true).Text("▶ "),
							el("span").Class("bp-sr").Text(a.t("currentInsn")+": "),
							el("code").Text(mv.Insns[i]))
					}
					return li.Body(el("span").Class("bp-marker").Aria("hidden", true).Text("  "), el("code").Text(mv.Insns[i]))
				}),
			),
			el("table").ID("bp-regs").Class("bp-table").Body(
				el("caption").Text(a.t("registers")),
				el("tbody").Body(app.Range(regs).Slice(func(i int) app.UI {
					return el("tr").DataSet("reg", i).Body(
						el("th").Attr("scope", "row").Text("r"+strconv.Itoa(i)),
						el("td").Body(el("code").Text("0x"+strconv.FormatUint(mv.Regs[i], 16))),
						el("td").Class("bp-label-cell").Text(mv.RegLabel[i]),
					)
				})),
			),
		),
		el("table").ID("bp-stack").Class("bp-table").Body(
			el("caption").Text(a.t("stack")),
			el("tbody").Body(app.Range(rows).Slice(func(i int) app.UI {
				return el("tr").Body(
					el("th").Attr("scope", "row").Text("r10"+strconv.Itoa(rows[i].off)),
					el("td").Body(el("code").Text(hex.EncodeToString(rows[i].bytes))),
				)
			})),
		),
		app.If(len(mv.Console) > 0, el("pre").ID("bp-console").Class("bp-console").Aria("label", a.t("console")).
			Body(el("code").Text(joinLines(mv.Console)))),
	)
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
