package scenario

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/bpfplay/bpfplay/sim"
)

// Options tune Run. The zero value is what the CLI uses.
type Options struct {
	// RandomSeed, when not nil, replaces the World's PRNG seed: the
	// script's own `seed` statement is then accepted but has no effect.
	RandomSeed *uint64
	// MaxSteps stops execution after this many statements; the rest get a
	// "step limit" error. 0 means no limit.
	MaxSteps int
	// MaxEvents bounds the events kept per step (DefaultMaxEvents when 0);
	// the step then ends with a note saying that the rest were not kept.
	MaxEvents int
	// NoEvents collects no events at all (faster; Hash changes).
	NoEvents bool
	// InstructionEvents keeps the interpreter's per-instruction events
	// (instruction, register and memory writes) in each run step. Off, a
	// run step keeps helper calls, tail calls, exits and errors, and the
	// instruction detail comes from MachineAt's replay; that is what keeps
	// recording cheap.
	InstructionEvents bool
	// CheckpointEvery is how often Run keeps a copy of the World for
	// WorldAt. 0 adapts the spacing to the World's size: at least
	// DefaultCheckpointEvery steps, more when the maps are large, so that
	// copying them stays a small part of the run.
	CheckpointEvery int
	// MaxInsns is the instruction budget of one program run (the
	// interpreter's default when 0).
	MaxInsns int
}

// Defaults for Options.
const (
	DefaultMaxEvents       = 2000
	DefaultCheckpointEvery = 16
)

// Step is the result of one statement.
type Step struct {
	Line int
	Text string // the statement as written, without its comment
	Op   string // "update", "bpf lookup", "map", ...
	Map  string // the map or program the statement acted on, if any
	CPU  int    // the current CPU when it ran

	Errno   sim.Errno
	Value   []byte   // lookup, peek, pop, lookup_and_delete, bpf lookup...
	Key     []byte   // next
	Keys    [][]byte // walk
	Ret     *uint64  // run: R0; bpf ringbuf_query: the answer
	Res     uint64   // bpf reserve: the reservation number (#1, #2, ...)
	Records [][]byte // consume
	// Display is the result made readable: the value as a literal
	// ("1234", "hex:..", "ip:10.0.0.0/8", per-CPU copies in brackets).
	Display string
	Events  []sim.Event

	Expect string // the text after "=>", or ""
	Failed bool   // the expectation did not hold
	Got    string // what the step gave, for a failed expectation
	// Err is a script error (*Error): the statement could not be
	// performed (undefined map, literal of the wrong size...).
	Err error

	elem, copies, stride int  // value layout, for comparing per-CPU values
	truncated            bool // events after MaxEvents were not kept
}

// Trace is a whole run: one Step per statement, and what WorldAt needs to
// rebuild the World after any step.
type Trace struct {
	Steps  []Step
	Script *Script
	Opt    Options

	every       int
	adaptive    bool         // checkpoint spacing follows the World's size
	checkpoints []checkpoint // in step order; the first is before step 0
	final       *state       // the state after the last step, once all ran

	// The run in progress (Start): statements before ran have run, ex
	// holds the live state, lastCheckpoint is the step of the newest
	// checkpoint.
	ex             *executor
	ran            int
	lastCheckpoint int

	mu sync.Mutex
}

// Failed reports whether any expectation failed (of the statements that
// have run: all of them after Run).
func (t *Trace) Failed() bool {
	steps := t.ranSteps()
	for i := range steps {
		if steps[i].Failed {
			return true
		}
	}
	return false
}

// Errors returns the script errors of the run, in order (of the statements
// that have run: all of them after Run).
func (t *Trace) Errors() ErrorList {
	var l ErrorList
	steps := t.ranSteps()
	for i := range steps {
		if e, ok := steps[i].Err.(*Error); ok {
			l = append(l, e)
		}
	}
	return l
}

// ranSteps is the steps that have run. They do not change after that, so
// the slice may be read while a later statement runs.
func (t *Trace) ranSteps() []Step {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.Steps[:t.ran]
}

