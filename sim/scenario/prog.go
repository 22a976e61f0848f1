package scenario

import (
	"errors"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/bpfasm"
	"github.com/cilium/ebpf/asm"
)

// progSource is the assembled body of a prog block.
type progSource struct {
	typ   sim.ProgType
	insns asm.Instructions
}

// assembleStmt assembles a prog block's body with bpfasm; assembler
// errors are positioned at their scenario line and column.
func assembleStmt(st *Stmt) error {
	o, _ := st.Opt("type")
	typ, err := sim.ParseProgType(o.Value)
	if err != nil {
		return &Error{Line: st.Line, Col: o.ValCol, Msg: err.Error()}
	}
	insns, err := bpfasm.Assemble(st.Body)
	if err != nil {
		var list ErrorList
		var al bpfasm.ErrorList
		var one *bpfasm.Error
		switch {
		case errors.As(err, &al):
			for _, e := range al {
				list = append(list, &Error{Line: st.BodyLine + e.Line - 1, Col: e.Col, Msg: e.Msg})
			}
		case errors.As(err, &one):
			list = append(list, &Error{Line: st.BodyLine + one.Line - 1, Col: one.Col, Msg: one.Msg})
		default:
			list = append(list, &Error{Line: st.Line, Col: st.Col, Msg: err.Error()})
		}
		if len(list) == 0 {
			list = append(list, &Error{Line: st.Line, Col: st.Col, Msg: "the program does not assemble"})
		}
		return list
	}
	st.prog = &progSource{typ: typ, insns: insns}
	return nil
}

// loadErrno is the errno BPF_PROG_LOAD returns for a refused program: the
// error's own when it has one, else EINVAL (a malformed program).
func loadErrno(err error) sim.Errno {
	var withErrno interface{ Errno() sim.Errno }
	if errors.As(err, &withErrno) {
		return withErrno.Errno()
	}
	var e sim.Errno
	if errors.As(err, &e) {
		return e
	}
	return sim.EINVAL
}
