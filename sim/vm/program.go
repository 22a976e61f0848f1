// Package vm is the BPF interpreter of the simulator: the counterpart of
// kernel/bpf/core.c (___bpf_prog_run), the helpers a lesson needs, program
// contexts and tail calls.
//
// Programs are cilium/ebpf asm.Instructions. Load does the structural checks
// the verifier does first (jump ranges, the last instruction, known opcodes
// and helpers, map references) and pre-decodes the program into a compact
// form. Everything the verifier proves by abstract interpretation (NULL
// checks, bounds, initialised registers, packet ranges) is checked at run
// time instead, on the one path the program takes, and reported with the
// verifier's wording in a RuntimeError.
package vm

import (
	"fmt"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/bpfasm"
	"github.com/cilium/ebpf/asm"
)

// Program is a loaded BPF program. It is immutable after Load and may be
// shared between cloned Worlds.
type Program struct {
	name string
	typ  sim.ProgType
	code []insn   // one entry per raw instruction slot
	text []string // disassembly per raw slot ("" for the second half of ld_imm64)
	// insnEv holds the instruction event of every slot, boxed once.
	insnEv []sim.Event
	maps   []mapRef // maps referenced by ld_imm64, indexed by insn.aux
	id     uint32
	fd     int

	hasTailCall bool
	hasCalls    bool
}

type mapRef struct {
	id   uint32
	name string
}

// ProgName implements sim.Program.
func (p *Program) ProgName() string { return p.name }

// ProgType implements sim.Program.
func (p *Program) ProgType() sim.ProgType { return p.typ }

// ID is the program ID the World gave it.
func (p *Program) ID() uint32 { return p.id }

// FD is the program's file descriptor in the World.
func (p *Program) FD() int { return p.fd }

// Len is the number of raw instruction slots (ld_imm64 counts twice).
func (p *Program) Len() int { return len(p.code) }

// Text is the disassembly of the instruction at raw slot pc.
func (p *Program) Text(pc int) string {
	if pc < 0 || pc >= len(p.text) {
		return ""
	}
	return p.text[pc]
}

// LoadError is a program the verifier would refuse at load time because
// of its structure. Verifier is the verifier's message, Explain one plain
// sentence.
type LoadError struct {
	PC       int
	Verifier string
	Explain  string
}

func (e *LoadError) Error() string {
	if e.PC >= 0 {
		return fmt.Sprintf("insn %d: %s", e.PC, e.Verifier)
	}
	return e.Verifier
}

// internal operations; see decode.
const (
	opInvalid uint8 = iota
	opLdImm64Hi

	// ALU, 64-bit and 32-bit, immediate and register forms.
	opAdd64I
	opSub64I
	opMul64I
	opDiv64I
	opSDiv64I
	opOr64I
	opAnd64I
	opLsh64I
	opRsh64I
	opMod64I
	opSMod64I
	opXor64I
	opMov64I
	opArsh64I
	opAdd64R
	opSub64R
	opMul64R
	opDiv64R
	opSDiv64R
	opOr64R
	opAnd64R
	opLsh64R
	opRsh64R
	opMod64R
	opSMod64R
	opXor64R
	opMov64R
	opArsh64R
	opMovSX8x64
	opMovSX16x64
	opMovSX32x64
	opNeg64
	opAdd32I
	opSub32I
	opMul32I
	opDiv32I
	opSDiv32I
	opOr32I
	opAnd32I
	opLsh32I
	opRsh32I
	opMod32I
	opSMod32I
	opXor32I
	opMov32I
	opArsh32I
	opAdd32R
	opSub32R
	opMul32R
	opDiv32R
	opSDiv32R
	opOr32R
	opAnd32R
	opLsh32R
	opRsh32R
	opMod32R
	opSMod32R
	opXor32R
	opMov32R
	opArsh32R
	opMovSX8x32
	opMovSX16x32
	opNeg32
	opLe16
	opLe32
	opLe64
	opBe16
	opBe32
	opBe64
	opBswap16
	opBswap32
	opBswap64

	// Loads and stores. size holds the width in bytes.
	opLdImm64
	opLdMapFD
	opLdMapValue
	opLdFunc
	opLdx
	opLdxSX
	opSt
	opStx
	opAtomic
	opLdAbs
	opLdInd

	// Control flow.
	opJa
	opCall
	opCallLocal
	opExit
	opMayGoto
	opFPWrite // any instruction that would write R10

	// Conditional jumps: opJmpFirst + cond*4 + is32*2 + isReg.
	opJmpFirst
)

