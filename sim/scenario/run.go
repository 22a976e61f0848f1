package scenario

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
)

// maxCPUs bounds `cpus N`: per-CPU values are copied N times.
const maxCPUs = 1024

// binding is what a scenario name refers to: an fd of the simulated process.
type binding struct {
	fd   int
	prog bool
}

// reservation is a ring-buffer record reserved by `bpf reserve`.
type reservation struct {
	mapName string
	handle  any // what the ring buffer's reserve returned
	size    int
	done    bool
}

// state is everything a statement can change: the World and the scenario's
// own bookkeeping. Checkpoints are clones of it.
type state struct {
	w      *sim.World
	cfg    sim.Config
	sealed bool // a map or program exists: cpus, seed and knob may not change
	names  map[string]binding
	order  []string // names in the order they were first bound
	res    map[uint64]*reservation
	nres   uint64
}

func newState(opt Options) *state {
	st := &state{names: map[string]binding{}, res: map[uint64]*reservation{}}
	if opt.RandomSeed != nil {
		st.cfg.RandomSeed = *opt.RandomSeed
	}
	st.cfg.PossibleCPUs = 1
	st.w = sim.NewWorld(st.cfg)
	return st
}

func (st *state) clone() *state {
	c := &state{w: st.w.Clone(), cfg: st.cfg, sealed: st.sealed, nres: st.nres,
		names: make(map[string]binding, len(st.names)), res: make(map[uint64]*reservation, len(st.res))}
	for k, v := range st.names {
		c.names[k] = v
	}
	c.order = append([]string(nil), st.order...)
	for k, v := range st.res {
		r := *v
		r.handle = cloneHandle(v.handle)
		c.res[k] = &r
	}
	return c
}

func (st *state) bind(name string, b binding) {
	if _, ok := st.names[name]; !ok {
		st.order = append(st.order, name)
	}
	st.names[name] = b
}

func (st *state) unbind(name string) {
	if _, ok := st.names[name]; !ok {
		return
	}
	delete(st.names, name)
	for i, n := range st.order {
		if n == name {
			st.order = append(st.order[:i:i], st.order[i+1:]...)
			break
		}
	}
}

func (st *state) mapNamed(name string) (*sim.Map, error) {
	b, ok := st.names[name]
	if !ok {
		return nil, fmt.Errorf("undefined map %q", name)
	}
	if b.prog {
		return nil, fmt.Errorf("%q is a program, not a map", name)
	}
	m, e := st.w.MapByFD(b.fd)
	if e != sim.OK {
		return nil, fmt.Errorf("%q: fd %d is not a map (%v)", name, b.fd, e)
	}
	return m, nil
}

// Run executes every statement of s and records the trace. Semantic errors
// (an undefined map, a literal of the wrong size, a feature the simulator
// does not have yet) become positioned *Error values on their step; Run
// never panics.
func Run(s *Script, opt Options) *Trace {
	t := Start(s, opt)
	t.RunTo(len(t.Steps) - 1)
	return t
}

// Start prepares a run of s and executes none of it: statements run on
// demand, when RunTo (or WorldAt, MachineAt...) needs them, so a viewer can
// draw the first steps of a long scenario before the rest has run. Steps has
// one entry per statement from the start; entries past Ran() are still zero.
// Running in pieces gives exactly the trace Run gives.
func Start(s *Script, opt Options) *Trace {
	if s == nil {
		s = &Script{}
	}
	t := &Trace{Script: s, Opt: opt, every: opt.CheckpointEvery}
	t.adaptive = t.every <= 0
	if t.adaptive {
		t.every = DefaultCheckpointEvery
	}
	st := newState(opt)
	t.checkpoints = append(t.checkpoints, checkpoint{after: -1, st: st.clone()})
	t.lastCheckpoint = -1
	t.ex = &executor{opt: opt, st: st, file: s.Name}
	t.Steps = make([]Step, len(s.Stmts))
	if len(s.Stmts) == 0 {
		t.final = st
	}
	return t
}

// RunTo executes the statements up to step i (clamped to the last) that
// have not run yet.
func (t *Trace) RunTo(i int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.runTo(i)
}

// Ran is how many statements have run.
func (t *Trace) Ran() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ran
}

// Done reports whether every statement has run.
func (t *Trace) Done() bool { return t.Ran() == len(t.Steps) }

