package vm

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime/debug"

	"github.com/bpfplay/bpfplay/sim"
)

const (
	stackSize = 512 // MAX_BPF_STACK
	maxFrames = 8   // MAX_CALL_FRAMES
	// MaxTailCalls is MAX_TAIL_CALL_CNT.
	MaxTailCalls = 33
	// DefaultBudget is the instruction budget of a Run.
	DefaultBudget = 5_000_000
	maxRegions    = 1 << 20
	maxLoops      = 1 << 23 // BPF_MAX_LOOPS
)

// Provenance kinds: what a register (or a spilled stack slot) holds. The
// names are the verifier's register types.
const (
	kUninit uint8 = iota
	kScalar
	kCtx
	kStack
	kMapValue
	kMapValueOrNull
	kMapPtr
	kPkt
	kPktEnd
	kPktMeta
	kRingMem
	kRingMemOrNull
	kMapKey
	kFunc
	kMapPtrOrNull // an inner map from a map-in-map lookup, before the NULL check
)

var kindNames = [...]string{"uninit", "scalar", "ctx", "fp", "map_value", "map_value_or_null", "map_ptr", "pkt", "pkt_end", "pkt_meta", "ringbuf_mem", "ringbuf_mem_or_null", "map_key", "func", "map_value_or_null"}

const (
	provUninit = uint32(kUninit)
	provScalar = uint32(kScalar)
)

func mkProv(k uint8, idx int32) uint32 { return uint32(k) | uint32(idx)<<8 }

// Fixed region indices.
const (
	regCtx   = 1
	regPkt   = 2
	regStack = 3 // frames 0..7 use 3..10
	regFirst = regStack + maxFrames
)

// region is a named piece of simulated memory a pointer can point into.
type region struct {
	kind  uint8
	buf   []byte
	base  uint64
	m     *sim.Map
	name  string
	frame int
	tgt   int // kFunc: first instruction
	// ring buffer reservations
	res     sim.RingReservation
	live    bool
	allocPC int
}

func regionBase(idx int32) uint64 { return 0xffff888000000000 + uint64(idx)<<24 }

// RuntimeError stops a program: the verifier would have refused a program
// that can do this. Verifier is the verifier's wording, Explain one plain
// sentence for a learner.
type RuntimeError struct {
	PC       int
	Verifier string
	Explain  string
}

func (e *RuntimeError) Error() string { return fmt.Sprintf("insn %d: %s", e.PC, e.Verifier) }

// Options are the inputs of one BPF_PROG_TEST_RUN-like invocation.
type Options struct {
	// Packet is the frame for socket_filter, sched_cls and xdp programs
	// (at least 14 bytes; nil means 64 zero bytes). As under
	// BPF_PROG_TEST_RUN, a socket filter sees the packet after its
	// Ethernet header.
	Packet []byte
	// Repeat runs the program this many times (at least once); maps,
	// the packet and the skb fields keep their changes between runs.
	Repeat int
	// PID, TGID and Comm are what bpf_get_current_pid_tgid and
	// bpf_get_current_comm return.
	PID, TGID uint32
	Comm      string
	// Budget is the instruction budget of the whole Run; 0 means
	// DefaultBudget.
	Budget int
	// Ctx is the context of tracing programs (kprobe, tracepoint and
	// other types): read-only bytes; nil means 64 zero bytes.
	Ctx []byte
}

// Result is the outcome of Run.
type Result struct {
	R0        uint64
	Err       *RuntimeError
	Insns     int
	Console   []string
	PacketOut []byte
	Runs      int // completed runs
	TailCalls int // successful tail calls of the last run
}

type callback struct {
	helper  int32
	fn      int
	ctxVal  uint64
	ctxProv uint32
	i, n    uint64
	m       *sim.Map
	mapProv uint32
	keys    [][]byte
	keyReg  int32
	count   uint64
}

type frame struct {
	retPC     int
	saved     [4]uint64
	savedProv [4]uint32
	depth     int
	cb        *callback
}

// Machine runs one program invocation (or Options.Repeat of them) one
// instruction at a time.
type Machine struct {
	w     *sim.World
	entry *Program
	prog  *Program
	code  []insn
	opt   Options

	regs [11]uint64
	prov [11]uint32
	pc   int

	frames [maxFrames]frame
	fi     int
	stacks [maxFrames][stackSize]byte
	spill  [maxFrames][stackSize / 8]uint32

	regions     []region
	mapRegion   []int32
	valueRegion map[*byte]int32
	lastVal     *byte
	lastValIdx  int32

	budget    int
	insns     int
	err       *RuntimeError
	done      bool
	r0        uint64
	runs      int
	runsLeft  int
	tailCalls int
	console   []string
	emitInsn  bool // per-instruction events (instruction, registers, memory)

	ctxKind  int
	ctxBuf   []byte
	pkt      []byte // the whole frame
	pktStart int    // where skb/xdp data starts in pkt
	pktRange int    // bytes from data proven readable by a comparison
	mayGoto  uint64

	anySpill bool // a pointer was spilled to the stack in this run
	regSlab  []RegEvent
	lockIdx  int32 // region of the held bpf_spin_lock, 0 if none
	lockOff  int
	resvOpen int
}

// NewMachine prepares an invocation of p. Nothing runs until Step.
func NewMachine(w *sim.World, p *Program, opt Options) *Machine {
	m := &Machine{w: w, entry: p, opt: opt, emitInsn: w.InstructionEvents()}
	m.budget = opt.Budget
	if m.budget <= 0 {
		m.budget = DefaultBudget
	}
	m.runsLeft = opt.Repeat
	if m.runsLeft < 1 {
		m.runsLeft = 1
	}
	m.regions = make([]region, regFirst, 32)
	for f := 0; f < maxFrames; f++ {
		idx := int32(regStack + f)
		m.regions[idx] = region{kind: kStack, buf: m.stacks[f][:], base: regionBase(idx), frame: f, name: "stack"}
	}
	if err := m.setupContext(); err != nil {
		m.err = err
		m.done = true
		if m.w.Emitting() {
			w.Emit(ErrorEvent{Prog: p.name, PC: 0, Verifier: err.Verifier, Explain: err.Explain})
		}
		return m
	}
	m.startRun(p)
	return m
}

// Run runs p to completion (Options.Repeat times) within the instruction
// budget. It is a pure function of the World's state, p and opt; it changes
// the World's maps as the program does.
func Run(w *sim.World, p *Program, opt Options) Result {
	m := NewMachine(w, p, opt)
	for !m.done {
		m.execGuarded(1 << 30)
	}
	return m.Result()
}

// Result returns the outcome so far.
func (m *Machine) Result() Result {
	r := Result{R0: m.r0, Err: m.err, Insns: m.insns, Console: append([]string(nil), m.console...), Runs: m.runs, TailCalls: m.tailCalls}
	if m.pkt != nil {
		r.PacketOut = append([]byte(nil), m.pkt...)
		if m.entry.typ == sim.ProgSocketFilter {
			// BPF_PROG_TEST_RUN pushes the Ethernet header back for a
			// socket filter as zeros.
			clear(r.PacketOut[:ethHdrLen])
		}
	}
	return r
}