// Conditions, in the order used by the conditional jump opcodes.
const (
	cJEQ = iota
	cJGT
	cJGE
	cJSET
	cJNE
	cJSGT
	cJSGE
	cJLT
	cJLE
	cJSLT
	cJSLE
	nConds
)

const opJmpLast = opJmpFirst + nConds*4 - 1

var condNames = [nConds]string{"==", ">", ">=", "&", "!=", "s>", "s>=", "<", "<=", "s<", "s<="}

// Atomic operations (insn.aux).
const (
	atAdd = iota
	atAnd
	atOr
	atXor
	atXchg
	atCmpXchg
	atLoadAcq
	atStoreRel
)

// insn is one pre-decoded instruction slot.
type insn struct {
	op    uint8
	dst   uint8
	src   uint8
	size  uint8 // bytes for memory ops
	off   int16
	fetch bool  // atomics: BPF_FETCH
	aux   int32 // helper id, map index, atomic op
	tgt   int32 // absolute jump/call target
	imm   int64 // sign-extended immediate (full 64 bits for ld_imm64)
}

func loadErr(pc int, verifier, explain string) *LoadError {
	return &LoadError{PC: pc, Verifier: verifier, Explain: explain}
}

// Load checks and pre-decodes a program and adds it to the World (it gets
// an ID and an fd, as BPF_PROG_LOAD gives). Map references of ld_imm64
// instructions are resolved by name with resolve (a symbol reference as in
// asm.LoadMapPtr(r1, 0).WithReference("flows")), or else by the fd in the
// instruction.
func Load(w *sim.World, name string, typ sim.ProgType, insns asm.Instructions, resolve func(name string) (*sim.Map, bool)) (*Program, error) {
	p, err := compile(w, name, typ, insns, resolve)
	if err != nil {
		return nil, err
	}
	// Claim the prog arrays the program refers to, as the kernel does at
	// load (bpf_prog_map_compatible).
	for _, ref := range p.maps {
		m, _ := w.MapByID(ref.id)
		if pa := m.ProgArray(); pa != nil && p.hasTailCall {
			if !pa.Claim(typ) {
				owner, _ := pa.Owner()
				return nil, loadErr(-1, fmt.Sprintf("prog_array %s is owned by %s programs", m.Name, owner),
					fmt.Sprintf("A prog_array only holds programs of one type; %s already holds %s programs, so a %s program may not use it.", m.Name, owner, typ))
			}
		}
	}
	p.id, p.fd = w.AddProgram(p)
	return p, nil
}

