package bpfasm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cilium/ebpf/asm"
)

// labelMeta is the metadata key under which Assemble keeps the names of the
// labels written before an instruction, so that Disassemble can print them
// again. The value is the names joined by newlines: cilium's Metadata
// compares values, so it must be comparable.
type labelMeta struct{}

// WithLabel returns ins with the label name added (printed as "name:" before
// it by Disassemble; jumps to it use the name).
func WithLabel(ins asm.Instruction, name string) asm.Instruction {
	old, _ := ins.Metadata.Get(labelMeta{}).(string)
	if old != "" {
		name = old + "\n" + name
	}
	ins.Metadata.Set(labelMeta{}, name)
	return ins
}

// labelsOf returns the symbol and the labels of ins, the symbol first.
func labelsOf(ins asm.Instruction) []string {
	var out []string
	if s := ins.Symbol(); s != "" {
		out = append(out, s)
	}
	ls, _ := ins.Metadata.Get(labelMeta{}).(string)
	if ls == "" {
		return out
	}
	for _, l := range strings.Split(ls, "\n") {
		if l != "" && (len(out) == 0 || out[0] != l) {
			out = append(out, l)
		}
	}
	return out
}

var aluOps = map[asm.ALUOp]string{
	asm.Add: "+=", asm.Sub: "-=", asm.Mul: "*=", asm.Div: "/=", asm.Or: "|=",
	asm.And: "&=", asm.LSh: "<<=", asm.RSh: ">>=", asm.Mod: "%=", asm.Xor: "^=",
	asm.ArSh: "s>>=", asm.SDiv: "s/=", asm.SMod: "s%=",
}

var jumpOps = map[asm.JumpOp]string{
	asm.JEq: "==", asm.JGT: ">", asm.JGE: ">=", asm.JSet: "&", asm.JNE: "!=",
	asm.JSGT: "s>", asm.JSGE: "s>=", asm.JLT: "<", asm.JLE: "<=", asm.JSLT: "s<",
	asm.JSLE: "s<=",
}

var sizeNames = map[asm.Size]string{asm.Byte: "8", asm.Half: "16", asm.Word: "32", asm.DWord: "64"}

func reg(r asm.Register, wide bool) string {
	if wide {
		return "r" + strconv.Itoa(int(r))
	}
	return "w" + strconv.Itoa(int(r))
}

func signed(v int64) string {
	if v < 0 {
		return "- " + strconv.FormatInt(-v, 10)
	}
	return "+ " + strconv.FormatInt(v, 10)
}

func rel(v int64) string {
	if v < 0 {
		return strconv.FormatInt(v, 10)
	}
	return "+" + strconv.FormatInt(v, 10)
}

func mem(r asm.Register, off int16) string {
	return "(" + reg(r, true) + " " + signed(int64(off)) + ")"
}

func ptrType(sz asm.Size, sx bool) string {
	p := "u"
	if sx {
		p = "s"
	}
	return "(" + p + sizeNames[sz] + " *)"
}

// Format returns the llvm-objdump style text of one instruction. Jump and
// call targets are relative ("goto +3", "call pc+5") unless the instruction
// carries a symbolic reference; map loads with a reference print as
// "map[name]". Instructions outside the supported encoding print as a
// ".insn" line that Assemble accepts back.
func Format(ins asm.Instruction) string {
	return format(ins, nil)
}

// format renders ins; target, when not nil, names a jump target by its
// relative offset (it returns "" when the target has no name).
func format(ins asm.Instruction, target func(rel int64) string) string {
	return formatIn(ins, target, nil)
}

// formatIn is format with the set of label names of the program, so that a
// helper call never prints as a name that would assemble to a bpf2bpf call.
func formatIn(ins asm.Instruction, target func(rel int64) string, labels map[string]bool) string {
	if ins.IsBuiltinCall() && labels[HelperName(int32(ins.Constant))] {
		return "call " + strconv.FormatInt(ins.Constant, 10)
	}
	s, ok := formatOK(ins, target)
	if !ok {
		return insnDirective(ins)
	}
	return s
}

// insnDirective prints the raw fields: ".insn OP, DST, SRC, OFF, IMM".
func insnDirective(ins asm.Instruction) string {
	r, hi, err := toRaw(ins)
	if err != nil {
		return fmt.Sprintf("; invalid instruction: %v", err)
	}
	s := fmt.Sprintf(".insn %#02x, %d, %d, %d, %d", r.op, r.dst, r.src, r.off, r.imm)
	if ins.OpCode.IsDWordLoad() {
		s += fmt.Sprintf(", %d", hi)
	}
	return s
}

