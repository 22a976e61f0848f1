package web

import (
	"errors"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/scenario"
)

// The scenario package runs scenarios for the playground and the lessons.
func init() { runScenario = runWithScenario }

// maxUISteps bounds how many statements a scenario typed in the browser may
// run, so a runaway script cannot freeze the page.
const maxUISteps = 100000

func runWithScenario(name, src string) (Trace, error) {
	s, err := scenario.Parse(name, src)
	if err != nil {
		return nil, err
	}
	t := scenario.Run(s, scenario.Options{MaxSteps: maxUISteps})
	return &scenarioTrace{t: t}, nil
}

type scenarioTrace struct{ t *scenario.Trace }

func (s *scenarioTrace) Len() int { return len(s.t.Steps) }

func (s *scenarioTrace) Step(i int) StepView {
	st := &s.t.Steps[i]
	v := StepView{
		Line: st.Line, Text: st.Text, Op: st.Op, Map: st.Map,
		Errno: st.Errno, Key: st.Key, Keys: st.Keys, Value: st.Value,
		Display: st.Display, Expect: st.Expect, Failed: st.Failed, Got: st.Got,
		Events: st.Events,
	}
	if st.Ret != nil {
		v.Ret, v.HasRet = *st.Ret, true
	}
	if st.Err != nil {
		var e *scenario.Error
		if errors.As(st.Err, &e) {
			v.Err = e.Msg
		} else {
			v.Err = st.Err.Error()
		}
	}
	return v
}

func (s *scenarioTrace) Frame(i int) (*sim.World, []NamedMap) {
	w, named := s.t.NamedMapsAt(i)
	out := make([]NamedMap, len(named))
	for j, n := range named {
		out[j] = NamedMap{Name: n.Name, Map: n.Map}
	}
	return w, out
}

func (s *scenarioTrace) StepErrors() []ScriptError {
	var out []ScriptError
	for _, e := range s.t.Errors() {
		out = append(out, ScriptError{Line: e.Line, Col: e.Col, Msg: e.Msg})
	}
	return out
}

// positionsOf converts the scenario package's positioned errors.
func positionsOf(err error) ([]ScriptError, bool) {
	var list scenario.ErrorList
	if errors.As(err, &list) {
		out := make([]ScriptError, len(list))
		for i, e := range list {
			out[i] = ScriptError{Line: e.Line, Col: e.Col, Msg: e.Msg}
		}
		return out, true
	}
	var one *scenario.Error
	if errors.As(err, &one) {
		return []ScriptError{{Line: one.Line, Col: one.Col, Msg: one.Msg}}, true
	}
	return nil, false
}

func init() { positioned = positionsOf }