func compile(w *sim.World, name string, typ sim.ProgType, insns asm.Instructions, resolve func(string) (*sim.Map, bool)) (*Program, error) {
	if len(insns) == 0 {
		return nil, loadErr(-1, "the program has no instructions", "BPF_PROG_LOAD refuses an empty program with EINVAL.")
	}
	if len(insns) > 1000000 {
		return nil, loadErr(-1, fmt.Sprintf("BPF program is too large. %d insns", len(insns)), "A program has at most one million instructions.")
	}
	p := &Program{name: name, typ: typ}

	// Raw offsets and symbols.
	raw := make([]int, len(insns)+1)
	symbols := map[string]int{}
	for i := range insns {
		raw[i+1] = raw[i] + 1
		if insns[i].OpCode.IsDWordLoad() {
			raw[i+1]++
		}
		if s := insns[i].Symbol(); s != "" {
			if _, dup := symbols[s]; dup {
				return nil, loadErr(raw[i], fmt.Sprintf("duplicate symbol %s", s), "Two instructions carry the same label.")
			}
			symbols[s] = raw[i]
		}
	}
	n := raw[len(insns)]
	p.code = make([]insn, n)
	p.text = make([]string, n)
	mapIndex := map[uint32]int32{}

	for i, ins := range insns {
		pc := raw[i]
		d, err := decode(pc, ins, typ)
		if err != nil {
			return nil, err
		}
		// Symbolic jump and call targets.
		ref := ins.Reference()
		switch d.op {
		case opJa, opCallLocal, opLdFunc:
			off := int64(d.tgt)
			if ref != "" && (ins.Offset == -1 && d.op == opJa && ins.OpCode.Class() == asm.JumpClass || ins.Constant == -1) {
				t, ok := symbols[ref]
				if !ok {
					return nil, loadErr(pc, fmt.Sprintf("unknown label %s", ref), "The instruction refers to a label that no instruction carries.")
				}
				off = int64(t - pc - 1)
			}
			d.tgt = int32(int64(pc) + 1 + off)
		default:
			if d.op >= opJmpFirst && d.op <= opJmpLast || d.op == opMayGoto {
				off := int64(ins.Offset)
				if ref != "" && ins.Offset == -1 {
					t, ok := symbols[ref]
					if !ok {
						return nil, loadErr(pc, fmt.Sprintf("unknown label %s", ref), "The instruction refers to a label that no instruction carries.")
					}
					off = int64(t - pc - 1)
				}
				d.tgt = int32(int64(pc) + 1 + off)
			}
		}
		// Map references.
		if d.op == opLdMapFD || d.op == opLdMapValue {
			var m *sim.Map
			if ref != "" {
				var ok bool
				if resolve != nil {
					m, ok = resolve(ref)
				}
				if !ok || m == nil {
					return nil, loadErr(pc, fmt.Sprintf("map %s is not defined", ref), fmt.Sprintf("The program refers to a map named %s, but there is none.", ref))
				}
			} else {
				fd := int(int32(ins.Constant))
				var e sim.Errno
				m, e = w.MapByFD(fd)
				if e != sim.OK {
					return nil, loadErr(pc, fmt.Sprintf("fd %d is not pointing to valid bpf_map", fd), "The ld_imm64 instruction names a map by an fd that is not a map.")
				}
			}
			if d.op == opLdMapValue {
				off := uint32(uint64(ins.Constant) >> 32)
				if m.Type != sim.MapArray {
					return nil, loadErr(pc, "no direct value access support for this map type", "Only array maps give a direct pointer to their value at load time.")
				}
				if off >= m.ValueSize {
					return nil, loadErr(pc, fmt.Sprintf("invalid access to map value pointer, value_size=%d off=%d", m.ValueSize, off), "The offset into the map value is past its end.")
				}
				d.imm = int64(off)
			}
			idx, ok := mapIndex[m.ID]
			if !ok {
				idx = int32(len(p.maps))
				mapIndex[m.ID] = idx
				p.maps = append(p.maps, mapRef{id: m.ID, name: m.Name})
			}
			d.aux = idx
		}
		if d.op == opCall && d.aux == helperTailCall {
			p.hasTailCall = true
		}
		if d.op == opCallLocal {
			p.hasCalls = true
		}
		if writesFP(d) {
			d.op = opFPWrite
		}
		p.code[pc] = d
		p.text[pc] = insnText(ins, ref)
		if ins.OpCode.IsDWordLoad() {
			p.code[pc+1] = insn{op: opLdImm64Hi}
		}
	}

	// Jump targets.
	for pc := range p.code {
		d := &p.code[pc]
		isJump := d.op == opJa || d.op == opMayGoto || d.op >= opJmpFirst && d.op <= opJmpLast
		if isJump || d.op == opCallLocal || d.op == opLdFunc {
			if d.tgt < 0 || int(d.tgt) >= n {
				if d.op == opCallLocal || d.op == opLdFunc {
					return nil, loadErr(pc, "call to invalid destination", fmt.Sprintf("The call at instruction %d goes to %d, outside the program.", pc, d.tgt))
				}
				return nil, loadErr(pc, fmt.Sprintf("jump out of range from insn %d to %d", pc, d.tgt), fmt.Sprintf("The jump at instruction %d lands at %d, outside the program's %d instructions.", pc, d.tgt, n))
			}
			if p.code[d.tgt].op == opLdImm64Hi {
				return nil, loadErr(pc, fmt.Sprintf("jump into the middle of ldimm64 insn %d", d.tgt-1), "A jump may not land on the second half of a 16-byte ld_imm64 instruction.")
			}
		}
	}
	last := p.code[n-1]
	if last.op == opLdImm64Hi {
		last = p.code[n-2]
	}
	if last.op != opExit && last.op != opJa {
		return nil, loadErr(n-1, "last insn is not an exit or jmp", "Execution must not be able to run off the end, so the last instruction has to be exit or an unconditional jump.")
	}
	p.insnEv = make([]sim.Event, n)
	for pc := range p.insnEv {
		p.insnEv[pc] = InsnEvent{Prog: p.name, PC: pc, Text: p.text[pc]}
	}
	if p.hasTailCall && p.hasCalls {
		return nil, loadErr(-1, "tail_calls are not allowed in non-JITed programs with bpf-to-bpf calls",
			"The interpreter cannot mix tail calls with BPF-to-BPF calls; only some JITs can.")
	}
	return p, nil
}

