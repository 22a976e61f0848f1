package bpfasm

import (
	"encoding/binary"
	"fmt"

	"github.com/cilium/ebpf/asm"
)

// raw is one 8-byte BPF instruction slot, as the kernel sees it.
type raw struct {
	op       uint8
	dst, src uint8
	off      int16
	imm      int32
}

func (r raw) put(b []byte) {
	b[0] = r.op
	b[1] = r.dst&0xf | r.src<<4
	binary.LittleEndian.PutUint16(b[2:4], uint16(r.off))
	binary.LittleEndian.PutUint32(b[4:8], uint32(r.imm))
}

func getRaw(b []byte) raw {
	return raw{
		op:  b[0],
		dst: b[1] & 0xf,
		src: b[1] >> 4,
		off: int16(binary.LittleEndian.Uint16(b[2:4])),
		imm: int32(binary.LittleEndian.Uint32(b[4:8])),
	}
}

// Kernel constants (include/uapi/linux/bpf.h, bpf_common.h).
const (
	clsLD    = 0x00
	clsLDX   = 0x01
	clsST    = 0x02
	clsSTX   = 0x03
	clsALU   = 0x04
	clsJMP   = 0x05
	clsJMP32 = 0x06
	clsALU64 = 0x07

	modeIMM    = 0x00
	modeABS    = 0x20
	modeIND    = 0x40
	modeMEM    = 0x60
	modeMEMSX  = 0x80
	modeATOMIC = 0xc0

	sizeW  = 0x00
	sizeH  = 0x08
	sizeB  = 0x10
	sizeDW = 0x18

	srcX = 0x08

	opADD  = 0x00
	opSUB  = 0x10
	opMUL  = 0x20
	opDIV  = 0x30
	opOR   = 0x40
	opAND  = 0x50
	opLSH  = 0x60
	opRSH  = 0x70
	opNEG  = 0x80
	opMOD  = 0x90
	opXOR  = 0xa0
	opMOV  = 0xb0
	opARSH = 0xc0
	opEND  = 0xd0

	jmpJA    = 0x00
	jmpJSET  = 0x40
	jmpCALL  = 0x80
	jmpEXIT  = 0x90
	jmpJCOND = 0xe0

	atomicFetch   = 0x01
	atomicXchg    = 0xe0 | atomicFetch
	atomicCmpXchg = 0xf0 | atomicFetch
	atomicLoadAcq = 0x100
	atomicStoreRl = 0x110

	pseudoMapFD       = 1
	pseudoMapValue    = 2
	pseudoMapIdx      = 5
	pseudoMapIdxValue = 6
	pseudoCall        = 1

	// helper ids above this carry a platform tag in cilium/ebpf's BuiltinFunc.
	maxHelperID = 1<<28 - 1
)

const atomicMask = asm.OpCode(0x0001_ff00)

// Encode turns instructions into little-endian kernel bytes (8 bytes a slot,
// 16 for LD_IMM64) without cilium's Marshal, so it also works under js/wasm.
// Jumps and bpf2bpf calls that still carry a symbolic reference (cilium's
// Offset/Constant -1 convention) are resolved against the symbols and labels
// of insns. Map references are encoded with the fd in the instruction (0 when
// unresolved).
func Encode(insns asm.Instructions) ([]byte, error) {
	offsets, total := rawOffsets(insns)
	names := targetNames(insns, offsets)
	out := make([]byte, 0, total*8)
	var slot [8]byte
	for i, ins := range insns {
		r, hi, err := toRaw(ins)
		if err != nil {
			return nil, fmt.Errorf("instruction %d: %v", i, err)
		}
		if ref := ins.Reference(); ref != "" && isRelative(ins) {
			if tgt, ok := names[ref]; ok {
				rel := int64(tgt) - int64(offsets[i]) - 1
				switch {
				case inImm(ins):
					r.imm = int32(rel)
				default:
					if rel < -32768 || rel > 32767 {
						return nil, fmt.Errorf("instruction %d: jump to %s out of range (%d)", i, ref, rel)
					}
					r.off = int16(rel)
				}
			} else if inImm(ins) && ins.Constant == -1 || !inImm(ins) && ins.Offset == -1 {
				// cilium's placeholder for a target still to be linked.
				return nil, fmt.Errorf("instruction %d: unresolved reference %q", i, ref)
			}
		}
		r.put(slot[:])
		out = append(out, slot[:]...)
		if ins.OpCode.IsDWordLoad() {
			raw{imm: hi}.put(slot[:])
			out = append(out, slot[:]...)
		}
	}
	return out, nil
}

