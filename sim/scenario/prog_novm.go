//go:build !bpfplay_vm

package scenario

// Until sim/vm builds, prog and run report that programs are not available.

func (ex *executor) doProg(s *Stmt, step *Step) error {
	ex.st.sealed = true
	step.Map = argText(s, 0)
	return ex.errAt(s, 0, "%v", errNotYet("the BPF interpreter (prog)"))
}

func (ex *executor) doRun(s *Stmt, step *Step) error {
	step.Map = argText(s, 0)
	return ex.errAt(s, 0, "%v", errNotYet("the BPF interpreter (run)"))
}