// Done reports whether the invocation has finished (or stopped on an error).
func (m *Machine) Done() bool { return m.done }

// Step executes one instruction and reports whether the invocation is done.
// With an event sink on the World it emits the instruction's events.
func (m *Machine) Step() (done bool) {
	if !m.done {
		m.execGuarded(1)
	}
	return m.done
}

func (m *Machine) execGuarded(limit int) {
	defer func() {
		if r := recover(); r != nil {
			m.fail(m.pc, fmt.Sprintf("internal simulator error: %v", r), "The simulator hit a bug; please report this program. "+string(debug.Stack()))
		}
	}()
	m.exec(limit)
}

func (m *Machine) startRun(p *Program) {
	m.prog = p
	m.code = p.code
	m.resetMapRegions()
	m.regs = [11]uint64{}
	m.prov = [11]uint32{}
	m.fi = 0
	m.frames[0] = frame{}
	m.stacks[0] = [stackSize]byte{}
	m.spill[0] = [stackSize / 8]uint32{}
	m.anySpill = false
	m.regs[1] = m.regions[regCtx].base
	m.prov[1] = mkProv(kCtx, regCtx)
	m.regs[10] = m.regions[regStack].base + stackSize
	m.prov[10] = mkProv(kStack, regStack)
	m.pc = 0
	m.tailCalls = 0
	m.pktRange = 0
	m.mayGoto = maxLoops
	m.lockIdx = 0
	m.resvOpen = 0
}

func (m *Machine) resetMapRegions() {
	if cap(m.mapRegion) >= len(m.prog.maps) {
		m.mapRegion = m.mapRegion[:len(m.prog.maps)]
		for i := range m.mapRegion {
			m.mapRegion[i] = 0
		}
	} else {
		m.mapRegion = make([]int32, len(m.prog.maps))
	}
}

// fail stops the program with a verifier-worded error.
func (m *Machine) fail(pc int, verifier, explain string) bool {
	if m.err == nil {
		m.err = &RuntimeError{PC: pc, Verifier: verifier, Explain: explain}
		if m.w.Emitting() {
			m.w.Emit(ErrorEvent{Prog: m.prog.name, PC: pc, Verifier: verifier, Explain: explain})
		}
	}
	m.done = true
	m.pc = pc
	return false
}

func (m *Machine) failBudget(pc int) {
	m.fail(pc, fmt.Sprintf("BPF program is too large. Processed %d insn", m.insns),
		fmt.Sprintf("The program ran %d instructions without finishing, the simulator's budget; the verifier refuses programs whose loops it cannot prove to end.", m.budget))
}

func (m *Machine) newRegion(r region) int32 {
	if len(m.regions) >= maxRegions {
		m.fail(m.pc, "too many memory regions", "The program created more than a million distinct pointers; the simulator stops it.")
		return 0
	}
	idx := int32(len(m.regions))
	r.base = regionBase(idx)
	m.regions = append(m.regions, r)
	return idx
}

// mapRegionFor returns the region that stands for a map pointer.
func (m *Machine) mapRegionFor(aux int32) (int32, bool) {
	if idx := m.mapRegion[aux]; idx != 0 {
		return idx, true
	}
	ref := m.prog.maps[aux]
	mp, ok := m.w.MapByID(ref.id)
	if !ok {
		return 0, m.fail(m.pc, fmt.Sprintf("map %s (id %d) does not exist", ref.name, ref.id), "The program refers to a map that is not in this World.")
	}
	idx := m.newRegion(region{kind: kMapPtr, m: mp, name: mp.Name})
	if idx == 0 {
		return 0, false
	}
	m.mapRegion[aux] = idx
	return idx, true
}

// valueRegionFor returns the region for live map value storage.
func (m *Machine) valueRegionFor(mp *sim.Map, buf []byte) int32 {
	if len(buf) == 0 {
		return m.newRegion(region{kind: kMapValue, buf: buf, m: mp, name: mp.Name})
	}
	key := &buf[0]
	if key == m.lastVal && len(m.regions[m.lastValIdx].buf) == len(buf) {
		return m.lastValIdx
	}
	if m.valueRegion == nil {
		m.valueRegion = map[*byte]int32{}
	}
	idx, ok := m.valueRegion[key]
	if !ok || len(m.regions[idx].buf) != len(buf) || m.regions[idx].m != mp {
		idx = m.newRegion(region{kind: kMapValue, buf: buf, m: mp, name: mp.Name})
		if idx == 0 {
			return 0
		}
		m.valueRegion[key] = idx
	}
	m.lastVal, m.lastValIdx = key, idx
	return idx
}

func (m *Machine) notInit(pc int, r uint8) bool {
	return m.fail(pc, fmt.Sprintf("R%d !read_ok", r), fmt.Sprintf("R%d is read before anything was written to it (helper and function calls clobber R1-R5).", r))
}