// writesFP reports whether an instruction writes R10.
func writesFP(d insn) bool {
	switch {
	case d.op >= opAdd64I && d.op <= opBswap64, d.op >= opLdImm64 && d.op <= opLdxSX:
		return d.dst == 10
	case d.op == opAtomic:
		return d.aux == atLoadAcq && d.dst == 10 || d.fetch && d.aux != atCmpXchg && d.src == 10
	}
	return false
}

func insnText(ins asm.Instruction, ref string) string {
	return strings.TrimSpace(bpfasm.Format(ins))
}

// decode turns one cilium instruction into an insn, checking its fields.
func decode(pc int, ins asm.Instruction, typ sim.ProgType) (insn, error) {
	op := ins.OpCode
	d := insn{dst: uint8(ins.Dst), src: uint8(ins.Src), off: ins.Offset, imm: ins.Constant}
	bad := func(what string) (insn, error) {
		return insn{}, loadErr(pc, what, fmt.Sprintf("Instruction %d (%s) is not a valid BPF instruction.", pc, bpfasm.Format(ins)))
	}
	if op == asm.InvalidOpCode || op > 0x1ffff {
		return bad(fmt.Sprintf("unknown opcode %#x", uint32(op)))
	}
	if ins.Dst > asm.R10 {
		return bad(fmt.Sprintf("R%d is invalid", ins.Dst))
	}
	cls := op.Class()
	if !(cls == asm.LdClass && op.IsDWordLoad()) && ins.Src > asm.R10 {
		return bad(fmt.Sprintf("R%d is invalid", ins.Src))
	}
	switch {
	case cls.IsALU():
		return decodeALU(pc, ins, d)
	case cls.IsJump():
		return decodeJump(pc, ins, d, typ)
	case cls == asm.LdClass:
		switch op.Mode() {
		case asm.ImmMode:
			if op.Size() != asm.DWord {
				return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
			}
			switch ins.Src {
			case 0:
				d.op = opLdImm64
			case asm.PseudoMapFD:
				d.op = opLdMapFD
			case asm.PseudoMapValue:
				d.op = opLdMapValue
			case asm.PseudoFunc:
				d.op = opLdFunc
				d.tgt = int32(ins.Constant)
			default:
				return bad("unrecognized bpf_ld_imm64 insn")
			}
			d.src = 0
			return d, nil
		case asm.AbsMode, asm.IndMode:
			switch typ {
			case sim.ProgSocketFilter, sim.ProgSchedCLS, sim.ProgSchedACT:
			default:
				return insn{}, loadErr(pc, "BPF_LD_[ABS|IND] instructions not allowed for this program type",
					"Legacy packet loads (LD_ABS/LD_IND) exist only for socket filters and tc programs.")
			}
			sz := op.Size().Sizeof()
			if sz == 8 || sz < 0 || ins.Dst != 0 || ins.Offset != 0 || op.Mode() == asm.AbsMode && ins.Src != 0 {
				return bad("BPF_LD_[ABS|IND] uses reserved fields")
			}
			d.size = uint8(sz)
			d.op = opLdAbs
			if op.Mode() == asm.IndMode {
				d.op = opLdInd
			}
			d.imm = int64(int32(ins.Constant))
			return d, nil
		}
		return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
	case cls == asm.LdXClass:
		sz := op.Size().Sizeof()
		if sz < 0 {
			return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
		}
		d.size = uint8(sz)
		switch op.Mode() {
		case asm.MemMode:
			d.op = opLdx
		case asm.MemSXMode:
			if sz == 8 {
				return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
			}
			d.op = opLdxSX
		default:
			return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
		}
		return d, nil
	case cls == asm.StClass:
		sz := op.Size().Sizeof()
		if op.Mode() != asm.MemMode || sz < 0 {
			return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
		}
		d.size = uint8(sz)
		d.op = opSt
		d.imm = int64(int32(ins.Constant))
		return d, nil
	case cls == asm.StXClass:
		sz := op.Size().Sizeof()
		if sz < 0 {
			return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
		}
		d.size = uint8(sz)
		switch op.Mode() {
		case asm.MemMode:
			d.op = opStx
			return d, nil
		case asm.AtomicMode:
			d.op = opAtomic
			at := op.AtomicOp()
			switch at {
			case asm.AddAtomic, asm.FetchAdd:
				d.aux = atAdd
			case asm.AndAtomic, asm.FetchAnd:
				d.aux = atAnd
			case asm.OrAtomic, asm.FetchOr:
				d.aux = atOr
			case asm.XorAtomic, asm.FetchXor:
				d.aux = atXor
			case asm.Xchg:
				d.aux = atXchg
			case asm.CmpXchg:
				d.aux = atCmpXchg
			default:
				switch uint32(at) {
				case 0x10000:
					d.aux = atLoadAcq
				case 0x11000:
					d.aux = atStoreRel
				default:
					return bad(fmt.Sprintf("BPF_ATOMIC uses invalid atomic opcode %02x", uint32(at)>>8))
				}
			}
			d.fetch = uint32(at)&0x100 != 0
			if d.aux <= atCmpXchg && sz != 4 && sz != 8 {
				return bad("invalid atomic operand size")
			}
			return d, nil
		}
		return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
	}
	return bad(fmt.Sprintf("unknown insn class %d", cls))
}

