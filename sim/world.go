package sim

import (
	"fmt"
	"sort"
)

// World is one simulated kernel: its maps, programs, file descriptors,
// bpffs pins, possible CPUs, virtual clock and seeded random state.
//
// A World is deterministic. The same operations on a World made with the
// same Config give the same results and the same events, natively and under
// GOOS=js; nothing reads the wall clock or an unseeded source. Clone makes an
// independent deep copy, which is how traces step back exactly.
type World struct {
	cfg   Config
	cpu   int
	clock uint64 // virtual nanoseconds since boot (bpf_ktime_get_ns)
	rng   uint64 // splitmix64 state: map seeds and bpf_get_prandom_u32

	nextFD     int
	nextMapID  uint32
	nextProgID uint32
	fds        map[int]object // open file descriptors of the one simulated process
	maps       map[uint32]*Map
	progs      map[uint32]Program
	pins       map[string]object // simulated bpffs: path -> object

	sink         EventSink
	noInsnEvents bool // see SetInstructionEvents
}

// Config fixes what a World cannot change once maps exist.
type Config struct {
	// PossibleCPUs is num_possible_cpus(). It shapes per-CPU values,
	// the LRU's target_free and the NO_COMMON_LRU split. Default 1.
	PossibleCPUs int
	// RandomSeed seeds the World's PRNG: per-map hash seeds (hashrnd) when
	// a map has neither zero_seed nor seed=, and bpf_get_prandom_u32.
	RandomSeed uint64
	// Knobs select version-dependent behaviour; the zero value is Linux 6.18.
	Knobs Knobs
}

// Knobs are the version-dependent behaviours of kernel-semantics §11.
// The zero value is Linux 6.18.
type Knobs struct {
	// LRUFixedTargetFree uses the pre-2025 target_free of 128 instead of
	// clamp(max_entries/possible_cpus/2, 1, 128).
	LRUFixedTargetFree bool
	// LRUUpdateNoEvict models the proposed 2026 fix: updating an existing
	// key never evicts.
	LRUUpdateNoEvict bool
	// TailCallCountFailed counts failed (empty-slot) tail calls against
	// MAX_TAIL_CALL_CNT, as older interpreters did.
	TailCallCountFailed bool
}

// object is what a file descriptor or a pin refers to: a *Map or a Program.
type object interface{}

// Program is what a prog_array slot holds and a file descriptor can name.
// The interpreter (sim/vm) implements it; sim only needs its identity.
type Program interface {
	ProgName() string
	ProgType() ProgType
}

// NewWorld returns an empty World. A zero Config means one CPU and seed 0.
func NewWorld(cfg Config) *World {
	if cfg.PossibleCPUs <= 0 {
		cfg.PossibleCPUs = 1
	}
	return &World{
		cfg:        cfg,
		rng:        cfg.RandomSeed,
		nextFD:     3, // 0, 1 and 2 are stdin, stdout and stderr
		nextMapID:  1,
		nextProgID: 1,
		fds:        map[int]object{},
		maps:       map[uint32]*Map{},
		progs:      map[uint32]Program{},
		pins:       map[string]object{},
	}
}

// Config returns the configuration the World was made with.
func (w *World) Config() Config { return w.cfg }

// Knobs returns the version knobs in force.
func (w *World) Knobs() Knobs { return w.cfg.Knobs }

// PossibleCPUs is num_possible_cpus().
func (w *World) PossibleCPUs() int { return w.cfg.PossibleCPUs }

// CPU is the CPU that datapath operations run on.
func (w *World) CPU() int { return w.cpu }

// SetCPU selects the current CPU; it must be below PossibleCPUs.
func (w *World) SetCPU(cpu int) error {
	if cpu < 0 || cpu >= w.cfg.PossibleCPUs {
		return fmt.Errorf("cpu %d out of range: possible CPUs are 0..%d", cpu, w.cfg.PossibleCPUs-1)
	}
	w.cpu = cpu
	return nil
}

// Now is the virtual clock in nanoseconds (bpf_ktime_get_ns).
func (w *World) Now() uint64 { return w.clock }