// inImm reports whether a relative target lives in imm (calls, function
// pointer loads, gotol) rather than in off.
func inImm(ins asm.Instruction) bool {
	op := ins.OpCode
	return op.IsDWordLoad() || op.JumpOp() == asm.Call || op.Class() == asm.Jump32Class && op.JumpOp() == asm.Ja
}

// isRelative reports whether ins encodes a position-relative target that a
// reference may name (jumps, bpf2bpf calls, function pointer loads).
func isRelative(ins asm.Instruction) bool {
	op := ins.OpCode
	if op.IsDWordLoad() {
		return ins.Src == asm.PseudoFunc
	}
	if !op.Class().IsJump() {
		return false
	}
	switch op.JumpOp() {
	case asm.Exit, asm.InvalidJumpOp:
		return false
	case asm.Call:
		return ins.Src == asm.PseudoCall
	}
	return true
}

// toRaw converts a cilium instruction to its first slot (and the upper 32 bits
// of a LD_IMM64 constant).
func toRaw(ins asm.Instruction) (raw, int32, error) {
	op := ins.OpCode
	if op == asm.InvalidOpCode {
		return raw{}, 0, fmt.Errorf("invalid opcode")
	}
	if ins.Dst > 15 || ins.Src > 15 {
		return raw{}, 0, fmt.Errorf("register out of range")
	}
	r := raw{dst: uint8(ins.Dst), src: uint8(ins.Src), off: ins.Offset, imm: int32(ins.Constant)}
	var hi int32
	switch {
	case op.IsDWordLoad():
		r.imm = int32(uint32(ins.Constant))
		hi = int32(uint64(ins.Constant) >> 32)
	case op.Class().IsJump() && op.JumpOp() == asm.Call && ins.Src == 0 && ins.Dst == 0:
		// Helper calls carry cilium's platform tag in the upper bits.
		c := uint64(ins.Constant)
		if ins.Constant >= 0 {
			if c>>28 != 0 {
				return raw{}, 0, fmt.Errorf("helper %#x is not a linux helper", c)
			}
		}
	case op.Class().IsALU():
		newOff := int16(0)
		switch op.ALUOp() {
		case asm.SDiv:
			op, newOff = op.SetALUOp(asm.Div), 1
		case asm.SMod:
			op, newOff = op.SetALUOp(asm.Mod), 1
		case asm.MovSX8:
			op, newOff = op.SetALUOp(asm.Mov), 8
		case asm.MovSX16:
			op, newOff = op.SetALUOp(asm.Mov), 16
		case asm.MovSX32:
			op, newOff = op.SetALUOp(asm.Mov), 32
		}
		if newOff != 0 {
			if ins.Offset != 0 {
				return raw{}, 0, fmt.Errorf("extended ALU opcode with non-zero offset")
			}
			r.off = newOff
		}
	case op.Class() == asm.StXClass && op.Mode() == asm.AtomicMode:
		r.imm = int32(uint32(op&atomicMask) >> 8)
		op &^= atomicMask
	}
	if op > 0xff {
		return raw{}, 0, fmt.Errorf("opcode %#x does not fit in 8 bits", uint32(op))
	}
	r.op = uint8(op)
	return r, hi, nil
}

// rawOffsets returns each instruction's slot index and the total slot count.
func rawOffsets(insns asm.Instructions) ([]int, int) {
	offs := make([]int, len(insns))
	n := 0
	for i, ins := range insns {
		offs[i] = n
		if ins.OpCode.IsDWordLoad() {
			n += 2
		} else {
			n++
		}
	}
	return offs, n
}

// targetNames maps symbol and label names to slot offsets.
func targetNames(insns asm.Instructions, offs []int) map[string]int {
	m := make(map[string]int)
	for i, ins := range insns {
		for _, l := range labelsOf(ins) {
			if _, ok := m[l]; !ok {
				m[l] = offs[i]
			}
		}
	}
	return m
}