func decodeALU(pc int, ins asm.Instruction, d insn) (insn, error) {
	op := ins.OpCode
	is64 := op.Class() == asm.ALU64Class
	alu := op.ALUOp()
	reg := op.Source() == asm.RegSource
	// A raw Div/Mod with off 1 is the signed form, as the kernel encodes it;
	// a raw Mov with off 8/16/32 is MOVSX.
	switch {
	case alu == asm.Div && ins.Offset == 1:
		alu, d.off = asm.SDiv, 0
	case alu == asm.Mod && ins.Offset == 1:
		alu, d.off = asm.SMod, 0
	case alu == asm.Mov && ins.Offset == 8:
		alu, d.off = asm.MovSX8, 0
	case alu == asm.Mov && ins.Offset == 16:
		alu, d.off = asm.MovSX16, 0
	case alu == asm.Mov && ins.Offset == 32:
		alu, d.off = asm.MovSX32, 0
	}
	bad := func(msg string) (insn, error) {
		return insn{}, loadErr(pc, msg, fmt.Sprintf("Instruction %d (%s) is not a valid ALU instruction.", pc, bpfasm.Format(ins)))
	}
	if alu == asm.Swap {
		switch ins.Constant {
		case 16, 32, 64:
		default:
			return bad(fmt.Sprintf("BPF_END uses reserved fields"))
		}
		w := ins.Constant
		switch {
		case is64:
			d.op = map[int64]uint8{16: opBswap16, 32: opBswap32, 64: opBswap64}[w]
		case op.Endianness() == asm.BE:
			d.op = map[int64]uint8{16: opBe16, 32: opBe32, 64: opBe64}[w]
		default:
			d.op = map[int64]uint8{16: opLe16, 32: opLe32, 64: opLe64}[w]
		}
		return d, nil
	}
	if alu == asm.Neg {
		if reg || ins.Src != 0 || ins.Constant != 0 {
			// The kernel requires src 0 and imm 0 for NEG.
			return bad("BPF_NEG uses reserved fields")
		}
		if is64 {
			d.op = opNeg64
		} else {
			d.op = opNeg32
		}
		return d, nil
	}
	var base uint8
	switch alu {
	case asm.Add:
		base = 0
	case asm.Sub:
		base = 1
	case asm.Mul:
		base = 2
	case asm.Div:
		base = 3
	case asm.SDiv:
		base = 4
	case asm.Or:
		base = 5
	case asm.And:
		base = 6
	case asm.LSh:
		base = 7
	case asm.RSh:
		base = 8
	case asm.Mod:
		base = 9
	case asm.SMod:
		base = 10
	case asm.Xor:
		base = 11
	case asm.Mov:
		base = 12
	case asm.ArSh:
		base = 13
	case asm.MovSX8, asm.MovSX16, asm.MovSX32:
		if !reg {
			return bad("BPF_MOV uses reserved fields")
		}
		switch {
		case is64 && alu == asm.MovSX8:
			d.op = opMovSX8x64
		case is64 && alu == asm.MovSX16:
			d.op = opMovSX16x64
		case is64:
			d.op = opMovSX32x64
		case alu == asm.MovSX8:
			d.op = opMovSX8x32
		case alu == asm.MovSX16:
			d.op = opMovSX16x32
		default:
			return bad("BPF_MOV uses reserved fields")
		}
		return d, nil
	default:
		return bad(fmt.Sprintf("invalid BPF_ALU opcode %x", uint32(alu)>>4))
	}
	if d.off != 0 {
		return bad("BPF_ALU uses reserved fields")
	}
	if reg {
		if ins.Constant != 0 {
			return bad("BPF_ALU uses reserved fields")
		}
	} else if ins.Src != 0 {
		return bad("BPF_ALU uses reserved fields")
	}
	if !reg {
		d.imm = int64(int32(ins.Constant))
		switch base {
		case 3, 4, 9, 10:
			if d.imm == 0 {
				return insn{}, loadErr(pc, "div by zero", "Dividing by the constant 0 is refused at load time; only a register may hold 0 at run time.")
			}
		case 7, 8, 13:
			lim := int64(32)
			if is64 {
				lim = 64
			}
			if d.imm < 0 || d.imm >= lim {
				return insn{}, loadErr(pc, fmt.Sprintf("invalid shift %d", d.imm), fmt.Sprintf("A constant shift must be between 0 and %d.", lim-1))
			}
		}
	}
	first := opAdd64I
	switch {
	case is64 && reg:
		first = opAdd64R
	case !is64 && !reg:
		first = opAdd32I
	case !is64 && reg:
		first = opAdd32R
	}
	d.op = first + base
	return d, nil
}