// runTo is RunTo with t.mu held.
func (t *Trace) runTo(i int) {
	i = min(i, len(t.Steps)-1)
	for ; t.ran <= i; t.ran++ {
		k := t.ran
		t.ex.execAt(k, t.Script.Stmts[k], &t.Steps[k])
		since := k - t.lastCheckpoint
		if since >= t.every && (!t.adaptive || since*checkpointRatio >= worldSize(t.ex.st.w)) {
			t.checkpoints = append(t.checkpoints, checkpoint{after: k, st: t.ex.st.clone()})
			t.lastCheckpoint = k
		}
	}
	if t.ran == len(t.Steps) && t.final == nil {
		t.final = t.ex.st
		t.ex = nil
	}
}

// checkpoint is a copy of the state after step `after`.
type checkpoint struct {
	after int
	st    *state
}

// checkpointRatio: with adaptive checkpoints, a World of n elements is
// copied at most every n/checkpointRatio steps.
const checkpointRatio = 64

// worldSize estimates what a clone copies: the elements (preallocated or
// not) of every map.
func worldSize(w *sim.World) int {
	n := 0
	for _, m := range w.Maps() {
		size := int(min(m.MaxEntries, 1<<24))
		if m.Ringbuf() != nil {
			size /= 64
		}
		n += max(size, m.Len())
	}
	return n
}

type executor struct {
	opt    Options
	st     *state
	file   string
	replay bool // no events, no expectations: rebuilding a World
}

// execAt performs statement i, unless it is past Options.MaxSteps.
func (ex *executor) execAt(i int, s *Stmt, step *Step) {
	switch {
	case s == nil:
		step.Err = &Error{File: ex.file, Line: 1, Msg: fmt.Sprintf("statement %d is missing", i)}
	case ex.opt.MaxSteps > 0 && i >= ex.opt.MaxSteps:
		step.Line, step.Text, step.Op = s.Line, s.Text, s.Op
		step.Err = &Error{File: ex.file, Line: s.Line, Col: s.Col, Msg: fmt.Sprintf("not run: the step limit (%d) was reached", ex.opt.MaxSteps)}
	default:
		ex.exec(s, step)
	}
}

// exec performs one statement into step. A panic inside the simulator is
// turned into a script error on the step.
func (ex *executor) exec(s *Stmt, step *Step) {
	step.Line, step.Text, step.Op, step.CPU = s.Line, s.Text, s.Op, ex.st.w.CPU()
	step.Expect = s.Expect
	w := ex.st.w
	limit := ex.opt.MaxEvents
	if limit <= 0 {
		limit = DefaultMaxEvents
	}
	if !ex.replay && !ex.opt.NoEvents {
		w.SetInstructionEvents(ex.opt.InstructionEvents)
		w.SetSink(func(e sim.Event) {
			if len(step.Events) < limit {
				step.Events = append(step.Events, e)
				return
			}
			// Detach: emitters stop building events, so a long run costs
			// no more than an unrecorded one. Step back and instruction
			// stepping replay instead (WorldAt, MachineAt).
			step.truncated = true
			w.SetSink(nil)
		})
	}
	defer func() {
		if r := recover(); r != nil {
			step.Err = &Error{File: ex.file, Line: s.Line, Col: s.Col, Msg: fmt.Sprintf("internal simulator error: %v\n%s", r, firstFrames(debug.Stack()))}
		}
		ex.st.w.SetSink(nil)
		if w != ex.st.w {
			w.SetSink(nil)
		}
		if step.truncated {
			step.Events = append(step.Events, sim.NoteEvent{Text: fmt.Sprintf("events after the first %d were not kept; stepping into the run replays them", limit)})
		}
		if !ex.replay && step.Err == nil && s.HasExpect {
			ex.check(s, step)
		}
		if e, ok := step.Err.(*Error); ok && e.File == "" {
			e.File = ex.file
		}
	}()
	if err := ex.do(s, step); err != nil {
		if e, ok := err.(*Error); ok {
			step.Err = e
		} else {
			step.Err = &Error{File: ex.file, Line: s.Line, Col: s.Col, Msg: err.Error()}
		}
	}
}

func firstFrames(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	if len(lines) > 16 {
		lines = lines[:16]
	}
	return strings.Join(lines, "\n")
}

// errAt is a script error at an argument.
func (ex *executor) errAt(s *Stmt, col int, format string, a ...any) error {
	if col == 0 {
		col = s.Col
	}
	return &Error{File: ex.file, Line: s.Line, Col: col, Msg: fmt.Sprintf(format, a...)}
}

