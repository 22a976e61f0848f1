package scenario

import (
	"fmt"
	"strings"

	"github.com/bpfplay/bpfplay/internal/errs"
	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/bpfasm"
	"github.com/bpfplay/bpfplay/sim/vm"
)

// progSource is a prog block whose body assembled at parse time. The
// instructions are assembled again (deterministically) when the statement
// runs rather than kept: a Stmt keeping asm.Instructions makes the linker
// keep cilium's instruction formatter in app.wasm (Stmt reaches an
// interface), about 40 KiB of code the app never calls.
type progSource struct {
	typ sim.ProgType
}

// assembleStmt assembles a prog block's body with bpfasm; assembler
// errors are positioned at their scenario line and column.
func assembleStmt(st *Stmt) error {
	o, _ := st.Opt("type")
	typ, err := sim.ParseProgType(o.Value)
	if err != nil {
		return &Error{Line: st.Line, Col: o.ValCol, Msg: err.Error()}
	}
	if _, err := bpfasm.Assemble(st.Body); err != nil {
		var list ErrorList
		if al, ok := errs.As[bpfasm.ErrorList](err); ok {
			for _, e := range al {
				list = append(list, &Error{Line: st.BodyLine + e.Line - 1, Col: e.Col, Msg: e.Msg})
			}
		} else if one, ok := errs.As[*bpfasm.Error](err); ok {
			list = append(list, &Error{Line: st.BodyLine + one.Line - 1, Col: one.Col, Msg: one.Msg})
		} else {
			list = append(list, &Error{Line: st.Line, Col: st.Col, Msg: err.Error()})
		}
		if len(list) == 0 {
			list = append(list, &Error{Line: st.Line, Col: st.Col, Msg: "the program does not assemble"})
		}
		return list
	}
	st.prog = &progSource{typ: typ}
	return nil
}

// loadErrno is the errno BPF_PROG_LOAD returns for a refused program: the
// error's own when it has one, else EINVAL (a malformed program).
func loadErrno(err error) sim.Errno {
	if withErrno, ok := errs.As[interface{ Errno() sim.Errno }](err); ok {
		return withErrno.Errno()
	}
	if e, ok := errs.As[sim.Errno](err); ok {
		return e
	}
	return sim.EINVAL
}

func (ex *executor) doProg(s *Stmt, step *Step) error {
	st := ex.st
	name := argText(s, 0)
	step.Map = name
	st.sealed = true
	if s.prog == nil {
		return ex.errAt(s, 0, "prog %s has no assembled body", name)
	}
	resolve := func(ref string) (*sim.Map, bool) {
		m, err := st.mapNamed(ref)
		return m, err == nil
	}
	insns, err := bpfasm.Assemble(s.Body)
	if err != nil { // assembled at parse time: cannot happen
		return ex.errAt(s, 0, "prog %s: %v", name, err)
	}
	p, err := vm.Load(st.w, name, s.prog.typ, insns, resolve)
	if err != nil {
		step.Errno = loadErrno(err)
		step.Display = err.Error()
		if st.w.Emitting() {
			st.w.Emit(sim.NoteEvent{Text: fmt.Sprintf("BPF_PROG_LOAD %s: %v", name, err)})
		}
		st.unbind(name)
		return nil
	}
	st.bind(name, binding{fd: p.FD(), prog: true})
	return nil
}

func (ex *executor) progNamed(s *Stmt, i int) (*vm.Program, error) {
	a := s.Args[i]
	b, ok := ex.st.names[a.Tok.Text]
	if !ok {
		return nil, ex.errAt(s, a.Tok.Col, "undefined program %q", a.Tok.Text)
	}
	if !b.prog {
		return nil, ex.errAt(s, a.Tok.Col, "%q is a map, not a program", a.Tok.Text)
	}
	p, e := ex.st.w.ProgByFD(b.fd)
	if e != sim.OK {
		return nil, ex.errAt(s, a.Tok.Col, "%q: fd %d is not a program", a.Tok.Text, b.fd)
	}
	vp, ok := p.(*vm.Program)
	if !ok {
		return nil, ex.errAt(s, a.Tok.Col, "%q is not an interpreter program", a.Tok.Text)
	}
	return vp, nil
}