func decodeJump(pc int, ins asm.Instruction, d insn, typ sim.ProgType) (insn, error) {
	op := ins.OpCode
	is32 := op.Class() == asm.Jump32Class
	bad := func(msg string) (insn, error) {
		return insn{}, loadErr(pc, msg, fmt.Sprintf("Instruction %d (%s) is not a valid jump instruction.", pc, bpfasm.Format(ins)))
	}
	switch jop := asm.JumpOp(op & 0xf0); jop {
	case asm.Ja:
		d.op = opJa
		if is32 {
			d.tgt = int32(ins.Constant) // gotol: the offset is in imm
		} else {
			d.tgt = int32(ins.Offset)
		}
		return d, nil
	case asm.Exit:
		if is32 {
			return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
		}
		d.op = opExit
		return d, nil
	case asm.Call:
		if is32 {
			return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
		}
		switch ins.Src {
		case 0:
			if ins.Dst != 0 || ins.Offset != 0 {
				return bad("BPF_CALL uses reserved fields")
			}
			id := ins.Constant
			if uint64(id)>>28 != 0 {
				return insn{}, loadErr(pc, fmt.Sprintf("invalid func unknown#%d", id), "Helper calls on other platforms than Linux are not simulated.")
			}
			if _, ok := helperName(id); !ok {
				if known := asm.BuiltinFunc(id).String(); !strings.HasPrefix(known, "BuiltinFunc(") && id > 0 {
					return insn{}, loadErr(pc, fmt.Sprintf("helper %s#%d is not simulated", known, id),
						fmt.Sprintf("The kernel has helper %d (%s), but the simulator does not implement it.", id, known))
				}
				return insn{}, loadErr(pc, fmt.Sprintf("invalid func unknown#%d", id), fmt.Sprintf("There is no helper function with id %d.", id))
			}
			d.op = opCall
			d.aux = int32(id)
			return d, nil
		case asm.PseudoCall:
			d.op = opCallLocal
			d.tgt = int32(ins.Constant)
			d.src = 0
			return d, nil
		case asm.PseudoKfuncCall:
			return insn{}, loadErr(pc, "calling kernel functions is not supported by the simulator", "kfunc calls need BTF of a real kernel; the simulator has none.")
		}
		return bad("BPF_CALL uses reserved fields")
	case asm.JCOND:
		if is32 || ins.Src != 0 {
			return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
		}
		d.op = opMayGoto
		return d, nil
	default:
		var c int
		switch jop {
		case asm.JEq:
			c = cJEQ
		case asm.JGT:
			c = cJGT
		case asm.JGE:
			c = cJGE
		case asm.JSet:
			c = cJSET
		case asm.JNE:
			c = cJNE
		case asm.JSGT:
			c = cJSGT
		case asm.JSGE:
			c = cJSGE
		case asm.JLT:
			c = cJLT
		case asm.JLE:
			c = cJLE
		case asm.JSLT:
			c = cJSLT
		case asm.JSLE:
			c = cJSLE
		default:
			return bad(fmt.Sprintf("unknown opcode %02x", uint8(op)))
		}
		reg := op&0x08 != 0
		o := opJmpFirst + uint8(c*4)
		if is32 {
			o += 2
		}
		if reg {
			o++
		} else {
			if ins.Src != 0 {
				return bad("BPF_JMP/JMP32 uses reserved fields")
			}
			d.imm = int64(int32(ins.Constant))
		}
		d.op = o
		return d, nil
	}
}
