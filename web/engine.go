package web

import (
	"fmt"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
)

// StepView is what the views need from one step of a trace: the statement,
// its result and the events it emitted. Everything comes from the
// simulator's Trace; the UI never computes map behaviour itself.
type StepView struct {
	Line    int    // 1-based scenario line of the statement
	Text    string // the statement as written
	Op      string // "update", "lookup", "run", ...
	Map     string // the map or program the statement acted on
	Errno   sim.Errno
	Key     []byte   // the key a next statement returned (nil if none)
	Keys    [][]byte // the keys a walk returned, in order
	Value   []byte   // the value read, if any
	Ret     uint64   // R0 of a run statement
	HasRet  bool
	Display string // the result as the scenario language writes it
	Expect  string // the expectation after "=>", if any
	Failed  bool   // the expectation did not hold
	Got     string // what the step gave instead
	Err     string // a script error the step ran into (undefined map...)
	Events  []sim.Event
}

// NamedMap is a map with the scenario name bound to it.
type NamedMap struct {
	Name string
	Map  *sim.Map
}

// Trace is the replayable result of running a scenario: Len steps, and the
// exact World after each step (from the scenario package's checkpoints and
// deterministic replay, so stepping back is never UI-side logic).
type Trace interface {
	Len() int
	Step(i int) StepView
	// Frame is the World after step i with its named maps in definition
	// order; the caller may keep it.
	Frame(i int) (*sim.World, []NamedMap)
	// StepErrors are the script errors steps ran into, positioned (of the
	// steps that have run; see RunMore).
	StepErrors() []ScriptError
	// RunMore runs up to n more statements and reports whether all have
	// run. Statements run on demand (Step and Frame run what they need), so
	// the first frame waits only for the steps it shows; the app runs the
	// rest in slices after drawing it.
	RunMore(n int) bool
}

// InsnTracer is implemented by traces whose run steps can be replayed one
// BPF instruction at a time.
type InsnTracer interface {
	// Insns is the number of instructions the run statement of step i
	// executed (0 when step i is not a run statement).
	Insns(step int) int
	// MachineAt is the interpreter state after insn instructions of step i.
	MachineAt(step, insn int) (MachineView, bool)
}

// MachineView is the interpreter state the program view draws.
type MachineView struct {
	Program  string
	Insns    []string // disassembly, one per slot
	PC       int
	Regs     [11]uint64
	RegLabel [11]string // provenance ("ctx", "map_value", "scalar"...)
	Stack    []byte     // 512 bytes, r10-512 .. r10-1
	Console  []string
	Err      *MachineError
}

// MachineError is a runtime error of the interpreter with the verifier's
// message and a plain explanation.
type MachineError struct {
	PC       int
	Verifier string
	Explain  string
}

// runScenario parses and runs a scenario. engine_scenario.go sets it once
// the scenario package provides Parse and Run; until then the playground
// shows that running is not available.
var runScenario func(name, src string) (Trace, error)

// positioned converts the engine's own error type, when it has one.
var positioned func(error) ([]ScriptError, bool)

// ScriptError is one positioned problem in a scenario.
type ScriptError struct {
	Line, Col int
	Msg       string
}

// scriptErrors splits an error from Parse or Run into positioned problems.
// It understands the "file:line:col: message" form the scenario package
// documents and falls back to the whole text.
func scriptErrors(err error) []ScriptError {
	if err == nil {
		return nil
	}
	if positioned != nil {
		if out, ok := positioned(err); ok {
			return out
		}
	}
	var out []ScriptError
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		out = append(out, parsePositioned(line))
	}
	return out
}

// parsePositioned reads "file:line:col: msg" or "file:line: msg".
func parsePositioned(s string) ScriptError {
	parts := strings.SplitN(s, ":", 4)
	var e ScriptError
	if len(parts) >= 3 {
		if n, err := atoiStrict(parts[1]); err == nil {
			e.Line = n
			if len(parts) == 4 {
				if c, err := atoiStrict(parts[2]); err == nil {
					e.Col = c
					e.Msg = strings.TrimSpace(parts[3])
					return e
				}
				e.Msg = strings.TrimSpace(parts[2] + ":" + parts[3])
				return e
			}
			e.Msg = strings.TrimSpace(parts[2])
			return e
		}
	}
	e.Msg = s
	return e
}

func atoiStrict(s string) (int, error) {
	n := 0
	if s == "" {
		return 0, fmt.Errorf("empty")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a number")
		}
		n = n*10 + int(c-'0')
		if n > 1<<30 {
			return 0, fmt.Errorf("too big")
		}
	}
	return n, nil
}
