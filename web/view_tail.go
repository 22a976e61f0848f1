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
	var d htmlDoc
	d.open("section", "id", "bp-tailcalls", "class", "bp-tailcalls", "aria-label", a.t("tailCalls"),
		"data-calls", strconv.Itoa(len(calls))).
		elem("h2", a.t("tailCalls")+" (MAX_TAIL_CALL_CNT "+strconv.Itoa(vm.MaxTailCalls)+")").
		open("ol", "class", "bp-chain").
		open("li", "data-prog", entry).elem("code", entry).text(" (" + a.t("entryProg") + ")").close("li")
	for _, c := range calls {
		if c.Taken {
			d.open("li", "data-taken", "1", "data-target", c.Target, "data-count", strconv.Itoa(c.Count)).
				text(fmt.Sprintf("→ %s[%d] → ", c.Map, c.Index)).
				elem("code", c.Target).
				text(fmt.Sprintf(" · tail_call_cnt %d / %d", c.Count, vm.MaxTailCalls)).
				close("li")
		} else {
			d.elem("li", fmt.Sprintf("✗ %s[%d] %s: %s · tail_call_cnt %d", c.Map, c.Index, a.t("fallsThrough"), c.Reason, c.Count),
				"data-taken", "0", "data-count", strconv.Itoa(c.Count), "class", "bp-fail")
		}
	}
	return d.close("ol").close("section").UI()
}