// Decode parses little-endian kernel bytes into instructions, in the form
// cilium/ebpf's Unmarshal (platform linux) gives: SDiv/SMod/MovSX pseudo
// ops, atomic opcodes with their operation bits and Constant = imm, helper
// calls as linux BuiltinFuncs, LD_IMM64 as one instruction. Instructions the
// kernel would reject for their encoding alone (unknown opcodes, reserved
// fields set) are errors, so that Encode(Decode(b)) == b and the text form
// round-trips.
func Decode(b []byte) (asm.Instructions, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("length %d is not a multiple of 8", len(b))
	}
	var insns asm.Instructions
	for i := 0; i < len(b); i += 8 {
		r := getRaw(b[i:])
		var second *raw
		if r.op == clsLD|modeIMM|sizeDW {
			if i+16 > len(b) {
				return nil, fmt.Errorf("insn %d: LD_IMM64 is missing its second half", i/8)
			}
			s := getRaw(b[i+8:])
			second = &s
		}
		if err := validate(r, second); err != nil {
			return nil, fmt.Errorf("insn %d: %v", i/8, err)
		}
		insns = append(insns, fromRaw(r, second))
		if second != nil {
			i += 8
		}
	}
	return insns, nil
}

// fromRaw builds the cilium form of a validated raw instruction.
func fromRaw(r raw, second *raw) asm.Instruction {
	ins := asm.Instruction{
		OpCode:   asm.OpCode(r.op),
		Dst:      asm.Register(r.dst),
		Src:      asm.Register(r.src),
		Offset:   r.off,
		Constant: int64(r.imm),
	}
	cls := r.op & 7
	switch {
	case second != nil:
		ins.Constant = int64(second.imm)<<32 | int64(uint32(r.imm))
	case cls == clsALU || cls == clsALU64:
		switch r.op & 0xf0 {
		case opDIV, opMOD:
			if r.off == 1 {
				if r.op&0xf0 == opDIV {
					ins.OpCode = ins.OpCode.SetALUOp(asm.SDiv)
				} else {
					ins.OpCode = ins.OpCode.SetALUOp(asm.SMod)
				}
				ins.Offset = 0
			}
		case opMOV:
			switch r.off {
			case 8:
				ins.OpCode = ins.OpCode.SetALUOp(asm.MovSX8)
			case 16:
				ins.OpCode = ins.OpCode.SetALUOp(asm.MovSX16)
			case 32:
				ins.OpCode = ins.OpCode.SetALUOp(asm.MovSX32)
			}
			if ins.OpCode.ALUOp() != asm.Mov {
				ins.Offset = 0
			}
		}
	case cls == clsSTX && r.op&0xe0 == modeATOMIC:
		ins.OpCode |= asm.OpCode(uint32(r.imm)<<8) & atomicMask
	}
	return ins
}

func isReg(r uint8) bool { return r <= 10 }

