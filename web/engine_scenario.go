package web

import (
	"github.com/bpfplay/bpfplay/internal/errs"
	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/scenario"
	"github.com/bpfplay/bpfplay/sim/vm"
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
	t := scenario.Start(s, scenario.Options{MaxSteps: maxUISteps})
	return &scenarioTrace{t: t}, nil
}

type scenarioTrace struct {
	t     *scenario.Trace
	insns map[int]int // instructions per run step, computed on demand
}

func (s *scenarioTrace) Len() int { return len(s.t.Steps) }

func (s *scenarioTrace) Step(i int) StepView {
	s.t.RunTo(i)
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
		if e, ok := errs.As[*scenario.Error](st.Err); ok {
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

func (s *scenarioTrace) RunMore(n int) bool {
	s.t.RunTo(s.t.Ran() + n - 1)
	return s.t.Done()
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
	if list, ok := errs.As[scenario.ErrorList](err); ok {
		out := make([]ScriptError, len(list))
		for i, e := range list {
			out[i] = ScriptError{Line: e.Line, Col: e.Col, Msg: e.Msg}
		}
		return out, true
	}
	if one, ok := errs.As[*scenario.Error](err); ok {
		return []ScriptError{{Line: one.Line, Col: one.Col, Msg: one.Msg}}, true
	}
	return nil, false
}

func init() { positioned = positionsOf }

// maxUIInsns bounds instruction stepping inside one run statement.
const maxUIInsns = 1 << 20

// Insns is how many instructions the run statement of step i executed:
// the interpreter replayed on a clone of the World before the step.
func (s *scenarioTrace) Insns(step int) int {
	if s.insns == nil {
		s.insns = map[int]int{}
	}
	if n, ok := s.insns[step]; ok {
		return n
	}
	n := 0
	if m, _ := s.t.MachineAt(step, 0); m != nil {
		for !m.Done() && n < maxUIInsns {
			m.Step()
			n++
		}
	}
	s.insns[step] = n
	return n
}

// MachineAt is the interpreter state after insn instructions of step.
func (s *scenarioTrace) MachineAt(step, insn int) (MachineView, bool) {
	m, w := s.t.MachineAt(step, insn)
	if m == nil {
		return MachineView{}, false
	}
	ms := m.State()
	mv := MachineView{Program: ms.Prog, PC: ms.PC, Console: ms.Console}
	for r := 0; r < 11; r++ {
		mv.Regs[r] = ms.Regs[r].Value
		label := ms.Regs[r].Type
		if ms.Regs[r].Label != "" {
			label = ms.Regs[r].Label
		}
		if !ms.Regs[r].Init {
			label = "uninit"
		}
		mv.RegLabel[r] = label
	}
	if len(ms.Frames) > 0 {
		mv.Stack = ms.Frames[len(ms.Frames)-1].Stack
	}
	if p := progNamed(w, ms.Prog); p != nil {
		for pc := 0; pc < p.Len(); pc++ {
			mv.Insns = append(mv.Insns, p.Text(pc))
		}
	}
	if e := ms.Err; e != nil {
		mv.Err = &MachineError{PC: e.PC, Verifier: e.Verifier, Explain: e.Explain}
	}
	return mv, true
}

// progNamed finds a loaded program by name (IDs count up from 1).
func progNamed(w *sim.World, name string) *vm.Program {
	if w == nil {
		return nil
	}
	for id := uint32(1); id < 1<<16; id++ {
		p, ok := w.ProgByID(id)
		if !ok {
			return nil
		}
		if vp, ok := p.(*vm.Program); ok && vp.ProgName() == name {
			return vp
		}
	}
	return nil
}