func (ex *executor) mapArg(s *Stmt, i int, step *Step) (*sim.Map, error) {
	a := s.Args[i]
	m, err := ex.st.mapNamed(a.Tok.Text)
	if err != nil {
		return nil, ex.errAt(s, a.Tok.Col, "%v", err)
	}
	step.Map = a.Tok.Text
	return m, nil
}

// keyBytes encodes a key literal for m. Key-less maps get the literal's own
// bytes, so that a non-NULL key reaches the map (which refuses it).
func (ex *executor) keyBytes(s *Stmt, m *sim.Map, a Arg) ([]byte, error) {
	var b []byte
	var err error
	if m.KeySize == 0 {
		b, err = a.Lit.EncodeUnsized()
		if err != nil && a.Lit.Kind == LitInt {
			b, err = a.Lit.Encode(4)
		}
	} else {
		b, err = a.Lit.Encode(int(m.KeySize))
	}
	if err != nil {
		return nil, ex.errAt(s, a.Tok.Col, "key of %s: %v", m.Name, err)
	}
	return b, nil
}

// valueBytes encodes a value literal for m. For the syscall side of a
// per-CPU map the value is written to every CPU's copy, unless the literal
// already has the size of the whole buffer. A name is the fd of that map or
// program (fd maps: prog_array, array_of_maps, hash_of_maps).
func (ex *executor) valueBytes(s *Stmt, m *sim.Map, a Arg, syscall bool) ([]byte, error) {
	lit := a.Lit
	if lit.Kind == LitName {
		b, ok := ex.st.names[lit.Text]
		if !ok {
			return nil, ex.errAt(s, a.Tok.Col, "undefined map or program %q", lit.Text)
		}
		if m.ValueSize != 4 {
			return nil, ex.errAt(s, a.Tok.Col, "%s: a name stands for a 4-byte fd, but value_size is %d", lit.Text, m.ValueSize)
		}
		return putUint(uint64(uint32(b.fd)), 4), nil
	}
	elem := int(m.ValueSize)
	if m.KeySize == 0 && elem == 0 {
		b, err := lit.EncodeUnsized()
		if err != nil {
			return nil, ex.errAt(s, a.Tok.Col, "value of %s: %v", m.Name, err)
		}
		return b, nil
	}
	if syscall && m.IsPercpu() {
		full := m.SyscallValueSize()
		if (lit.Kind == LitHex || lit.Kind == LitStr && len(lit.Bytes) > elem) && len(lit.Bytes) == full {
			return lit.Encode(full)
		}
		one, err := lit.Encode(elem)
		if err != nil {
			return nil, ex.errAt(s, a.Tok.Col, "value of %s: %v", m.Name, err)
		}
		buf := make([]byte, full)
		stride := m.PercpuValueSize()
		for c := 0; c < ex.st.w.PossibleCPUs(); c++ {
			copy(buf[c*stride:], one)
		}
		return buf, nil
	}
	b, err := lit.Encode(elem)
	if err != nil {
		return nil, ex.errAt(s, a.Tok.Col, "value of %s: %v", m.Name, err)
	}
	return b, nil
}

func flagsArg(s *Stmt, i int) uint64 {
	if i < len(s.Args) {
		return s.Args[i].Num
	}
	return 0
}

// setValue records a value result with its layout.
func setValue(step *Step, m *sim.Map, v []byte, syscall bool) {
	step.Value = append([]byte{}, v...)
	step.elem, step.copies, step.stride = len(v), 1, len(v)
	if syscall && m.IsPercpu() && len(v) == m.SyscallValueSize() {
		step.elem, step.copies, step.stride = int(m.ValueSize), m.World().PossibleCPUs(), m.PercpuValueSize()
	}
	step.Display = display(step.Value, step.elem, step.copies, step.stride)
}

func keyDisplay(m *sim.Map, k []byte) string {
	if m.Type == sim.MapLPMTrie {
		if s, ok := formatLPM(k); ok {
			return s
		}
	}
	return FormatBytes(k)
}