// exec runs up to limit instructions.
func (m *Machine) exec(limit int) {
	code := m.code
	regs := &m.regs
	prov := &m.prov
	pc := m.pc
	emit := m.emitInsn
	var snap [11]uint64
	var snapP [11]uint32
	for n := 0; n < limit; n++ {
		if m.insns >= m.budget {
			m.failBudget(pc)
			return
		}
		m.insns++
		in := &code[pc]
		if emit {
			m.pc = pc
			m.w.Emit(m.prog.insnEvent(pc))
			snap, snapP = *regs, *prov
			// A listener that has kept all the events it wants detaches;
			// the rest of the run then goes at full speed.
			if !m.w.InstructionEvents() {
				emit, m.emitInsn = false, false
			}
		}
		next := pc + 1
		d, s := in.dst, in.src
		switch in.op {
		// ---- ALU (generated form: scalar fast path, pointers in aluSlow)
		case opAdd64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] += uint64(in.imm)
		case opSub64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] -= uint64(in.imm)
		case opMul64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] *= uint64(in.imm)
		case opDiv64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = alu64(3, regs[d], uint64(in.imm))
		case opSDiv64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = alu64(4, regs[d], uint64(in.imm))
		case opOr64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] |= uint64(in.imm)
		case opAnd64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] &= uint64(in.imm)
		case opLsh64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] <<= uint64(in.imm) & 63
		case opRsh64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] >>= uint64(in.imm) & 63
		case opMod64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = alu64(9, regs[d], uint64(in.imm))
		case opSMod64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = alu64(10, regs[d], uint64(in.imm))
		case opXor64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] ^= uint64(in.imm)
		case opArsh64I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(int64(regs[d]) >> (uint64(in.imm) & 63))
		case opAdd64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] += regs[s]
		case opSub64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] -= regs[s]
		case opMul64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] *= regs[s]
		case opDiv64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = alu64(3, regs[d], regs[s])
		case opSDiv64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = alu64(4, regs[d], regs[s])
		case opOr64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] |= regs[s]
		case opAnd64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] &= regs[s]
		case opLsh64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] <<= regs[s] & 63
		case opRsh64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] >>= regs[s] & 63
		case opMod64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = alu64(9, regs[d], regs[s])
		case opSMod64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = alu64(10, regs[d], regs[s])
		case opXor64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] ^= regs[s]
		case opArsh64R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(int64(regs[d]) >> (regs[s] & 63))
		case opAdd32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) + uint32(uint64(in.imm)))
		case opSub32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) - uint32(uint64(in.imm)))
		case opMul32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) * uint32(uint64(in.imm)))
		case opDiv32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(alu32(3, uint32(regs[d]), uint32(uint64(in.imm))))
		case opSDiv32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(alu32(4, uint32(regs[d]), uint32(uint64(in.imm))))
		case opOr32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) | uint32(uint64(in.imm)))
		case opAnd32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) & uint32(uint64(in.imm)))
		case opLsh32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) << (uint32(uint64(in.imm)) & 31))
		case opRsh32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) >> (uint32(uint64(in.imm)) & 31))
		case opMod32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(alu32(9, uint32(regs[d]), uint32(uint64(in.imm))))
		case opSMod32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(alu32(10, uint32(regs[d]), uint32(uint64(in.imm))))
		case opXor32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) ^ uint32(uint64(in.imm)))
		case opArsh32I:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(int32(regs[d]) >> (uint32(uint64(in.imm)) & 31)))
		case opAdd32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) + uint32(regs[s]))
		case opSub32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) - uint32(regs[s]))
		case opMul32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) * uint32(regs[s]))
		case opDiv32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(alu32(3, uint32(regs[d]), uint32(regs[s])))
		case opSDiv32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(alu32(4, uint32(regs[d]), uint32(regs[s])))
		case opOr32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) | uint32(regs[s]))
		case opAnd32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) & uint32(regs[s]))
		case opLsh32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) << (uint32(regs[s]) & 31))
		case opRsh32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) >> (uint32(regs[s]) & 31))
		case opMod32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(alu32(9, uint32(regs[d]), uint32(regs[s])))
		case opSMod32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(alu32(10, uint32(regs[d]), uint32(regs[s])))
		case opXor32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(regs[d]) ^ uint32(regs[s]))
		case opArsh32R:
			if prov[d] != provScalar || prov[s] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(int32(regs[d]) >> (uint32(regs[s]) & 31)))
		case opMov64I:
			regs[d] = uint64(in.imm)
			prov[d] = provScalar
		case opMov64R:
			if prov[s] == provUninit {
				m.notInit(pc, s)
				return
			}
			regs[d] = regs[s]
			prov[d] = prov[s]
		case opMovSX8x64, opMovSX16x64, opMovSX32x64:
			if prov[s] == provUninit {
				m.notInit(pc, s)
				return
			}
			v := regs[s]
			switch in.op {
			case opMovSX8x64:
				v = uint64(int64(int8(v)))
			case opMovSX16x64:
				v = uint64(int64(int16(v)))
			default:
				v = uint64(int64(int32(v)))
			}
			regs[d], prov[d] = v, provScalar
		case opNeg64:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = -regs[d]
		case opMov32I:
			regs[d] = uint64(uint32(in.imm))
			prov[d] = provScalar
		case opMov32R:
			if prov[s] == provUninit {
				m.notInit(pc, s)
				return
			}
			regs[d] = uint64(uint32(regs[s]))
			prov[d] = provScalar
		case opMovSX8x32, opMovSX16x32:
			if prov[s] == provUninit {
				m.notInit(pc, s)
				return
			}
			v := regs[s]
			if in.op == opMovSX8x32 {
				v = uint64(uint32(int32(int8(v))))
			} else {
				v = uint64(uint32(int32(int16(v))))
			}
			regs[d], prov[d] = v, provScalar
		case opNeg32:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = uint64(uint32(-int32(regs[d])))
		case opLe16, opLe32, opLe64, opBe16, opBe32, opBe64, opBswap16, opBswap32, opBswap64:
			if prov[d] != provScalar {
				if !m.aluSlow(in, pc) {
					return
				}
				break
			}
			regs[d] = endian(in.op, regs[d])

		// ---- loads of immediates
		case opLdImm64:
			regs[d], prov[d] = uint64(in.imm), provScalar
			next = pc + 2
		case opLdMapFD:
			idx, ok := m.mapRegionFor(in.aux)
			if !ok {
				return
			}
			regs[d], prov[d] = m.regions[idx].base, mkProv(kMapPtr, idx)
			next = pc + 2
		case opLdMapValue:
			if !m.ldMapValue(in, pc) {
				return
			}
			next = pc + 2
		case opLdFunc:
			idx := m.funcRegion(int(in.tgt))
			if idx == 0 {
				return
			}
			regs[d], prov[d] = m.regions[idx].base, mkProv(kFunc, idx)
			next = pc + 2

		// ---- memory
		case opLdx:
			// Fast path: an aligned read of the stack within the depth
			// already recorded for its frame.
			if p := prov[s]; uint8(p) == kStack {
				rg := &m.regions[p>>8]
				o := int64(regs[s]-rg.base) + int64(in.off)
				sz := int64(in.size)
				if o >= 0 && o <= stackSize-sz && o&(sz-1) == 0 && stackSize-o <= int64(m.frames[rg.frame].depth) {
					v := loadN(rg.buf[o : o+sz])
					np := provScalar
					if sz == 8 {
						if sp := m.spill[rg.frame][o>>3]; sp != 0 {
							np = sp
						}
					}
					regs[d], prov[d] = v, np
					break
				}
			}
			if !m.load(in, pc) {
				return
			}
		case opLdxSX:
			if !m.load(in, pc) {
				return
			}
		case opStx:
			// Fast path: an aligned scalar write to the stack.
			if p := prov[d]; uint8(p) == kStack && prov[s] == provScalar && !emit {
				rg := &m.regions[p>>8]
				o := int64(regs[d]-rg.base) + int64(in.off)
				sz := int64(in.size)
				if o >= 0 && o <= stackSize-sz && o&(sz-1) == 0 && stackSize-o <= int64(m.frames[rg.frame].depth) {
					storeN(rg.buf[o:o+sz], regs[s])
					m.spill[rg.frame][o>>3] = 0
					break
				}
			}
			if !m.store(in, pc) {
				return
			}
		case opSt:
			if !m.store(in, pc) {
				return
			}
		case opAtomic:
			if !m.atomic(in, pc) {
				return
			}
		case opLdAbs, opLdInd:
			ok, exit := m.ldAbs(in, pc)
			if !ok {
				return
			}
			if exit {
				code, next = m.code, m.pc
				if m.done {
					return
				}
			}

		// ---- control flow
		case opJa:
			next = int(in.tgt)
		case opMayGoto:
			if m.mayGoto == 0 {
				next = int(in.tgt)
			} else {
				m.mayGoto--
			}
		case opCall:
			m.pc = pc
			if !m.helper(in, pc) {
				return
			}
			code, next = m.code, m.pc
		case opCallLocal:
			if !m.callLocal(int(in.tgt), pc, nil) {
				return
			}
			next = m.pc
		case opExit:
			if !m.exit(pc) {
				return
			}
			code, next = m.code, m.pc
			if m.done {
				if emit {
					m.emitRegs(&snap, &snapP)
				}
				return
			}
		case opFPWrite:
			m.fail(pc, "frame pointer is read only", "R10 is the frame pointer: programs may read it but never write it.")
			return
		case opLdImm64Hi, opInvalid:
			m.fail(pc, fmt.Sprintf("invalid insn at %d", pc), "Execution reached the second half of an ld_imm64 instruction.")
			return

		// ---- conditional jumps, scalar fast paths
		case opJmpFirst + cJEQ*4:
			if prov[d] != provScalar {
				if next = m.jumpSlow(in, pc); next < 0 {
					return
				}
				break
			}
			if regs[d] == uint64(in.imm) {
				next = int(in.tgt)
			}
		case opJmpFirst + cJNE*4:
			if prov[d] != provScalar {
				if next = m.jumpSlow(in, pc); next < 0 {
					return
				}
				break
			}
			if regs[d] != uint64(in.imm) {
				next = int(in.tgt)
			}
		case opJmpFirst + cJGT*4:
			if prov[d] != provScalar {
				if next = m.jumpSlow(in, pc); next < 0 {
					return
				}
				break
			}
			if regs[d] > uint64(in.imm) {
				next = int(in.tgt)
			}
		case opJmpFirst + cJLT*4:
			if prov[d] != provScalar {
				if next = m.jumpSlow(in, pc); next < 0 {
					return
				}
				break
			}
			if regs[d] < uint64(in.imm) {
				next = int(in.tgt)
			}
		case opJmpFirst + cJEQ*4 + 1:
			if prov[d] != provScalar || prov[s] != provScalar {
				if next = m.jumpSlow(in, pc); next < 0 {
					return
				}
				break
			}
			if regs[d] == regs[s] {
				next = int(in.tgt)
			}
		case opJmpFirst + cJNE*4 + 1:
			if prov[d] != provScalar || prov[s] != provScalar {
				if next = m.jumpSlow(in, pc); next < 0 {
					return
				}
				break
			}
			if regs[d] != regs[s] {
				next = int(in.tgt)
			}
		case opJmpFirst + cJGT*4 + 1:
			if prov[d] != provScalar || prov[s] != provScalar {
				if next = m.jumpSlow(in, pc); next < 0 {
					return
				}
				break
			}
			if regs[d] > regs[s] {
				next = int(in.tgt)
			}
		case opJmpFirst + cJLT*4 + 1:
			if prov[d] != provScalar || prov[s] != provScalar {
				if next = m.jumpSlow(in, pc); next < 0 {
					return
				}
				break
			}
			if regs[d] < regs[s] {
				next = int(in.tgt)
			}
		default:
			if in.op >= opJmpFirst && in.op <= opJmpLast {
				if next = m.jumpSlow(in, pc); next < 0 {
					return
				}
				break
			}
			m.fail(pc, fmt.Sprintf("unknown opcode at insn %d", pc), "The simulator does not know this instruction.")
			return
		}
		pc = next
		if emit {
			m.pc = pc
			m.emitRegs(&snap, &snapP)
		}
	}
	m.pc = pc
}