func formatOK(ins asm.Instruction, target func(rel int64) string) (string, bool) {
	r, hi, err := toRaw(ins)
	if err != nil {
		return "", false
	}
	var second *raw
	if ins.OpCode.IsDWordLoad() {
		second = &raw{imm: hi}
	}
	ref := ins.Reference()
	if err := validate(r, second); err != nil {
		// A cilium bpf2bpf call or map load with a pending reference has
		// placeholder fields; it is still printable by name.
		if ref == "" {
			return "", false
		}
	}
	op := ins.OpCode
	cls := op.Class()
	wide := cls == asm.ALU64Class || cls == asm.JumpClass
	dst, src := ins.Dst, ins.Src
	to := func(v int64) string {
		if ref != "" {
			return ref
		}
		if target != nil {
			if n := target(v); n != "" {
				return n
			}
		}
		return rel(v)
	}
	switch {
	case cls.IsALU():
		d := reg(dst, wide)
		switch aop := op.ALUOp(); aop {
		case asm.Swap:
			name := "bswap"
			if cls == asm.ALUClass {
				name = "le"
				if op.Endianness() == asm.BE {
					name = "be"
				}
			}
			return fmt.Sprintf("%s = %s%d %s", reg(dst, true), name, ins.Constant, reg(dst, true)), true
		case asm.Neg:
			return d + " = -" + d, true
		case asm.Mov:
			if op.Source() == asm.ImmSource {
				return d + " = " + strconv.FormatInt(ins.Constant, 10), true
			}
			return d + " = " + reg(src, wide), true
		case asm.MovSX8, asm.MovSX16, asm.MovSX32:
			n := map[asm.ALUOp]string{asm.MovSX8: "8", asm.MovSX16: "16", asm.MovSX32: "32"}[aop]
			return d + " = (s" + n + ")" + reg(src, wide), true
		default:
			sym, ok := aluOps[aop]
			if !ok {
				return "", false
			}
			if op.Source() == asm.ImmSource {
				return d + " " + sym + " " + strconv.FormatInt(ins.Constant, 10), true
			}
			return d + " " + sym + " " + reg(src, wide), true
		}

	case cls.IsJump():
		switch jop := op.JumpOp(); jop {
		case asm.Exit:
			return "exit", true
		case asm.Call:
			if src == asm.PseudoCall {
				if ref != "" {
					return "call " + ref, true
				}
				if target != nil {
					if n := target(ins.Constant); n != "" {
						return "call " + n, true
					}
				}
				return "call pc" + rel(ins.Constant), true
			}
			if n := HelperName(int32(ins.Constant)); n != "" {
				return "call " + n, true
			}
			return "call " + strconv.FormatInt(ins.Constant, 10), true
		case asm.Ja:
			if cls == asm.Jump32Class {
				return "gotol " + to(ins.Constant), true
			}
			return "goto " + to(int64(ins.Offset)), true
		case asm.JCOND:
			return "may_goto " + to(int64(ins.Offset)), true
		default:
			sym, ok := jumpOps[jop]
			if !ok {
				return "", false
			}
			rhs := strconv.FormatInt(ins.Constant, 10)
			if op.Source() == asm.RegSource {
				rhs = reg(src, wide)
			}
			return fmt.Sprintf("if %s %s %s goto %s", reg(dst, wide), sym, rhs, to(int64(ins.Offset))), true
		}

	case cls == asm.LdClass:
		d := reg(dst, true)
		switch op.Mode() {
		case asm.ImmMode:
			switch src {
			case 0:
				return d + " = " + strconv.FormatInt(ins.Constant, 10) + " ll", true
			case pseudoMapFD, pseudoMapIdx:
				name := ref
				if name == "" {
					kind := "fd:"
					if src == pseudoMapIdx {
						kind = "idx:"
					}
					name = kind + strconv.FormatInt(int64(int32(ins.Constant)), 10)
				}
				return d + " = map[" + name + "]", true
			case pseudoMapValue, pseudoMapIdxValue:
				name := ref
				if name == "" {
					kind := "fd:"
					if src == pseudoMapIdxValue {
						kind = "idx:"
					}
					name = kind + strconv.FormatInt(int64(int32(ins.Constant)), 10)
				}
				s := d + " = map_value[" + name + "]"
				if off := uint32(uint64(ins.Constant) >> 32); off != 0 {
					s += " + " + strconv.FormatUint(uint64(off), 10)
				}
				return s, true
			}
			return "", false
		case asm.AbsMode:
			return "r0 = *" + ptrType(op.Size(), false) + "skb[" + strconv.FormatInt(ins.Constant, 10) + "]", true
		case asm.IndMode:
			s := "r0 = *" + ptrType(op.Size(), false) + "skb[" + reg(src, true)
			if ins.Constant != 0 {
				s += " " + signed(ins.Constant)
			}
			return s + "]", true
		}

	case cls == asm.LdXClass:
		return reg(dst, true) + " = *" + ptrType(op.Size(), op.Mode() == asm.MemSXMode) + mem(src, ins.Offset), true

	case cls == asm.StClass:
		return "*" + ptrType(op.Size(), false) + mem(dst, ins.Offset) + " = " + strconv.FormatInt(ins.Constant, 10), true

	case cls == asm.StXClass:
		sz := op.Size()
		if op.Mode() == asm.MemMode {
			return "*" + ptrType(sz, false) + mem(dst, ins.Offset) + " = " + reg(src, true), true
		}
		w := sz == asm.DWord
		addr := ptrType(sz, false) + mem(dst, ins.Offset)
		bare := reg(dst, true) + " " + signed(int64(ins.Offset))
		switch a := op.AtomicOp(); a {
		case asm.AddAtomic, asm.AndAtomic, asm.OrAtomic, asm.XorAtomic:
			return "lock *" + addr + " " + aluOps[asm.ALUOp(a>>8)] + " " + reg(src, w), true
		case asm.FetchAdd, asm.FetchAnd, asm.FetchOr, asm.FetchXor:
			name := strings.ToLower(asm.ALUOp((a &^ 0x100) >> 8).String())
			return fmt.Sprintf("%s = atomic_fetch_%s(%s, %s)", reg(src, w), name, addr, reg(src, w)), true
		case asm.Xchg:
			if w {
				return fmt.Sprintf("%s = xchg_64(%s, %s)", reg(src, w), bare, reg(src, w)), true
			}
			return fmt.Sprintf("%s = xchg32_32(%s, %s)", reg(src, w), bare, reg(src, w)), true
		case asm.CmpXchg:
			if w {
				return fmt.Sprintf("r0 = cmpxchg_64(%s, r0, %s)", bare, reg(src, w)), true
			}
			return fmt.Sprintf("w0 = cmpxchg32_32(%s, w0, %s)", bare, reg(src, w)), true
		}
		switch uint32(op&atomicMask) >> 8 {
		case atomicLoadAcq:
			return fmt.Sprintf("%s = load_acquire(%s)", reg(dst, w), ptrType(sz, false)+mem(src, ins.Offset)), true
		case atomicStoreRl:
			return fmt.Sprintf("store_release(%s, %s)", addr, reg(src, w)), true
		}
	}
	return "", false
}

