package vm

import (
	"fmt"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
)

// InsnEvent: an instruction is about to execute.
type InsnEvent struct {
	_ noCompare

	Prog string `json:"prog"`
	PC   int    `json:"pc"`
	Text string `json:"text"`
}

func (InsnEvent) Kind() string     { return "vm.insn" }
func (e InsnEvent) String() string { return fmt.Sprintf("%s %d: %s", e.Prog, e.PC, e.Text) }

// insnEvent returns the (shared, immutable) event for pc, built at load
// so that emitting it costs no allocation.
func (p *Program) insnEvent(pc int) sim.Event { return p.insnEv[pc] }

// RegEvent: a register changed. Type is the verifier's type of the new
// value; Label says what a pointer points at ("map value of flows +8").
// The machine emits register events as *RegEvent (see emitRegs).
type RegEvent struct {
	_ noCompare

	Reg   int    `json:"reg"`
	Old   uint64 `json:"old"`
	New   uint64 `json:"new"`
	Type  string `json:"type"`
	Label string `json:"label,omitempty"`
}

// Kind implements sim.Event.
func (RegEvent) Kind() string { return "vm.reg" }
func (e RegEvent) String() string {
	s := fmt.Sprintf("r%d = %#x (was %#x)", e.Reg, e.New, e.Old)
	switch {
	case e.Type == "uninit":
		return fmt.Sprintf("r%d clobbered (now unreadable)", e.Reg)
	case e.Label != "":
		s += ": " + e.Label
	}
	return s
}

// MemEvent: bytes were written to a region.
type MemEvent struct {
	_ noCompare

	Prog   string `json:"prog"`
	PC     int    `json:"pc"`
	Region string `json:"region"`
	Off    int    `json:"off"`
	Data   string `json:"data"` // hex
}

func (MemEvent) Kind() string { return "vm.mem" }
func (e MemEvent) String() string {
	return fmt.Sprintf("write %s%+d: %s", e.Region, e.Off, e.Data)
}

// HelperCallEvent: a helper is called with R1..R5.
type HelperCallEvent struct {
	_ noCompare

	Prog string   `json:"prog"`
	PC   int      `json:"pc"`
	ID   int32    `json:"id"`
	Name string   `json:"name"`
	Args []uint64 `json:"args"`
}

func (HelperCallEvent) Kind() string { return "vm.helper.call" }
func (e HelperCallEvent) String() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = fmt.Sprintf("%#x", a)
	}
	return fmt.Sprintf("call %s#%d(%s)", e.Name, e.ID, strings.Join(parts, ", "))
}

// HelperRetEvent: a helper returned R0.
type HelperRetEvent struct {
	_ noCompare

	Prog string `json:"prog"`
	PC   int    `json:"pc"`
	ID   int32  `json:"id"`
	Name string `json:"name"`
	R0   int64  `json:"r0"`
	Note string `json:"note,omitempty"`
}

func (HelperRetEvent) Kind() string { return "vm.helper.ret" }
func (e HelperRetEvent) String() string {
	s := fmt.Sprintf("%s returned %d", e.Name, e.R0)
	if e.Note != "" {
		s += " (" + e.Note + ")"
	}
	return s
}

// TailCallEvent: bpf_tail_call was taken or fell through.
type TailCallEvent struct {
	_ noCompare

	Prog   string `json:"prog"`
	PC     int    `json:"pc"`
	Map    string `json:"map"`
	Index  uint32 `json:"index"`
	Taken  bool   `json:"taken"`
	Target string `json:"target,omitempty"`
	Reason string `json:"reason,omitempty"`
	Count  int    `json:"count"` // tail_call_cnt after the attempt
}

func (TailCallEvent) Kind() string { return "vm.tailcall" }
func (e TailCallEvent) String() string {
	if e.Taken {
		return fmt.Sprintf("tail call %s[%d] -> %s (tail_call_cnt %d of %d)", e.Map, e.Index, e.Target, e.Count, MaxTailCalls)
	}
	return fmt.Sprintf("tail call %s[%d] falls through: %s (tail_call_cnt %d)", e.Map, e.Index, e.Reason, e.Count)
}

// CallEvent: a BPF-to-BPF call (or a helper's callback) entered a frame.
type CallEvent struct {
	_ noCompare

	Prog     string `json:"prog"`
	PC       int    `json:"pc"`
	Target   int    `json:"target"`
	Depth    int    `json:"depth"`
	Callback bool   `json:"callback,omitempty"`
}