// alu64 computes a 64-bit ALU operation on scalars; base is the operation
// index (0 add ... 13 arsh) of the decoder.
func alu64(base uint8, a, b uint64) uint64 {
	switch base {
	case 0:
		return a + b
	case 1:
		return a - b
	case 2:
		return a * b
	case 3:
		if b == 0 {
			return 0
		}
		return a / b
	case 4:
		if b == 0 {
			return 0
		}
		return uint64(int64(a) / int64(b))
	case 5:
		return a | b
	case 6:
		return a & b
	case 7:
		return a << (b & 63)
	case 8:
		return a >> (b & 63)
	case 9:
		if b == 0 {
			return a
		}
		return a % b
	case 10:
		if b == 0 {
			return a
		}
		return uint64(int64(a) % int64(b))
	case 11:
		return a ^ b
	case 12:
		return b
	case 13:
		return uint64(int64(a) >> (b & 63))
	}
	return 0
}

// alu32 computes a 32-bit ALU operation (zero-extended by the caller).
func alu32(base uint8, a, b uint32) uint32 {
	switch base {
	case 0:
		return a + b
	case 1:
		return a - b
	case 2:
		return a * b
	case 3:
		if b == 0 {
			return 0
		}
		return a / b
	case 4:
		if b == 0 {
			return 0
		}
		return uint32(int32(a) / int32(b))
	case 5:
		return a | b
	case 6:
		return a & b
	case 7:
		return a << (b & 31)
	case 8:
		return a >> (b & 31)
	case 9:
		if b == 0 {
			return a
		}
		return a % b
	case 10:
		if b == 0 {
			return a
		}
		return uint32(int32(a) % int32(b))
	case 11:
		return a ^ b
	case 12:
		return b
	case 13:
		return uint32(int32(a) >> (b & 31))
	}
	return 0
}

func endian(op uint8, v uint64) uint64 {
	switch op {
	case opLe16:
		return uint64(uint16(v))
	case opLe32:
		return uint64(uint32(v))
	case opLe64:
		return v
	case opBe16, opBswap16:
		return uint64(bits.ReverseBytes16(uint16(v)))
	case opBe32, opBswap32:
		return uint64(bits.ReverseBytes32(uint32(v)))
	case opBe64, opBswap64:
		return bits.ReverseBytes64(v)
	}
	return v
}

var aluOpNames = [...]string{"+=", "-=", "*=", "/=", "s/=", "|=", "&=", "<<=", ">>=", "%=", "s%=", "^=", "=", "s>>="}