func (ex *executor) do(s *Stmt, step *Step) error {
	st := ex.st
	switch s.Op {
	case "note":
		if st.w.Emitting() {
			st.w.Emit(sim.NoteEvent{Text: s.Args[0].Tok.Text})
		}
		return nil

	case "cpus", "seed", "knob":
		if st.sealed {
			return ex.errAt(s, 0, "%s must come before any map or program", s.Op)
		}
		cfg := st.cfg
		switch s.Op {
		case "cpus":
			n := s.Args[0].Num
			if n < 1 || n > maxCPUs {
				return ex.errAt(s, s.Args[0].Tok.Col, "cpus must be 1..%d", maxCPUs)
			}
			if uint64(st.w.CPU()) >= n {
				return ex.errAt(s, s.Args[0].Tok.Col, "the current cpu %d is not below cpus %d", st.w.CPU(), n)
			}
			cfg.PossibleCPUs = int(n)
		case "seed":
			if ex.opt.RandomSeed == nil {
				cfg.RandomSeed = s.Args[0].Num
			}
		case "knob":
			on := len(s.Args) < 2 || s.Args[1].Tok.Text == "on"
			switch s.Args[0].Tok.Text {
			case "lru_fixed_target_free":
				cfg.Knobs.LRUFixedTargetFree = on
			case "lru_update_no_evict":
				cfg.Knobs.LRUUpdateNoEvict = on
			case "tail_call_count_failed":
				cfg.Knobs.TailCallCountFailed = on
			}
		}
		// Nothing exists yet: start the World again with the new
		// configuration, keeping the current CPU and the clock.
		cpu, clock := st.w.CPU(), st.w.Now()
		st.cfg = cfg
		nw := sim.NewWorld(cfg)
		nw.Advance(clock)
		if err := nw.SetCPU(cpu); err != nil {
			return ex.errAt(s, 0, "%v", err)
		}
		nw.SetSink(sinkOf(st.w))
		st.w = nw
		return nil

	case "cpu":
		if err := st.w.SetCPU(int(min(s.Args[0].Num, 1<<30))); err != nil {
			return ex.errAt(s, s.Args[0].Tok.Col, "%v", err)
		}
		return nil

	case "advance":
		st.w.Advance(s.Args[0].Num)
		return nil

	case "map":
		return ex.doMap(s, step)

	case "update", "bpf update":
		m, err := ex.mapArg(s, 0, step)
		if err != nil {
			return err
		}
		key, err := ex.keyBytes(s, m, s.Args[1])
		if err != nil {
			return err
		}
		val, err := ex.valueBytes(s, m, s.Args[2], s.Op == "update")
		if err != nil {
			return err
		}
		if s.Op == "update" {
			step.Errno = m.Update(key, val, flagsArg(s, 3))
		} else {
			step.Errno = m.ProgUpdate(key, val, flagsArg(s, 3))
		}
		return nil

	case "lookup", "lookup_and_delete", "bpf lookup":
		m, err := ex.mapArg(s, 0, step)
		if err != nil {
			return err
		}
		key, err := ex.keyBytes(s, m, s.Args[1])
		if err != nil {
			return err
		}
		if s.Op == "bpf lookup" && (m.Type == sim.MapArrayOfMaps || m.Type == sim.MapHashOfMaps) {
			// A program gets the inner map itself.
			inner, e := m.ProgLookupInner(key)
			step.Errno = e
			if e == sim.OK && inner != nil {
				step.Value = putUint(uint64(inner.ID), 4)
				step.Display = fmt.Sprintf("%d (map %s)", inner.ID, inner.Name)
			}
			return nil
		}
		var v []byte
		switch s.Op {
		case "lookup":
			v, step.Errno = m.Lookup(key, flagsArg(s, 2))
		case "lookup_and_delete":
			v, step.Errno = m.LookupAndDelete(key, flagsArg(s, 2))
		default:
			v, step.Errno = m.ProgLookup(key)
		}
		if step.Errno == sim.OK {
			setValue(step, m, v, s.Op != "bpf lookup")
		}
		return nil

	case "bpf lookup_percpu":
		m, err := ex.mapArg(s, 0, step)
		if err != nil {
			return err
		}
		key, err := ex.keyBytes(s, m, s.Args[1])
		if err != nil {
			return err
		}
		v, e, err := progLookupPercpu(m, key, s.Args[2].Num)
		if err != nil {
			return ex.errAt(s, 0, "%v", err)
		}
		step.Errno = e
		if e == sim.OK {
			setValue(step, m, v, false)
		}
		return nil

	case "delete", "bpf delete":
		m, err := ex.mapArg(s, 0, step)
		if err != nil {
			return err
		}
		var key []byte // no KEY: a NULL key (only the syscall form allows it)
		if len(s.Args) > 1 {
			if key, err = ex.keyBytes(s, m, s.Args[1]); err != nil {
				return err
			}
		}
		if s.Op == "delete" {
			step.Errno = m.Delete(key)
		} else {
			step.Errno = m.ProgDelete(key)
		}
		return nil

	case "next":
		m, err := ex.mapArg(s, 0, step)
		if err != nil {
			return err
		}
		var key []byte
		if len(s.Args) > 1 {
			if key, err = ex.keyBytes(s, m, s.Args[1]); err != nil {
				return err
			}
		}
		k, e := m.GetNextKey(key)
		step.Errno = e
		if e == sim.OK {
			step.Key = append([]byte{}, k...)
			step.Display = keyDisplay(m, step.Key)
		}
		return nil

	case "walk":
		m, err := ex.mapArg(s, 0, step)
		if err != nil {
			return err
		}
		return ex.walk(s, m, step)

	case "freeze":
		m, err := ex.mapArg(s, 0, step)
		if err != nil {
			return err
		}
		step.Errno = m.Freeze()
		return nil

	case "push":
		m, err := ex.mapArg(s, 0, step)
		if err != nil {
			return err
		}
		val, err := ex.valueBytes(s, m, s.Args[1], true)
		if err != nil {
			return err
		}
		step.Errno = m.Push(val, flagsArg(s, 2))
		return nil

	case "bpf push":
		m, err := ex.mapArg(s, 0, step)
		if err != nil {
			return err
		}
		val, err := ex.valueBytes(s, m, s.Args[1], false)
		if err != nil {
			return err
		}
		e, err := progPush(m, val, flagsArg(s, 2))
		if err != nil {
			return ex.errAt(s, 0, "%v", err)
		}
		step.Errno = e
		return nil

	case "pop", "peek", "bpf pop", "bpf peek":
		// The syscall side (BPF_MAP_LOOKUP[_AND_DELETE]_ELEM on a queue,
		// stack or bloom filter) and the program side (the helpers) of the
		// same operations.
		prog := strings.HasPrefix(s.Op, "bpf ")
		pop := strings.HasSuffix(s.Op, "pop")
		m, err := ex.mapArg(s, 0, step)
		if err != nil {
			return err
		}
		if len(s.Args) > 1 {
			// peek NAME VALUE: the value buffer is the input (bloom filter).
			val, err := ex.valueBytes(s, m, s.Args[1], false)
			if err != nil {
				return err
			}
			if prog {
				step.Errno = m.ProgPeekInto(val)
			} else {
				step.Errno = m.PeekValue(val, 0)
			}
			return nil
		}
		var v []byte
		switch {
		case prog:
			var e sim.Errno
			if v, e, err = progPopPeek(m, pop); err != nil {
				return ex.errAt(s, 0, "%v", err)
			}
			step.Errno = e
		case pop:
			v, step.Errno = m.Pop()
		default:
			v, step.Errno = m.Peek()
		}
		if step.Errno == sim.OK {
			setValue(step, m, v, !prog)
		}
		return nil

	case "pin", "get", "unpin", "mkdir", "rmdir":
		return ex.doPin(s, step)

	case "prog":
		return ex.doProg(s, step)

	case "run":
		return ex.doRun(s, step)

	case "bpf reserve", "bpf submit", "bpf discard", "bpf output", "consume", "consumer", "bpf ringbuf_query":
		return ex.doRingbuf(s, step)
	}
	return ex.errAt(s, 0, "unknown statement %q", s.Op)
}