func (CallEvent) Kind() string { return "vm.call" }
func (e CallEvent) String() string {
	what := "call"
	if e.Callback {
		what = "callback"
	}
	return fmt.Sprintf("%s to insn %d (frame %d)", what, e.Target, e.Depth)
}

// ReturnEvent: a function returned to its caller.
type ReturnEvent struct {
	_ noCompare

	Prog  string `json:"prog"`
	PC    int    `json:"pc"`
	R0    uint64 `json:"r0"`
	Depth int    `json:"depth"`
}

func (ReturnEvent) Kind() string { return "vm.return" }
func (e ReturnEvent) String() string {
	return fmt.Sprintf("return %d from frame %d", int64(e.R0), e.Depth)
}

// ExitEvent: a run of the program ended.
type ExitEvent struct {
	_ noCompare

	Prog   string `json:"prog"`
	PC     int    `json:"pc"`
	R0     uint64 `json:"r0"`
	Run    int    `json:"run,omitempty"`
	Reason string `json:"reason,omitempty"`
}

func (ExitEvent) Kind() string { return "vm.exit" }
func (e ExitEvent) String() string {
	s := fmt.Sprintf("%s exits with %d", e.Prog, int64(e.R0))
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// PrintkEvent: a line of bpf_trace_printk output.
type PrintkEvent struct {
	_ noCompare

	Prog string `json:"prog"`
	PC   int    `json:"pc"`
	Text string `json:"text"`
}

func (PrintkEvent) Kind() string     { return "vm.printk" }
func (e PrintkEvent) String() string { return "trace_printk: " + e.Text }

// ErrorEvent: the program stopped with a RuntimeError.
type ErrorEvent struct {
	_ noCompare

	Prog     string `json:"prog"`
	PC       int    `json:"pc"`
	Verifier string `json:"verifier"`
	Explain  string `json:"explain"`
}

func (ErrorEvent) Kind() string { return "vm.error" }
func (e ErrorEvent) String() string {
	return fmt.Sprintf("%s insn %d: %s (%s)", e.Prog, e.PC, e.Verifier, e.Explain)
}

// RegState is one register in MachineState.
type RegState struct {
	Value uint64 `json:"value"`
	Init  bool   `json:"init"`
	Type  string `json:"type"`
	Label string `json:"label,omitempty"`
}

// FrameState is one call frame in MachineState.
type FrameState struct {
	Depth      int    `json:"depth"`
	ReturnPC   int    `json:"return_pc"`
	StackDepth int    `json:"stack_depth"`
	Stack      []byte `json:"stack"` // 512 bytes, index 0 is fp-512
	Callback   string `json:"callback,omitempty"`
}

// MachineState is a snapshot for the UI.
type MachineState struct {
	Prog      string        `json:"prog"`
	PC        int           `json:"pc"`
	Text      string        `json:"text"`
	Done      bool          `json:"done"`
	Err       *RuntimeError `json:"error,omitempty"`
	R0        uint64        `json:"r0"`
	Insns     int           `json:"insns"`
	Runs      int           `json:"runs"`
	TailCalls int           `json:"tail_calls"`
	Regs      [11]RegState  `json:"regs"`
	Frames    []FrameState  `json:"frames"`
	Console   []string      `json:"console"`
}

// State returns a snapshot of the machine.
func (m *Machine) State() MachineState {
	s := MachineState{Prog: m.prog.name, PC: m.pc, Text: m.prog.Text(m.pc), Done: m.done, Err: m.err, R0: m.r0,
		Insns: m.insns, Runs: m.runs, TailCalls: m.tailCalls, Console: append([]string(nil), m.console...)}
	for r := 0; r < 11; r++ {
		p := m.prov[r]
		s.Regs[r] = RegState{Value: m.regs[r], Init: uint8(p) != kUninit, Type: kindNames[uint8(p)], Label: m.label(p, m.regs[r])}
	}
	for f := 0; f <= m.fi; f++ {
		fs := FrameState{Depth: f, ReturnPC: m.frames[f].retPC, StackDepth: m.frames[f].depth, Stack: append([]byte(nil), m.stacks[f][:]...)}
		if f == 0 {
			fs.ReturnPC = -1
		}
		if cb := m.frames[f].cb; cb != nil {
			if cb.helper == helperLoop {
				fs.Callback = fmt.Sprintf("bpf_loop iteration %d of %d", cb.i, cb.n)
			} else {
				fs.Callback = fmt.Sprintf("bpf_for_each_map_elem element %d of %d", cb.i+1, len(cb.keys))
			}
		}
		s.Frames = append(s.Frames, fs)
	}
	return s
}

// noCompare: see sim's noCompare (events are not compared with ==).
type noCompare [0]func()