// aluSlow handles ALU instructions whose operands are not both scalars:
// uninitialised registers and pointer arithmetic.
func (m *Machine) aluSlow(in *insn, pc int) bool {
	d, s := in.dst, in.src
	var base uint8
	is64, reg := true, false
	switch {
	case in.op >= opAdd64I && in.op <= opArsh64I:
		base = in.op - opAdd64I
	case in.op >= opAdd64R && in.op <= opArsh64R:
		base, reg = in.op-opAdd64R, true
	case in.op >= opAdd32I && in.op <= opArsh32I:
		base, is64 = in.op-opAdd32I, false
	case in.op >= opAdd32R && in.op <= opArsh32R:
		base, is64, reg = in.op-opAdd32R, false, true
	case in.op == opNeg64 || in.op == opNeg32:
		is64 = in.op == opNeg64
		base = 255
	default: // endianness conversions
		base = 254
	}
	pd := m.prov[d]
	if uint8(pd) == kUninit {
		return m.notInit(pc, d)
	}
	var b uint64
	ps := provScalar
	if reg {
		ps = m.prov[s]
		if uint8(ps) == kUninit {
			return m.notInit(pc, s)
		}
		b = m.regs[s]
	} else {
		b = uint64(in.imm)
	}
	dk, sk := uint8(pd), uint8(ps)
	opName := "op"
	if base < uint8(len(aluOpNames)) {
		opName = aluOpNames[base]
	}
	if dk == kScalar && sk == kScalar {
		// Both scalars (only reached for an uninit check).
		switch base {
		case 255:
			if is64 {
				m.regs[d] = -m.regs[d]
			} else {
				m.regs[d] = uint64(uint32(-int32(m.regs[d])))
			}
		case 254:
			m.regs[d] = endian(in.op, m.regs[d])
		default:
			if is64 {
				m.regs[d] = alu64(base, m.regs[d], b)
			} else {
				m.regs[d] = uint64(alu32(base, uint32(m.regs[d]), uint32(b)))
			}
		}
		return true
	}
	ptrReg := d
	pk := dk
	if dk == kScalar {
		ptrReg, pk = s, sk
	}
	if base == 1 && is64 && dk != kScalar && sk != kScalar {
		// pointer - pointer: an unknown scalar for a privileged program
		// (pkt_end - pkt is the packet length).
		m.regs[d] -= b
		m.prov[d] = provScalar
		return true
	}
	if !is64 {
		return m.fail(pc, fmt.Sprintf("R%d 32-bit pointer arithmetic prohibited", ptrReg), "A pointer may only change through 64-bit add or subtract.")
	}
	switch pk {
	case kMapValueOrNull, kRingMemOrNull, kMapPtrOrNull:
		return m.fail(pc, fmt.Sprintf("R%d pointer arithmetic on %s prohibited, null-check it first", ptrReg, kindNames[pk]), "The pointer may be NULL: compare it with 0 before computing with it.")
	case kMapPtr, kPktEnd, kFunc:
		return m.fail(pc, fmt.Sprintf("R%d pointer arithmetic on %s prohibited", ptrReg, kindNames[pk]), fmt.Sprintf("A %s pointer cannot be moved.", kindNames[pk]))
	}
	switch base {
	case 0: // add
		if dk != kScalar && sk != kScalar {
			return m.fail(pc, fmt.Sprintf("R%d pointer += pointer prohibited", d), "Two pointers cannot be added.")
		}
		m.regs[d] += b
		if dk == kScalar {
			m.prov[d] = ps
		}
		return true
	case 1: // sub
		if dk == kScalar {
			return m.fail(pc, fmt.Sprintf("R%d tried to subtract pointer from scalar", d), "A number minus a pointer means nothing.")
		}
		m.regs[d] -= b
		return true
	case 5, 6, 11:
		return m.fail(pc, fmt.Sprintf("R%d bitwise operator %s on pointer prohibited", ptrReg, opName), "Pointers only move by adding or subtracting numbers.")
	case 255:
		return m.fail(pc, fmt.Sprintf("R%d pointer arithmetic with neg operator prohibited", ptrReg), "Pointers only move by adding or subtracting numbers.")
	case 254:
		return m.fail(pc, fmt.Sprintf("R%d pointer arithmetic with bswap operator prohibited", ptrReg), "Pointers only move by adding or subtracting numbers.")
	}
	return m.fail(pc, fmt.Sprintf("R%d pointer arithmetic with %s operator prohibited", ptrReg, opName), "Pointers only move by adding or subtracting numbers.")
}

// cond evaluates a jump condition.
func cond(c int, is32 bool, a, b uint64) bool {
	if is32 {
		a, b = uint64(uint32(a)), uint64(uint32(b))
		switch c {
		case cJSGT:
			return int32(a) > int32(b)
		case cJSGE:
			return int32(a) >= int32(b)
		case cJSLT:
			return int32(a) < int32(b)
		case cJSLE:
			return int32(a) <= int32(b)
		}
	}
	switch c {
	case cJEQ:
		return a == b
	case cJGT:
		return a > b
	case cJGE:
		return a >= b
	case cJSET:
		return a&b != 0
	case cJNE:
		return a != b
	case cJSGT:
		return int64(a) > int64(b)
	case cJSGE:
		return int64(a) >= int64(b)
	case cJLT:
		return a < b
	case cJLE:
		return a <= b
	case cJSLT:
		return int64(a) < int64(b)
	case cJSLE:
		return int64(a) <= int64(b)
	}
	return false
}

// jumpSlow evaluates any conditional jump, with NULL-check promotion and
// packet-range proofs. It returns the next pc, or -1 after an error.
func (m *Machine) jumpSlow(in *insn, pc int) int {
	rel := int(in.op - opJmpFirst)
	c, is32, reg := rel/4, rel&2 != 0, rel&1 != 0
	d, s := in.dst, in.src
	pd := m.prov[d]
	if uint8(pd) == kUninit {
		m.notInit(pc, d)
		return -1
	}
	a := m.regs[d]
	b := uint64(in.imm)
	ps := provScalar
	if reg {
		ps = m.prov[s]
		if uint8(ps) == kUninit {
			m.notInit(pc, s)
			return -1
		}
		b = m.regs[s]
	} else if is32 {
		b = uint64(uint32(in.imm))
	}
	taken := cond(c, is32, a, b)
	next := pc + 1
	if taken {
		next = int(in.tgt)
	}
	dk, sk := uint8(pd), uint8(ps)
	// NULL checks: "if rX == 0" / "if rX != 0" on a maybe-NULL pointer.
	if !is32 && (c == cJEQ || c == cJNE) && (dk == kMapValueOrNull || dk == kRingMemOrNull || dk == kMapPtrOrNull) && sk == kScalar && b == 0 {
		m.nullChecked(pd, a != 0)
	}
	// Packet range: comparisons of a packet pointer with pkt_end.
	if !is32 && reg {
		switch {
		case dk == kPkt && sk == kPktEnd:
			off := int(a - m.regions[regPkt].base)
			m.provePkt(c, taken, off, false)
		case dk == kPktEnd && sk == kPkt:
			off := int(b - m.regions[regPkt].base)
			m.provePkt(c, taken, off, true)
		}
	}
	return next
}

// provePkt records the packet range a comparison proves on the branch taken.
// swapped means "pkt_end OP pkt".
func (m *Machine) provePkt(c int, taken bool, off int, swapped bool) {
	if off < 0 || off > 0xffff {
		return
	}
	r := -1
	if !swapped {
		switch {
		case c == cJGT && !taken, c == cJLE && taken:
			r = off // pkt <= end
		case c == cJGE && !taken, c == cJLT && taken:
			r = off + 1 // pkt < end
		}
	} else {
		switch {
		case c == cJGE && taken, c == cJLT && !taken:
			r = off // end >= pkt
		case c == cJGT && taken, c == cJLE && !taken:
			r = off + 1 // end > pkt
		}
	}
	if r > m.pktRange {
		m.pktRange = r
	}
}

// nullChecked turns every copy of a maybe-NULL pointer into the pointer
// (nonNull) or into the scalar 0.
func (m *Machine) nullChecked(p uint32, nonNull bool) {
	np := provScalar
	if nonNull {
		k := kMapValue
		switch uint8(p) {
		case kRingMemOrNull:
			k = kRingMem
		case kMapPtrOrNull:
			k = kMapPtr
		}
		np = mkProv(k, int32(p>>8))
	}
	for r := range m.prov {
		if m.prov[r] == p {
			m.prov[r] = np
		}
	}
	if !m.anySpill {
		return
	}
	for f := 0; f <= m.fi; f++ {
		for i, sp := range m.spill[f] {
			if sp == p {
				m.spill[f][i] = np
			}
		}
	}
}