// Disassemble returns the canonical text of a program: one instruction a
// line (indented by a tab), labels on their own lines ("name:") for symbols,
// labels kept from Assemble and every jump or call target, which jumps then
// name.
func Disassemble(insns asm.Instructions) string {
	offs, total := rawOffsets(insns)
	at := make(map[int]int, len(insns)) // slot -> index
	for i, o := range offs {
		at[o] = i
	}
	names := make([][]string, len(insns))
	used := map[string]bool{}
	for i, ins := range insns {
		names[i] = labelsOf(ins)
		for _, n := range names[i] {
			used[n] = true
		}
	}
	targetOf := func(i int, ins asm.Instruction) (int64, bool) {
		if ins.Reference() != "" {
			return 0, false
		}
		op := ins.OpCode
		if !op.Class().IsJump() {
			return 0, false
		}
		if _, ok := formatOK(ins, nil); !ok {
			return 0, false
		}
		switch op.JumpOp() {
		case asm.Exit:
			return 0, false
		case asm.Call:
			if ins.Src != asm.PseudoCall {
				return 0, false
			}
			return ins.Constant, true
		case asm.Ja:
			if op.Class() == asm.Jump32Class {
				return ins.Constant, true
			}
		}
		return int64(ins.Offset), true
	}
	for i, ins := range insns {
		if d, ok := targetOf(i, ins); ok {
			t := int64(offs[i]) + 1 + d
			j, ok := at[int(t)]
			if !ok || t < 0 || t >= int64(total) || len(names[j]) > 0 {
				continue
			}
			n := "L" + strconv.FormatInt(t, 10)
			for used[n] {
				n += "_"
			}
			used[n] = true
			names[j] = []string{n}
		}
	}
	var b strings.Builder
	for i, ins := range insns {
		for _, n := range names[i] {
			b.WriteString(n)
			b.WriteString(":\n")
		}
		b.WriteByte('\t')
		i := i
		b.WriteString(formatIn(ins, func(d int64) string {
			j, ok := at[int(int64(offs[i])+1+d)]
			if !ok || len(names[j]) == 0 {
				return ""
			}
			return names[j][0]
		}, used))
		b.WriteByte('\n')
	}
	return b.String()
}