// WorldAt returns the exact World after step i (i = -1: before the first
// statement). It starts from the nearest checkpoint and replays the
// statements in between; the World it returns is a fresh clone the caller
// may keep and change. i is clamped to -1..len(Steps)-1.
func (t *Trace) WorldAt(i int) *sim.World {
	st := t.stateAt(i)
	if st == nil {
		return nil
	}
	return st.w
}

// stateAt rebuilds the executor state after step i as a private copy.
func (t *Trace) stateAt(i int) *state {
	if t == nil || len(t.checkpoints) == 0 {
		return nil
	}
	if i < -1 {
		i = -1
	}
	if i >= len(t.Steps) {
		i = len(t.Steps) - 1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.runTo(i)
	if i == len(t.Steps)-1 && t.final != nil {
		return t.final.clone()
	}
	j := sort.Search(len(t.checkpoints), func(j int) bool { return t.checkpoints[j].after > i }) - 1
	if j < 0 {
		j = 0
	}
	cp := t.checkpoints[j]
	st := cp.st.clone()
	ex := &executor{opt: t.Opt, st: st, replay: true}
	for k := cp.after + 1; k <= i; k++ {
		var scratch Step
		ex.execAt(k, t.Script.Stmts[k], &scratch)
	}
	return st
}

// MapNames returns the names bound to maps after the last step, in the
// order they were defined.
func (t *Trace) MapNames() []string { return t.MapNamesAt(len(t.Steps) - 1) }

// MapNamesAt returns the names bound to maps after step i.
func (t *Trace) MapNamesAt(i int) []string {
	st := t.stateAt(i)
	if st == nil {
		return nil
	}
	var out []string
	for _, n := range st.order {
		if b, ok := st.names[n]; ok && !b.prog {
			if _, e := st.w.MapByFD(b.fd); e == sim.OK {
				out = append(out, n)
			}
		}
	}
	return out
}

// ProgNames returns the names bound to programs after the last step.
func (t *Trace) ProgNames() []string {
	st := t.stateAt(len(t.Steps) - 1)
	if st == nil {
		return nil
	}
	var out []string
	for _, n := range st.order {
		if b, ok := st.names[n]; ok && b.prog {
			out = append(out, n)
		}
	}
	return out
}

// MapAt returns the map bound to name after step i, in a World of its own
// (the same World for every call of NamedMapsAt, a new one here).
func (t *Trace) MapAt(i int, name string) (*sim.Map, bool) {
	st := t.stateAt(i)
	if st == nil {
		return nil, false
	}
	m, err := st.mapNamed(name)
	return m, err == nil
}

// NamedMap is a map with the scenario name it is bound to.
type NamedMap struct {
	Name string
	Map  *sim.Map
}

// NamedMapsAt returns the World after step i and its named maps, in
// definition order: everything a view needs for one frame.
func (t *Trace) NamedMapsAt(i int) (*sim.World, []NamedMap) {
	st := t.stateAt(i)
	if st == nil {
		return nil, nil
	}
	var out []NamedMap
	for _, n := range st.order {
		if b, ok := st.names[n]; ok && !b.prog {
			if m, e := st.w.MapByFD(b.fd); e == sim.OK {
				out = append(out, NamedMap{n, m})
			}
		}
	}
	return st.w, out
}

// Hash is a sha256 digest of every step's result and events (their
// MarshalEvent JSON) of the statements that have run. Equal runs give
// equal hashes, natively and under GOOS=js.
func (t *Trace) Hash() string {
	h := sha256.New()
	steps := t.ranSteps()
	for i := range steps {
		s := &steps[i]
		h.Write(s.appendJSON(nil, true))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// JSON is the step as one line of `bpfplay run --json`: line, op, errno,
// then key, keys, value, ret, reservation, records when there are any,
// expect and failed when the expectation failed, error for a script error,
// and events when withEvents is set.
func (s *Step) JSON(withEvents bool) []byte { return s.appendJSON(nil, withEvents) }

func (s *Step) appendJSON(b []byte, withEvents bool) []byte {
	str := func(v string) []byte {
		out, _ := json.Marshal(v)
		return out
	}
	hexs := func(v []byte) []byte { return str(hex.EncodeToString(v)) }
	b = append(b, `{"line":`...)
	b = strconv.AppendInt(b, int64(s.Line), 10)
	b = append(b, `,"op":`...)
	b = append(b, str(s.Op)...)
	if s.Err != nil {
		b = append(b, `,"error":`...)
		b = append(b, str(s.Err.Error())...)
	} else {
		b = append(b, `,"errno":`...)
		b = append(b, str(s.Errno.String())...)
		if s.Errno == sim.OK {
			if s.Key != nil {
				b = append(b, `,"key":`...)
				b = append(b, hexs(s.Key)...)
			}
			if s.Keys != nil {
				b = append(b, `,"keys":[`...)
				for i, k := range s.Keys {
					if i > 0 {
						b = append(b, ',')
					}
					b = append(b, hexs(k)...)
				}
				b = append(b, ']')
			}
			if s.Value != nil {
				b = append(b, `,"value":`...)
				b = append(b, hexs(s.Value)...)
			}
			if s.Res != 0 {
				b = append(b, `,"reservation":`...)
				b = strconv.AppendUint(b, s.Res, 10)
			}
			if s.Records != nil {
				b = append(b, `,"records":[`...)
				for i, r := range s.Records {
					if i > 0 {
						b = append(b, ',')
					}
					b = append(b, hexs(r)...)
				}
				b = append(b, ']')
			}
		}
		if s.Ret != nil {
			b = append(b, `,"ret":`...)
			b = strconv.AppendUint(b, *s.Ret, 10)
		}
	}
	if s.Failed {
		b = append(b, `,"expect":`...)
		b = append(b, str(s.Expect)...)
		b = append(b, `,"got":`...)
		b = append(b, str(s.Got)...)
		b = append(b, `,"failed":true`...)
	}
	if withEvents {
		b = append(b, `,"events":[`...)
		for i, e := range s.Events {
			if i > 0 {
				b = append(b, ',')
			}
			raw, err := sim.MarshalEvent(e)
			if err != nil {
				raw, _ = json.Marshal(map[string]string{"kind": e.Kind(), "error": err.Error()})
			}
			b = append(b, raw...)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// Result is the step's result in words: "OK", "ENOENT", "OK 1234" (a
// value, key or R0), "OK 0 4 7" (a walk), "OK #1" (a reservation),
// "OK [100 101]" (per-CPU copies), or "error: ..." for a script error.
func (s *Step) Result() string {
	if s.Err != nil {
		return "error: " + errMsg(s.Err)
	}
	r := s.Errno.String()
	if s.Display != "" {
		r += " " + s.Display
	}
	return r
}

func errMsg(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Msg
	}
	return err.Error()
}

// String is one readable line: line number, statement, result, and what
// was expected when the expectation failed.
func (s *Step) String() string {
	var b strings.Builder
	text := s.Text
	if s.Expect != "" {
		if before, _, ok := strings.Cut(text, " =>"); ok {
			text = before
		}
	}
	fmt.Fprintf(&b, "%4d  %-40s %s", s.Line, text, s.Result())
	if s.Failed {
		fmt.Fprintf(&b, "   FAILED: expected %s", s.Expect)
	}
	return b.String()
}

// display renders bytes for a step: per-CPU copies in brackets, LPM keys as
// ip:/ip6:, integers when the size allows.
func display(b []byte, elem, copies, stride int) string {
	if copies > 1 && stride > 0 && elem <= stride && len(b) == copies*stride {
		parts := make([]string, copies)
		for c := 0; c < copies; c++ {
			parts[c] = FormatBytes(b[c*stride : c*stride+elem])
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return FormatBytes(b)
}

func equalBytes(a, b []byte) bool { return bytes.Equal(a, b) }