func (m *Machine) ldMapValue(in *insn, pc int) bool {
	ref := m.prog.maps[in.aux]
	mp, ok := m.w.MapByID(ref.id)
	if !ok {
		return m.fail(pc, fmt.Sprintf("map %s (id %d) does not exist", ref.name, ref.id), "The program refers to a map that is not in this World.")
	}
	val, e := mp.ProgLookup([]byte{0, 0, 0, 0})
	if e != sim.OK || val == nil {
		return m.fail(pc, "no direct value access support for this map type", "The map has no value at index 0 to point at.")
	}
	idx := m.valueRegionFor(mp, val)
	if idx == 0 {
		return false
	}
	m.regs[in.dst] = m.regions[idx].base + uint64(in.imm)
	m.prov[in.dst] = mkProv(kMapValue, idx)
	return true
}

func (m *Machine) funcRegion(tgt int) int32 {
	for i := regFirst; i < len(m.regions); i++ {
		if m.regions[i].kind == kFunc && m.regions[i].tgt == tgt {
			return int32(i)
		}
	}
	return m.newRegion(region{kind: kFunc, tgt: tgt, name: fmt.Sprintf("function at insn %d", tgt)})
}

// access resolves a load or store through register r at offset off.
// It returns the bytes, or nil after an error.
func (m *Machine) access(r uint8, off int16, size int, write bool, pc int) []byte {
	p := m.prov[r]
	k := uint8(p)
	idx := int32(p >> 8)
	switch k {
	case kStack:
		rg := &m.regions[idx]
		o := int64(m.regs[r]-rg.base) + int64(off)
		fo := o - stackSize
		if o < 0 || o > 1<<40 || o+int64(size) > stackSize {
			what := "read from"
			if write {
				what = "write to"
			}
			m.fail(pc, fmt.Sprintf("invalid %s stack R%d off=%d size=%d", what, r, fo, size),
				fmt.Sprintf("The stack is the 512 bytes below R10 (offsets -512..-1); fp%+d with %d bytes is outside it.", fo, size))
			return nil
		}
		if o%int64(size) != 0 {
			m.fail(pc, fmt.Sprintf("misaligned stack access off (0x0; 0x0)+%d+%d size %d", fo-int64(off), off, size),
				fmt.Sprintf("Stack accesses must be aligned to their size: fp%+d is not a multiple of %d.", fo, size))
			return nil
		}
		if !m.stackDepth(rg.frame, int(-fo), pc) {
			return nil
		}
		if write {
			m.spill[rg.frame][o>>3] = 0
		}
		return rg.buf[o : o+int64(size)]
	case kMapValue:
		rg := &m.regions[idx]
		o := int64(m.regs[r]-rg.base) + int64(off)
		if o < 0 || o > 1<<40 || o+int64(size) > int64(len(rg.buf)) {
			m.fail(pc, fmt.Sprintf("invalid access to map value, value_size=%d off=%d size=%d", len(rg.buf), o, size),
				fmt.Sprintf("A value of map %s has %d bytes; the access at offset %d of %d bytes does not fit.", rg.name, len(rg.buf), o, size))
			return nil
		}
		if rg.m != nil && rg.m.SpinLock && o < int64(rg.m.SpinLockOff)+4 && o+int64(size) > int64(rg.m.SpinLockOff) {
			m.fail(pc, "bpf_spin_lock cannot be accessed directly by load/store", "The spin lock inside a map value is only used through bpf_spin_lock and bpf_spin_unlock.")
			return nil
		}
		if write && rg.m != nil && rg.m.Flags&sim.FlagRdonlyProg != 0 {
			m.fail(pc, fmt.Sprintf("write into map forbidden, value_size=%d off=%d size=%d", len(rg.buf), o, size),
				fmt.Sprintf("Map %s was created with BPF_F_RDONLY_PROG: programs may only read it.", rg.name))
			return nil
		}
		return rg.buf[o : o+int64(size)]
	case kPkt:
		rg := &m.regions[regPkt]
		o := int64(m.regs[r]-rg.base) + int64(off)
		if o < 0 || o > 1<<40 || o+int64(size) > int64(m.pktRange) || o+int64(size) > int64(len(rg.buf)) {
			m.fail(pc, fmt.Sprintf("invalid access to packet, off=%d size=%d, R%d(id=0,off=%d,r=%d)", o, size, r, o-int64(off), m.pktRange),
				fmt.Sprintf("Packet bytes may only be touched after comparing a pointer with data_end proves they exist; so far %d bytes are proven, the access needs %d..%d.", m.pktRange, o, o+int64(size)))
			return nil
		}
		if write && m.entry.typ == sim.ProgSocketFilter {
			m.fail(pc, "cannot write into packet", "Socket filters may not change the packet.")
			return nil
		}
		return rg.buf[o : o+int64(size)]
	case kRingMem:
		rg := &m.regions[idx]
		o := int64(m.regs[r]-rg.base) + int64(off)
		if !rg.live {
			m.fail(pc, fmt.Sprintf("R%d invalid mem access 'scalar'", r), "The ring buffer record was already submitted or discarded; the pointer is gone.")
			return nil
		}
		if o < 0 || o > 1<<40 || o+int64(size) > int64(len(rg.buf)) {
			m.fail(pc, fmt.Sprintf("invalid access to memory, mem_size=%d off=%d size=%d", len(rg.buf), o, size),
				fmt.Sprintf("The reserved record has %d bytes; the access at %d of %d bytes does not fit.", len(rg.buf), o, size))
			return nil
		}
		return rg.buf[o : o+int64(size)]
	case kMapKey:
		rg := &m.regions[idx]
		o := int64(m.regs[r]-rg.base) + int64(off)
		if write {
			m.fail(pc, fmt.Sprintf("R%d cannot write into map_key", r), "The key passed to a for_each callback is read-only.")
			return nil
		}
		if o < 0 || o > 1<<40 || o+int64(size) > int64(len(rg.buf)) {
			m.fail(pc, fmt.Sprintf("invalid access to map key, key_size=%d off=%d size=%d", len(rg.buf), o, size), "The access does not fit in the key.")
			return nil
		}
		return rg.buf[o : o+int64(size)]
	case kUninit:
		m.notInit(pc, r)
		return nil
	}
	what := kindNames[k]
	explain := fmt.Sprintf("R%d holds a %s, which cannot be dereferenced.", r, what)
	switch k {
	case kScalar:
		explain = fmt.Sprintf("R%d holds a number, not a pointer the verifier knows.", r)
	case kMapValueOrNull, kMapPtrOrNull:
		explain = fmt.Sprintf("R%d came from bpf_map_lookup_elem and may be NULL: check it against 0 first.", r)
	case kRingMemOrNull:
		explain = fmt.Sprintf("R%d came from bpf_ringbuf_reserve and may be NULL: check it against 0 first.", r)
	}
	m.fail(pc, fmt.Sprintf("R%d invalid mem access '%s'", r, what), explain)
	return nil
}

// stackDepth records that frame f uses depth bytes of stack and checks the
// combined stack size.
func (m *Machine) stackDepth(f, depth, pc int) bool {
	if depth <= m.frames[f].depth {
		return true
	}
	m.frames[f].depth = depth
	total := 0
	for i := 0; i <= m.fi; i++ {
		dd := m.frames[i].depth
		if dd < 1 {
			dd = 1
		}
		total += (dd + 31) &^ 31
	}
	if m.fi > 0 && total > stackSize {
		return m.fail(pc, fmt.Sprintf("combined stack size of %d calls is %d. Too large", m.fi+1, total),
			"All active BPF-to-BPF frames share 512 bytes of stack (each rounded up to 32 bytes).")
	}
	return true
}