// validate applies the verifier's encoding checks (reserved fields, known
// opcodes) to one instruction.
func validate(r raw, second *raw) error {
	reserved := func(what string) error { return fmt.Errorf("%s uses reserved fields", what) }
	cls := r.op & 7
	switch cls {
	case clsALU, clsALU64:
		name := "BPF_ALU"
		if cls == clsALU64 {
			name = "BPF_ALU64"
		}
		if !isReg(r.dst) {
			return fmt.Errorf("invalid register r%d", r.dst)
		}
		op := r.op & 0xf0
		x := r.op&srcX != 0
		switch op {
		case opEND:
			if r.src != 0 || r.off != 0 || (r.imm != 16 && r.imm != 32 && r.imm != 64) {
				return reserved(name + " END")
			}
			if cls == clsALU64 && x {
				return reserved(name + " BSWAP")
			}
			return nil
		case opNEG:
			if x || r.src != 0 || r.off != 0 || r.imm != 0 {
				return reserved(name + " NEG")
			}
			return nil
		case 0xe0, 0xf0:
			return fmt.Errorf("unknown opcode %#02x", r.op)
		}
		okOff := r.off == 0
		switch op {
		case opDIV, opMOD:
			okOff = r.off == 0 || r.off == 1
		case opMOV:
			if x {
				okOff = r.off == 0 || r.off == 8 || r.off == 16 || (r.off == 32 && cls == clsALU64)
			}
		}
		if !okOff {
			return reserved(name)
		}
		if x {
			if r.imm != 0 || !isReg(r.src) {
				return reserved(name)
			}
		} else if r.src != 0 {
			return reserved(name)
		}
		return nil

	case clsJMP, clsJMP32:
		op := r.op & 0xf0
		x := r.op&srcX != 0
		switch op {
		case jmpJA:
			if x || r.dst != 0 || r.src != 0 {
				return reserved("BPF_JA")
			}
			if cls == clsJMP && r.imm != 0 || cls == clsJMP32 && r.off != 0 {
				return reserved("BPF_JA")
			}
			return nil
		case jmpCALL, jmpEXIT, jmpJCOND:
			if cls == clsJMP32 || x {
				return fmt.Errorf("unknown opcode %#02x", r.op)
			}
			switch op {
			case jmpEXIT:
				if r.dst != 0 || r.src != 0 || r.off != 0 || r.imm != 0 {
					return reserved("BPF_EXIT")
				}
			case jmpJCOND:
				if r.dst != 0 || r.src != 0 || r.imm != 0 {
					return reserved("BPF_JCOND")
				}
			case jmpCALL:
				if r.dst != 0 || r.off != 0 {
					return reserved("BPF_CALL")
				}
				switch r.src {
				case 0:
					if r.imm < 0 || r.imm > maxHelperID {
						return fmt.Errorf("invalid helper id %d", r.imm)
					}
				case pseudoCall:
				default:
					return fmt.Errorf("unsupported call kind (src %d)", r.src)
				}
			}
			return nil
		case 0xf0:
			return fmt.Errorf("unknown opcode %#02x", r.op)
		}
		if !isReg(r.dst) {
			return fmt.Errorf("invalid register r%d", r.dst)
		}
		if x {
			if r.imm != 0 || !isReg(r.src) {
				return reserved("BPF_JMP")
			}
		} else if r.src != 0 {
			return reserved("BPF_JMP")
		}
		return nil

	case clsLD:
		mode := r.op & 0xe0
		size := r.op & 0x18
		switch mode {
		case modeIMM:
			if size != sizeDW {
				return fmt.Errorf("unknown opcode %#02x", r.op)
			}
			if second == nil || second.op != 0 || second.dst != 0 || second.src != 0 || second.off != 0 {
				return fmt.Errorf("invalid bpf_ld_imm64 insn")
			}
			if !isReg(r.dst) || r.off != 0 {
				return reserved("BPF_LD_IMM64")
			}
			switch r.src {
			case 0, pseudoMapValue, pseudoMapIdxValue:
			case pseudoMapFD, pseudoMapIdx:
				if second.imm != 0 {
					return fmt.Errorf("invalid bpf_ld_imm64 insn")
				}
			default:
				return fmt.Errorf("unsupported ld_imm64 pseudo source %d", r.src)
			}
			return nil
		case modeABS, modeIND:
			if size == sizeDW || r.dst != 0 || r.off != 0 || (mode == modeABS && r.src != 0) || !isReg(r.src) {
				return reserved("BPF_LD_[ABS|IND]")
			}
			return nil
		}
		return fmt.Errorf("unknown opcode %#02x", r.op)

	case clsLDX:
		mode := r.op & 0xe0
		if mode != modeMEM && !(mode == modeMEMSX && r.op&0x18 != sizeDW) {
			return fmt.Errorf("unknown opcode %#02x", r.op)
		}
		if r.imm != 0 || !isReg(r.dst) || !isReg(r.src) {
			return reserved("BPF_LDX")
		}
		return nil

	case clsST:
		if r.op&0xe0 != modeMEM {
			return fmt.Errorf("unknown opcode %#02x", r.op)
		}
		if r.src != 0 || !isReg(r.dst) {
			return reserved("BPF_ST")
		}
		return nil

	case clsSTX:
		mode := r.op & 0xe0
		if !isReg(r.dst) || !isReg(r.src) {
			return reserved("BPF_STX")
		}
		switch mode {
		case modeMEM:
			if r.imm != 0 {
				return reserved("BPF_STX")
			}
			return nil
		case modeATOMIC:
			size := r.op & 0x18
			switch r.imm {
			case opADD, opAND, opOR, opXOR,
				opADD | atomicFetch, opAND | atomicFetch, opOR | atomicFetch, opXOR | atomicFetch,
				atomicXchg, atomicCmpXchg:
				if size != sizeW && size != sizeDW {
					return fmt.Errorf("invalid atomic operand size")
				}
				return nil
			case atomicLoadAcq, atomicStoreRl:
				return nil
			}
			return fmt.Errorf("invalid atomic operation %#x", r.imm)
		}
		return fmt.Errorf("unknown opcode %#02x", r.op)
	}
	return fmt.Errorf("unknown opcode %#02x", r.op)
}
