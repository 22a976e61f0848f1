package web

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// tailCallChain draws the chain of programs a run statement went through:
// each tail call with its slot, the counter out of 33, and fall-throughs
// with their reason. It reads the interpreter's tail-call events, whose
// kinds start with "tail_call"; until the interpreter reports them the
// events list is the whole story.
func (a *App) tailCallChain(st StepView) app.UI {
	var items []app.UI
	for _, e := range st.Events {
		k := e.Kind()
		if len(k) >= 9 && (k[:9] == "tail_call" || k[:9] == "tailcall.") || k == "vm.tail_call" {
			items = append(items, app.Li().DataSet("kind", k).Text(e.String()))
		}
	}
	if len(items) == 0 {
		return nil
	}
	return app.Section().ID("bp-tailcalls").Aria("label", a.t("tailCalls")).Body(
		app.H4().Text(a.t("tailCalls")+" (MAX_TAIL_CALL_CNT 33)"),
		app.Ol().Body(items...),
	)
}