func loadN(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	default:
		return binary.LittleEndian.Uint64(b)
	}
}

func storeN(b []byte, v uint64) {
	switch len(b) {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(v))
	default:
		binary.LittleEndian.PutUint64(b, v)
	}
}

func signExtend(v uint64, size uint8) uint64 {
	switch size {
	case 1:
		return uint64(int64(int8(v)))
	case 2:
		return uint64(int64(int16(v)))
	case 4:
		return uint64(int64(int32(v)))
	}
	return v
}

func (m *Machine) load(in *insn, pc int) bool {
	s := in.src
	if uint8(m.prov[s]) == kCtx {
		v, p, ok := m.ctxLoad(in, pc)
		if !ok {
			return false
		}
		if in.op == opLdxSX && p == provScalar {
			v = signExtend(v, in.size)
		}
		m.regs[in.dst], m.prov[in.dst] = v, p
		return true
	}
	b := m.access(s, in.off, int(in.size), false, pc)
	if b == nil {
		return false
	}
	v := loadN(b)
	p := provScalar
	if in.op == opLdxSX {
		v = signExtend(v, in.size)
	} else if in.size == 8 && uint8(m.prov[s]) == kStack {
		rg := &m.regions[m.prov[s]>>8]
		o := int64(m.regs[s]-rg.base) + int64(in.off)
		if sp := m.spill[rg.frame][o>>3]; sp != 0 {
			p = sp
		}
	}
	m.regs[in.dst], m.prov[in.dst] = v, p
	return true
}

func (m *Machine) store(in *insn, pc int) bool {
	d := in.dst
	var v uint64
	vp := provScalar
	if in.op == opStx {
		vp = m.prov[in.src]
		if uint8(vp) == kUninit {
			return m.notInit(pc, in.src)
		}
		v = m.regs[in.src]
	} else {
		v = uint64(in.imm)
	}
	if uint8(m.prov[d]) == kCtx {
		if in.op == opSt {
			return m.fail(pc, fmt.Sprintf("BPF_ST stores into R%d ctx is not allowed", d), "Store a register, not an immediate, into the context.")
		}
		return m.ctxStore(in, v, pc)
	}
	b := m.access(d, in.off, int(in.size), true, pc)
	if b == nil {
		return false
	}
	storeN(b, v)
	if uint8(m.prov[d]) == kStack && in.size == 8 && uint8(vp) > kScalar {
		rg := &m.regions[m.prov[d]>>8]
		o := int64(m.regs[d]-rg.base) + int64(in.off)
		m.spill[rg.frame][o>>3] = vp
		m.anySpill = true
	}
	if m.emitInsn {
		m.emitMem(pc, d, in.off, b)
	}
	return true
}

func (m *Machine) atomic(in *insn, pc int) bool {
	d, s := in.dst, in.src
	if in.aux != atLoadAcq && uint8(m.prov[d]) == kUninit {
		return m.notInit(pc, d)
	}
	if uint8(m.prov[s]) == kUninit {
		return m.notInit(pc, s)
	}
	if in.aux == atLoadAcq {
		// dst = load_acquire(src + off)
		if uint8(m.prov[s]) == kCtx {
			return m.fail(pc, fmt.Sprintf("BPF_ATOMIC loads from R%d ctx is not allowed", s), "Atomic loads work on the stack and map values.")
		}
		b := m.access(s, in.off, int(in.size), false, pc)
		if b == nil {
			return false
		}
		m.regs[d], m.prov[d] = loadN(b), provScalar
		return true
	}
	switch k := uint8(m.prov[d]); k {
	case kStack, kMapValue, kRingMem:
	case kCtx, kPkt:
		return m.fail(pc, fmt.Sprintf("BPF_ATOMIC stores into R%d %s is not allowed", d, kindNames[k]), "Atomic operations work on the stack and on map values, not on the context or the packet.")
	}
	b := m.access(d, in.off, int(in.size), true, pc)
	if b == nil {
		return false
	}
	src := m.regs[s]
	old := loadN(b)
	switch in.aux {
	case atStoreRel:
		storeN(b, src)
	case atAdd:
		storeN(b, old+src)
	case atAnd:
		storeN(b, old&src)
	case atOr:
		storeN(b, old|src)
	case atXor:
		storeN(b, old^src)
	case atXchg:
		storeN(b, src)
	case atCmpXchg:
		if uint8(m.prov[0]) == kUninit {
			return m.notInit(pc, 0)
		}
		r0 := m.regs[0]
		if in.size == 4 {
			r0 = uint64(uint32(r0))
		}
		if old == r0 {
			storeN(b, src)
		}
		m.regs[0], m.prov[0] = old, provScalar
	}
	if in.fetch && in.aux != atCmpXchg {
		m.regs[s], m.prov[s] = old, provScalar
	}
	if uint8(m.prov[d]) == kStack {
		rg := &m.regions[m.prov[d]>>8]
		o := int64(m.regs[d]-rg.base) + int64(in.off)
		m.spill[rg.frame][o>>3] = 0
	}
	if m.emitInsn {
		m.emitMem(pc, d, in.off, b)
	}
	return true
}

// ldAbs runs LD_ABS / LD_IND: a big-endian load from the packet; an
// out-of-bounds offset ends the program with return value 0.
func (m *Machine) ldAbs(in *insn, pc int) (ok, exited bool) {
	if uint8(m.prov[6]) != kCtx {
		if uint8(m.prov[6]) == kUninit {
			return m.notInit(pc, 6), false
		}
		return m.fail(pc, "at the time of BPF_LD_ABS|IND R6 != pointer to skb", "LD_ABS and LD_IND read the packet of the context in R6; keep ctx in R6."), false
	}
	off := int64(int32(in.imm))
	if in.op == opLdInd {
		if uint8(m.prov[in.src]) == kUninit {
			return m.notInit(pc, in.src), false
		}
		off = int64(int32(uint32(m.regs[in.src]) + uint32(in.imm)))
	}
	data := m.regions[regPkt].buf
	for r := 1; r <= 5; r++ {
		m.prov[r] = 0
	}
	if off < 0 || off+int64(in.size) > int64(len(data)) {
		if m.w.Emitting() {
			m.w.Emit(ExitEvent{Prog: m.prog.name, PC: pc, R0: 0, Reason: fmt.Sprintf("LD_ABS/LD_IND at offset %d (%d bytes) is outside the %d-byte packet: the program ends with 0", off, in.size, len(data))})
		}
		m.regs[0], m.prov[0] = 0, provScalar
		m.fi = 0
		m.finishRun(pc)
		return true, true
	}
	b := data[off : off+int64(in.size)]
	var v uint64
	switch in.size {
	case 1:
		v = uint64(b[0])
	case 2:
		v = uint64(binary.BigEndian.Uint16(b))
	default:
		v = uint64(binary.BigEndian.Uint32(b))
	}
	m.regs[0], m.prov[0] = v, provScalar
	return true, false
}