// runOptions decodes run's key=value options.
func runOptions(s *Stmt, budget int) (vm.Options, error) {
	opt := vm.Options{Budget: budget}
	for _, o := range s.Opts {
		switch o.Key {
		case "packet":
			b, err := packetBytes(o.Value)
			if err != nil {
				return opt, err
			}
			opt.Packet = b
		case "repeat":
			n, _ := parseUint(o.Value)
			if n > 1<<20 {
				return opt, fmt.Errorf("repeat=%d is more than %d", n, 1<<20)
			}
			opt.Repeat = int(n)
		case "pid":
			n, _ := parseUint(o.Value)
			if n > 0xffffffff {
				return opt, fmt.Errorf("pid=%d does not fit in 32 bits", n)
			}
			opt.PID, opt.TGID = uint32(n), uint32(n)
		case "comm":
			opt.Comm = o.Value
		}
	}
	return opt, nil
}

// runErrno is the errno shown for a run that failed. Inputs refused before
// the first instruction (a packet shorter than an Ethernet header) are
// BPF_PROG_TEST_RUN's EINVAL. A program stopped by a runtime error gets
// what the verifier would have returned for a program that can do this:
// E2BIG for one that does not finish, EACCES for a safety violation.
func runErrno(res vm.Result) sim.Errno {
	err := res.Err
	if withErrno, ok := errs.As[interface{ Errno() sim.Errno }](error(err)); ok {
		return withErrno.Errno()
	}
	switch {
	case res.Insns == 0 && res.Runs == 0:
		return sim.EINVAL
	case strings.HasPrefix(err.Verifier, "BPF program is too large"):
		return sim.E2BIG
	}
	return sim.EACCES
}

func (ex *executor) doRun(s *Stmt, step *Step) error {
	step.Map = argText(s, 0)
	p, err := ex.progNamed(s, 0)
	if err != nil {
		return err
	}
	opt, err := runOptions(s, ex.opt.MaxInsns)
	if err != nil {
		return ex.errAt(s, 0, "%v", err)
	}
	res := vm.Run(ex.st.w, p, opt)
	if res.Err != nil {
		step.Errno = runErrno(res)
		step.Display = res.Err.Error()
		return nil
	}
	r0 := res.R0
	step.Ret = &r0
	step.Display = fmt.Sprint(r0)
	return nil
}

// MachineAt returns the interpreter stopped after insn instructions of the
// run statement at step, on its own World: a clone of WorldAt(step-1), so
// the caller may step it further (Machine.Step) and look at both. It
// returns nil when step is not a run statement that can start.
func (t *Trace) MachineAt(step, insn int) (*vm.Machine, *sim.World) {
	if t == nil || step < 0 || step >= len(t.Steps) || t.Script == nil || step >= len(t.Script.Stmts) {
		return nil, nil
	}
	s := t.Script.Stmts[step]
	if s == nil || s.Op != "run" || (t.Opt.MaxSteps > 0 && step >= t.Opt.MaxSteps) {
		return nil, nil
	}
	st := t.stateAt(step - 1)
	if st == nil {
		return nil, nil
	}
	ex := &executor{opt: t.Opt, st: st, file: t.Script.Name, replay: true}
	p, err := ex.progNamed(s, 0)
	if err != nil {
		return nil, nil
	}
	opt, err := runOptions(s, t.Opt.MaxInsns)
	if err != nil {
		return nil, nil
	}
	m := vm.NewMachine(st.w, p, opt)
	for i := 0; i < insn && !m.Done(); i++ {
		m.Step()
	}
	return m, st.w
}
