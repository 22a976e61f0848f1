package web

import (
	"fmt"
	"strconv"

	"github.com/bpfplay/bpfplay/sim/vm"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// tailCallChain draws the chain of programs a run statement went through,
// from the interpreter's tail-call events: each attempt with its program
// array slot, the tail_call_cnt out of 33 after it, and fall-throughs with
// their reason.
func (a *App) tailCallChain(st StepView) app.UI {
	var calls []vm.TailCallEvent
	for _, e := range st.Events {
		if tc, ok := e.(vm.TailCallEvent); ok {
			calls = append(calls, tc)
		}
	}
	if len(calls) == 0 {
		return nil
	}
	entry := calls[0].Prog
	items := []app.UI{el("li").DataSet("prog", entry).Body(el("code").Text(entry), app.Text(" ("+a.t("entryProg")+")"))}
	for _, c := range calls {
		if c.Taken {
			items = append(items, el("li").DataSet("taken", "1").DataSet("target", c.Target).DataSet("count", c.Count).Body(
				app.Text(fmt.Sprintf("→ %s[%d] → ", c.Map, c.Index)),
				el("code").Text(c.Target),
				app.Text(fmt.Sprintf(" · tail_call_cnt %d / %d", c.Count, vm.MaxTailCalls)),
			))
		} else {
			items = append(items, el("li").DataSet("taken", "0").DataSet("count", c.Count).Class("bp-fail").Body(
				app.Text(fmt.Sprintf("✗ %s[%d] %s: %s · tail_call_cnt %d", c.Map, c.Index, a.t("fallsThrough"), c.Reason, c.Count)),
			))
		}
	}
	return el("section").ID("bp-tailcalls").Class("bp-tailcalls").Aria("label", a.t("tailCalls")).
		DataSet("calls", strconv.Itoa(len(calls))).Body(
		el("h2").Text(a.t("tailCalls")+" (MAX_TAIL_CALL_CNT "+strconv.Itoa(vm.MaxTailCalls)+")"),
		el("ol").Class("bp-chain").Body(items...),
	)
}