func sinkOf(w *sim.World) sim.EventSink {
	if !w.Emitting() {
		return nil
	}
	return func(e sim.Event) { w.Emit(e) }
}

func (ex *executor) doMap(s *Stmt, step *Step) error {
	st := ex.st
	name := s.Args[0].Tok.Text
	step.Map = name
	a, inner, err := s.MapAttr(ex.file)
	if err != nil {
		return err
	}
	if inner != "" {
		o, _ := s.Opt("inner")
		b, ok := st.names[inner]
		if !ok {
			return ex.errAt(s, o.ValCol, "undefined map %q", inner)
		}
		if b.prog {
			return ex.errAt(s, o.ValCol, "%q is a program, not a map", inner)
		}
		a.InnerMapFD = b.fd
	}
	st.sealed = true
	m, e := st.w.CreateMap(a)
	step.Errno = e
	if e != sim.OK {
		st.unbind(name)
		return nil
	}
	st.bind(name, binding{fd: m.FD})
	return nil
}

// MapAttr reads the attributes of a `map` statement. The inner=NAME
// template comes back by name, for the caller to resolve to a file
// descriptor of its own (the simulator's here, the kernel's in
// internal/kscenario). Errors name the option's line and column.
func (s *Stmt) MapAttr(file string) (a sim.MapAttr, inner string, err error) {
	a.Name = s.Args[0].Tok.Text
	for _, o := range s.Opts {
		switch o.Key {
		case "type":
			t, err := sim.ParseMapType(o.Value)
			if err != nil {
				return a, "", &Error{File: file, Line: s.Line, Col: o.ValCol, Msg: err.Error()}
			}
			a.Type = t
		case "key":
			v, _ := parseUint(o.Value)
			a.KeySize = uint32(v)
		case "value":
			v, _ := parseUint(o.Value)
			a.ValueSize = uint32(v)
		case "max":
			v, _ := parseUint(o.Value)
			a.MaxEntries = uint32(v)
		case "flags":
			f, err := sim.ParseMapFlags(o.Value)
			if err != nil {
				return a, "", &Error{File: file, Line: s.Line, Col: o.ValCol, Msg: err.Error()}
			}
			a.Flags = f
		case "seed":
			v, _ := parseUint(o.Value)
			seed := uint32(v)
			a.Seed = &seed
		case "extra":
			a.MapExtra, _ = parseUint(o.Value)
		case "inner":
			inner = o.Value
		case "lock":
			v, _ := parseUint(o.Value)
			a.SpinLock, a.SpinLockOff = true, uint32(v)
		}
	}
	return a, inner, nil
}

