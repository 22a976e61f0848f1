//go:build bpfplay_vm

package scenario

import (
	"fmt"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/vm"
	"github.com/cilium/ebpf/asm"
)

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
	insns := append(asm.Instructions(nil), s.prog.insns...)
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

func (ex *executor) doRun(s *Stmt, step *Step) error {
	step.Map = argText(s, 0)
	if _, err := ex.progNamed(s, 0); err != nil {
		return err
	}
	return ex.errAt(s, 0, "%v", errNotYet("the BPF interpreter (run)"))
}