// callLocal enters a BPF-to-BPF function (or a callback when cb != nil).
func (m *Machine) callLocal(tgt, pc int, cb *callback) bool {
	if m.fi+1 >= maxFrames {
		return m.fail(pc, fmt.Sprintf("the call stack of %d frames is too deep !", m.fi+2), "BPF-to-BPF calls nest at most 8 frames deep.")
	}
	if m.lockIdx != 0 {
		return m.fail(pc, "function calls are not allowed while holding a lock", "Release the bpf_spin_lock before calling a function.")
	}
	caller := m.fi
	m.fi++
	f := &m.frames[m.fi]
	*f = frame{retPC: pc + 1, cb: cb}
	copy(f.saved[:], m.regs[6:10])
	copy(f.savedProv[:], m.prov[6:10])
	m.stacks[m.fi] = [stackSize]byte{}
	m.spill[m.fi] = [stackSize / 8]uint32{}
	idx := int32(regStack + m.fi)
	m.regs[10], m.prov[10] = m.regions[idx].base+stackSize, mkProv(kStack, idx)
	m.prov[0] = 0
	for r := 6; r <= 9; r++ {
		m.prov[r] = 0
	}
	m.pc = tgt
	if m.w.Emitting() {
		m.w.Emit(CallEvent{Prog: m.prog.name, PC: pc, Target: tgt, Depth: m.fi, Callback: cb != nil})
	}
	_ = caller
	return true
}

// exit runs an exit instruction: return from a function, a callback, or
// the program.
func (m *Machine) exit(pc int) bool {
	if uint8(m.prov[0]) == kUninit {
		return m.notInit(pc, 0)
	}
	if m.fi > 0 {
		f := &m.frames[m.fi]
		if m.lockIdx != 0 {
			return m.fail(pc, "BPF_EXIT instruction in subprog cannot be used inside bpf_spin_lock-ed region", "Release the bpf_spin_lock before returning.")
		}
		r0 := m.regs[0]
		if f.cb != nil && r0 > 1 {
			return m.fail(pc, fmt.Sprintf("At callback return the register R0 has smin=%d smax=%d should have been in [0, 1]", int64(r0), int64(r0)),
				"A loop or for_each callback returns 0 to continue or 1 to stop.")
		}
		copy(m.regs[6:10], f.saved[:])
		copy(m.prov[6:10], f.savedProv[:])
		m.fi--
		idx := int32(regStack + m.fi)
		m.regs[10], m.prov[10] = m.regions[idx].base+stackSize, mkProv(kStack, idx)
		for r := 1; r <= 5; r++ {
			m.prov[r] = 0
		}
		m.pc = f.retPC
		if m.w.Emitting() {
			m.w.Emit(ReturnEvent{Prog: m.prog.name, PC: pc, R0: r0, Depth: m.fi + 1})
		}
		if f.cb != nil {
			return m.callbackReturned(f.cb, r0, f.retPC-1)
		}
		return true
	}
	if m.lockIdx != 0 {
		return m.fail(pc, "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region", "Release the bpf_spin_lock before the program exits.")
	}
	if m.resvOpen > 0 {
		for i := regFirst; i < len(m.regions); i++ {
			if rg := &m.regions[i]; rg.kind == kRingMem && rg.live {
				return m.fail(pc, fmt.Sprintf("Unreleased reference id=%d alloc_insn=%d", i, rg.allocPC),
					"Every bpf_ringbuf_reserve must be followed by bpf_ringbuf_submit or bpf_ringbuf_discard on every path.")
			}
		}
	}
	m.finishRun(pc)
	return true
}

// finishRun ends one run of the program with R0 and starts the next one
// when Repeat asks for more.
func (m *Machine) finishRun(pc int) {
	m.r0 = m.regs[0]
	m.runs++
	m.runsLeft--
	if m.w.Emitting() {
		m.w.Emit(ExitEvent{Prog: m.prog.name, PC: pc, R0: m.r0, Run: m.runs})
	}
	if m.runsLeft > 0 {
		m.startRun(m.entry)
		return
	}
	m.done = true
	m.pc = pc
}

// emitRegs emits a *RegEvent for every register the instruction changed.
// Register events come from a slab (never reused once emitted), so that
// recording costs no allocation per instruction.
func (m *Machine) emitRegs(snap *[11]uint64, snapP *[11]uint32) {
	for r := 0; r < 11; r++ {
		if m.regs[r] != snap[r] || m.prov[r] != snapP[r] {
			if len(m.regSlab) == cap(m.regSlab) {
				m.regSlab = make([]RegEvent, 0, 512)
			}
			m.regSlab = append(m.regSlab, RegEvent{Reg: r, Old: snap[r], New: m.regs[r], Type: kindNames[uint8(m.prov[r])], Label: m.label(m.prov[r], m.regs[r])})
			m.w.Emit(&m.regSlab[len(m.regSlab)-1])
		}
	}
}

func (m *Machine) emitMem(pc int, r uint8, off int16, b []byte) {
	p := m.prov[r]
	rg := &m.regions[p>>8]
	o := int64(m.regs[r]-rg.base) + int64(off)
	name := rg.name
	switch uint8(p) {
	case kStack:
		name = fmt.Sprintf("stack of frame %d", rg.frame)
		o -= stackSize
	case kMapValue:
		name = "map value of " + rg.name
	case kPkt:
		name = "packet"
	case kRingMem:
		name = "ringbuf record of " + rg.name
	}
	m.w.Emit(MemEvent{Prog: m.prog.name, PC: pc, Region: name, Off: int(o), Data: fmt.Sprintf("%x", b)})
}

// label describes a register's provenance for people.
func (m *Machine) label(p uint32, v uint64) string {
	k := uint8(p)
	if k <= kScalar {
		return ""
	}
	idx := p >> 8
	if int(idx) >= len(m.regions) {
		return kindNames[k]
	}
	rg := &m.regions[idx]
	off := int64(v - rg.base)
	plus := func(s string) string {
		if off == 0 {
			return s
		}
		return fmt.Sprintf("%s %+d", s, off)
	}
	switch k {
	case kCtx:
		return plus("ctx")
	case kStack:
		if rg.frame == 0 {
			return fmt.Sprintf("fp%+d", off-stackSize)
		}
		return fmt.Sprintf("fp%+d of frame %d", off-stackSize, rg.frame)
	case kMapValue:
		return plus("map value of " + rg.name)
	case kMapValueOrNull:
		if v == 0 {
			return "NULL (map value of " + rg.name + " or NULL)"
		}
		return "map value of " + rg.name + " or NULL"
	case kMapPtr:
		return "map " + rg.name
	case kPkt:
		return plus("packet")
	case kPktEnd:
		return "packet end"
	case kPktMeta:
		return "packet meta"
	case kRingMem:
		return plus("ringbuf record of " + rg.name)
	case kRingMemOrNull:
		if v == 0 {
			return "NULL (ringbuf record of " + rg.name + " or NULL)"
		}
		return "ringbuf record of " + rg.name + " or NULL"
	case kMapKey:
		return plus("key of " + rg.name)
	case kMapPtrOrNull:
		if v == 0 {
			return "NULL (inner map of " + rg.name + " or NULL)"
		}
		return "map " + rg.name + " or NULL"
	case kFunc:
		return rg.name
	}
	return kindNames[k]
}