// walkLimit stops a walk that would never end.
const walkLimit = 1 << 22

func (ex *executor) walk(s *Stmt, m *sim.Map, step *Step) error {
	var key []byte
	var keys [][]byte
	limit := int(m.MaxEntries) + 1
	if limit > walkLimit || limit <= 0 {
		limit = walkLimit
	}
	for {
		k, e := m.GetNextKey(key)
		if e == sim.ENOENT && len(keys) > 0 {
			break
		}
		if e != sim.OK {
			step.Errno = e
			return nil
		}
		key = append([]byte{}, k...)
		keys = append(keys, key)
		if len(keys) > limit {
			return ex.errAt(s, 0, "the walk of %s returned more than %d keys: it does not end", m.Name, limit-1)
		}
	}
	step.Keys = keys
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = keyDisplay(m, k)
	}
	step.Display = strings.Join(parts, " ")
	return nil
}

// check compares the step's result with the statement's expectation.
func (ex *executor) check(s *Stmt, step *Step) {
	step.Expect = s.Expect
	ok := false
	switch {
	case s.ExpectErrno != nil:
		ok = step.Errno == *s.ExpectErrno
	case step.Errno != sim.OK:
		ok = false
	default:
		ok = matchLits(s, step)
	}
	if !ok {
		step.Failed = true
		step.Got = step.Result()
	}
}

func matchLits(s *Stmt, step *Step) bool {
	lits := s.ExpectLits
	switch {
	case step.Keys != nil || s.Op == "walk":
		if len(lits) != len(step.Keys) {
			return false
		}
		for i, l := range lits {
			if !litEquals(l, step.Keys[i]) {
				return false
			}
		}
		return true
	case s.Op == "consume":
		if len(lits) != len(step.Records) {
			return false
		}
		for i, l := range lits {
			if !litEquals(l, step.Records[i]) {
				return false
			}
		}
		return true
	}
	if len(lits) != 1 {
		return false
	}
	l := lits[0]
	switch {
	case l.Kind == LitRes:
		return step.Res == l.Int
	case step.Ret != nil:
		if l.Kind == LitInt || l.Kind == LitWidth {
			r := *step.Ret
			if l.Int == r {
				return true
			}
			// A negative literal also matches a 32-bit return value.
			return strings.HasPrefix(l.Text, "-") && r <= 0xffffffff && uint32(l.Int) == uint32(r)
		}
		return false
	case step.Key != nil:
		return litEquals(l, step.Key)
	case step.Value != nil:
		if step.copies > 1 {
			if b, err := l.Encode(len(step.Value)); err == nil && (l.Kind == LitHex || l.Kind == LitStr) {
				return equalBytes(b, step.Value)
			}
			one, err := l.Encode(step.elem)
			if err != nil {
				return false
			}
			want := make([]byte, len(step.Value))
			for c := 0; c < step.copies; c++ {
				copy(want[c*step.stride:], one)
			}
			return equalBytes(want, step.Value)
		}
		return litEquals(l, step.Value)
	}
	return false
}

func litEquals(l Literal, got []byte) bool {
	b, err := l.Encode(len(got))
	if err != nil {
		return false
	}
	return equalBytes(b, got)
}