// Advance moves the virtual clock forward.
func (w *World) Advance(ns uint64) { w.clock += ns }

// Random returns the next value of the World's PRNG (splitmix64).
func (w *World) Random() uint64 {
	w.rng += 0x9e3779b97f4a7c15
	z := w.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// SetSink installs the receiver of events; nil drops them.
func (w *World) SetSink(s EventSink) { w.sink = s }

// Emit sends an event to the sink.
func (w *World) Emit(e Event) {
	if w.sink != nil {
		w.sink(e)
	}
}

// Emitting reports whether anyone listens; hot paths skip building events
// when nobody does.
func (w *World) Emitting() bool { return w.sink != nil }

// SetInstructionEvents chooses whether the interpreter reports every
// instruction (the instruction, each register and memory write) or only
// what a step needs (helper calls, tail calls, exits, errors). A recorded
// trace keeps the latter and rebuilds instruction detail by replay, which
// keeps recording cheap. On by default.
func (w *World) SetInstructionEvents(on bool) { w.noInsnEvents = !on }

// InstructionEvents reports whether per-instruction events are wanted.
func (w *World) InstructionEvents() bool { return w.sink != nil && !w.noInsnEvents }

// MapByFD returns the map an fd refers to: EBADF when the fd is not open,
// EINVAL when it is open but is not a map (as bpf(2) does).
func (w *World) MapByFD(fd int) (*Map, Errno) {
	obj, ok := w.fds[fd]
	if !ok {
		return nil, EBADF
	}
	m, ok := obj.(*Map)
	if !ok {
		return nil, EINVAL
	}
	return m, OK
}

// MapByID returns a map by its ID.
func (w *World) MapByID(id uint32) (*Map, bool) {
	m, ok := w.maps[id]
	return m, ok
}

// Maps returns every map in ID order.
func (w *World) Maps() []*Map {
	out := make([]*Map, 0, len(w.maps))
	for _, m := range w.maps {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AddProgram gives a program an ID and an fd, as BPF_PROG_LOAD does.
func (w *World) AddProgram(p Program) (id uint32, fd int) {
	id = w.nextProgID
	w.nextProgID++
	w.progs[id] = p
	fd = w.newFD(p)
	return id, fd
}

// ProgByFD returns the program an fd refers to, with bpf(2)'s errnos.
func (w *World) ProgByFD(fd int) (Program, Errno) {
	obj, ok := w.fds[fd]
	if !ok {
		return nil, EBADF
	}
	p, ok := obj.(Program)
	if !ok {
		return nil, EINVAL
	}
	return p, OK
}

// ProgID returns the ID of a loaded program, or 0.
func (w *World) ProgID(p Program) uint32 {
	for id, q := range w.progs {
		if q == p {
			return id
		}
	}
	return 0
}

// ProgByID returns a loaded program by ID.
func (w *World) ProgByID(id uint32) (Program, bool) {
	p, ok := w.progs[id]
	return p, ok
}

func (w *World) newFD(obj object) int {
	fd := w.nextFD
	w.nextFD++
	w.fds[fd] = obj
	return fd
}

// Clone returns a deep copy of the World. Programs are immutable and shared;
// maps are copied through their type's clone operation. The clone has no sink.
func (w *World) Clone() *World {
	c := *w
	c.sink = nil
	c.fds = make(map[int]object, len(w.fds))
	c.maps = make(map[uint32]*Map, len(w.maps))
	c.progs = make(map[uint32]Program, len(w.progs))
	c.pins = make(map[string]object, len(w.pins))
	for id, p := range w.progs {
		c.progs[id] = p
	}
	// Clone in ID order so that inner maps exist before the outer maps that
	// refer to them.
	for _, m := range w.Maps() {
		c.maps[m.ID] = m.clone(&c)
	}
	remap := func(obj object) object {
		if m, ok := obj.(*Map); ok {
			return c.maps[m.ID]
		}
		return obj
	}
	for fd, obj := range w.fds {
		c.fds[fd] = remap(obj)
	}
	for path, obj := range w.pins {
		c.pins[path] = remap(obj)
	}
	return &c
}
