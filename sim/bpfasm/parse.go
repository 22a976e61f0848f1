package bpfasm

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cilium/ebpf/asm"
)

// Error is one assembly error at a 1-based line and column (in bytes).
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// ErrorList is every error of one Assemble call, in line order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

const maxErrors = 100

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNum
	tPunct
)

type token struct {
	kind tokKind
	text string
	col  int // 1-based
}

// lex splits one line (comments already removed) into tokens.
func lex(line string) ([]token, *Error) {
	var toks []token
	ops := []string{"<<=", ">>=", "==", "!=", ">=", "<=", "+=", "-=", "*=", "/=", "%=", "|=", "&=", "^=", "<<", ">>"}
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(line) && (isIdentStart(line[j]) || isDigit(line[j]) || line[j] == '#') {
				j++
			}
			toks = append(toks, token{tIdent, line[i:j], i + 1})
			i = j
		case isDigit(c):
			j := i + 1
			for j < len(line) && (isIdentStart(line[j]) || isDigit(line[j])) && line[j] != '.' && line[j] != '$' {
				j++
			}
			toks = append(toks, token{tNum, line[i:j], i + 1})
			i = j
		default:
			matched := false
			for _, op := range ops {
				if strings.HasPrefix(line[i:], op) {
					toks = append(toks, token{tPunct, op, i + 1})
					i += len(op)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
			if strings.IndexByte("=+-*/%|&^<>()[],:!", c) >= 0 {
				toks = append(toks, token{tPunct, string(c), i + 1})
				i++
				continue
			}
			r, _ := utf8.DecodeRuneInString(line[i:])
			return nil, &Error{Col: i + 1, Msg: fmt.Sprintf("expected an instruction, found character %q", r)}
		}
	}
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '.' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// stripComment cuts a line at ";", "//" or a "#" that starts a word.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ';':
			return line[:i]
		case '/':
			if i+1 < len(line) && line[i+1] == '/' {
				return line[:i]
			}
		case '#':
			if i == 0 || line[i-1] == ' ' || line[i-1] == '\t' {
				return line[:i]
			}
		}
	}
	return line
}

// item is one assembled instruction with what is needed to finish it.
type item struct {
	ins    asm.Instruction
	line   int
	col    int
	target string // label to resolve ("" = none)
	tcol   int
	labels []string
	// unchecked marks ".insn" lines, which may encode anything.
	unchecked bool
}

type labelDef struct {
	line, col int
	idx       int
}

type assembler struct {
	errs    ErrorList
	items   []*item
	pending []string // labels waiting for the next instruction
	pendPos []labelDef
	labels  map[string]labelDef
}

func (a *assembler) errorf(line, col int, format string, args ...any) {
	if len(a.errs) < maxErrors {
		a.errs = append(a.errs, &Error{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
	}
}

// Assemble parses the llvm-objdump / bpftool pseudo-C syntax into
// instructions. It accepts labels ("name:"), jumps and bpf2bpf calls to
// labels, "map[name]" and "map_value[name] + off" map references, comments
// (";", "//", "#"), and pasted llvm-objdump output (instruction indexes, raw
// bytes, symbol headers and relocation lines). Errors are an ErrorList.
func Assemble(src string) (asm.Instructions, error) {
	a := &assembler{labels: map[string]labelDef{}}
	for n, line := range strings.Split(src, "\n") {
		a.line(n+1, line)
	}
	for _, p := range a.pendPos {
		a.errorf(p.line, p.col, "expected an instruction after label %q", a.pending[0])
		break
	}
	a.resolve()
	if len(a.errs) > 0 {
		sort.SliceStable(a.errs, func(i, j int) bool {
			if a.errs[i].Line != a.errs[j].Line {
				return a.errs[i].Line < a.errs[j].Line
			}
			return a.errs[i].Col < a.errs[j].Col
		})
		return nil, a.errs
	}
	insns := make(asm.Instructions, len(a.items))
	for i, it := range a.items {
		insns[i] = it.ins
	}
	return insns, nil
}

func (a *assembler) line(n int, line string) {
	text := stripComment(line)
	toks, lerr := lex(text)
	if lerr != nil {
		a.errorf(n, lerr.Col, "%s", lerr.Msg)
		return
	}
	if len(toks) == 0 {
		return
	}
	// llvm-objdump headers.
	if strings.Contains(text, "file format ") ||
		(len(toks) >= 3 && toks[0].text == "Disassembly" && toks[1].text == "of" && toks[2].text == "section") {
		return
	}
	// "0000000000000000 <name>:" symbol headers.
	if len(toks) == 5 && toks[0].kind == tNum && isHex(toks[0].text) && toks[1].text == "<" &&
		toks[2].kind == tIdent && toks[3].text == ">" && toks[4].text == ":" {
		a.label(n, toks[2].col, toks[2].text)
		return
	}
	// "0000000000000028:  R_BPF_64_64  name" relocation lines.
	if len(toks) >= 3 && toks[0].kind == tNum && toks[1].text == ":" && toks[2].kind == tIdent &&
		strings.HasPrefix(toks[2].text, "R_BPF_") {
		a.reloc(n, toks[2:])
		return
	}
	// "N:" instruction index, raw bytes, bpftool's "(b7)".
	var bytes []byte
	if len(toks) >= 2 && toks[0].kind == tNum && toks[1].text == ":" {
		toks = toks[2:]
		k := 0
		for k < len(toks) && k < 16 && len(toks[k].text) == 2 && isHex(toks[k].text) && toks[k].kind != tPunct {
			k++
		}
		if k == 8 || k == 16 {
			for _, t := range toks[:k] {
				v, _ := strconv.ParseUint(t.text, 16, 8)
				bytes = append(bytes, byte(v))
			}
			toks = toks[k:]
		}
		if len(toks) >= 3 && toks[0].text == "(" && isHex(toks[1].text) && len(toks[1].text) == 2 && toks[2].text == ")" {
			// bpftool prints 64-bit immediate loads without "ll"; its
			// opcode column tells them apart.
			ld64 := strings.EqualFold(toks[1].text, "18")
			toks = toks[3:]
			if ld64 && len(toks) >= 3 && toks[1].text == "=" && toks[len(toks)-1].kind == tNum {
				toks = append(toks[:len(toks):len(toks)], token{tIdent, "ll", len(text) + 1})
			}
		}
	}
	// Labels.
	for len(toks) >= 2 && toks[0].kind == tIdent && toks[1].text == ":" {
		a.label(n, toks[0].col, toks[0].text)
		toks = toks[2:]
	}
	if len(toks) == 0 {
		return
	}
	// "<unknown>" from llvm-objdump: use the raw bytes.
	if len(toks) == 3 && toks[0].text == "<" && toks[1].text == "unknown" && toks[2].text == ">" {
		if bytes == nil {
			a.errorf(n, toks[0].col, "expected an instruction (an <unknown> line needs its raw bytes)")
			return
		}
		insns, err := Decode(bytes)
		if err != nil || len(insns) != 1 {
			a.errorf(n, toks[0].col, "expected a valid instruction in the raw bytes: %v", err)
			return
		}
		a.add(&item{ins: insns[0], line: n, col: toks[0].col})
		return
	}
	p := &parser{toks: toks, line: n, end: len(text) + 1}
	it := p.instruction()
	if p.err != nil {
		a.errorf(n, p.err.Col, "%s", p.err.Msg)
		return
	}
	it.line = n
	it.col = toks[0].col
	// llvm prints bpf2bpf calls ("call -1" before relocation) like helper
	// calls; raw bytes tell them apart.
	if len(bytes) >= 8 && it.target == "" && it.ins.OpCode.JumpOp() == asm.Call && it.ins.Src == 0 && bytes[1]>>4 == pseudoCall {
		it.ins.Src = asm.PseudoCall
	}
	a.add(it)
}

func (a *assembler) label(line, col int, name string) {
	if strings.IndexByte(name, '#') >= 0 {
		a.errorf(line, col, "expected a label name without '#'")
		return
	}
	if _, dup := a.labels[name]; dup {
		a.errorf(line, col, "expected a new label, %q is already defined", name)
		return
	}
	for _, p := range a.pending {
		if p == name {
			a.errorf(line, col, "expected a new label, %q is already defined", name)
			return
		}
	}
	a.pending = append(a.pending, name)
	a.pendPos = append(a.pendPos, labelDef{line: line, col: col})
}

func (a *assembler) add(it *item) {
	for i, name := range a.pending {
		a.labels[name] = labelDef{line: a.pendPos[i].line, col: a.pendPos[i].col, idx: len(a.items)}
		it.labels = append(it.labels, name)
	}
	a.pending, a.pendPos = nil, nil
	a.items = append(a.items, it)
}

// reloc applies an llvm-objdump relocation line to the previous instruction.
func (a *assembler) reloc(line int, toks []token) {
	if len(toks) < 2 || toks[1].kind != tIdent {
		a.errorf(line, toks[0].col, "expected a relocation symbol")
		return
	}
	if len(a.items) == 0 {
		a.errorf(line, toks[0].col, "expected an instruction before the relocation")
		return
	}
	it := a.items[len(a.items)-1]
	sym := toks[1].text
	ins := &it.ins
	switch toks[0].text {
	case "R_BPF_64_64":
		if !ins.OpCode.IsDWordLoad() || ins.Src != 0 {
			a.errorf(line, toks[0].col, "expected a 64-bit immediate load before an R_BPF_64_64 relocation")
			return
		}
		if strings.HasPrefix(sym, ".") {
			ins.Src = asm.PseudoMapValue
			ins.Constant = int64(uint64(uint32(ins.Constant)) << 32)
		} else {
			ins.Src = asm.PseudoMapFD
		}
		*ins = ins.WithReference(sym)
	case "R_BPF_64_32":
		if ins.OpCode.JumpOp() != asm.Call {
			a.errorf(line, toks[0].col, "expected a call before an R_BPF_64_32 relocation")
			return
		}
		ins.Src = asm.PseudoCall
		*ins = ins.WithReference(sym)
	default:
		a.errorf(line, toks[0].col, "expected R_BPF_64_64 or R_BPF_64_32, found %s", toks[0].text)
	}
}

// resolve turns label targets into offsets and checks every instruction.
func (a *assembler) resolve() {
	offs := make([]int, len(a.items))
	n := 0
	for i, it := range a.items {
		offs[i] = n
		n++
		if it.ins.OpCode.IsDWordLoad() {
			n++
		}
	}
	symbols := map[int]string{}
	for i, it := range a.items {
		if it.target != "" {
			def, ok := a.labels[it.target]
			op := it.ins.OpCode
			isCall := op.JumpOp() == asm.Call
			if !ok {
				if isCall {
					if id, ok := HelperID(it.target); ok {
						it.ins.Constant = int64(id)
						it.ins.Src = 0
						goto check
					}
					a.errorf(it.line, it.tcol, "expected a label or a helper name, found %q", it.target)
					continue
				}
				a.errorf(it.line, it.tcol, "expected a defined label, found %q", it.target)
				continue
			}
			d := int64(offs[def.idx]) - int64(offs[i]) - 1
			switch {
			case isCall:
				it.ins.Src = asm.PseudoCall
				it.ins.Constant = d
				symbols[def.idx] = it.target
				it.ins = it.ins.WithReference(it.target)
			case op.Class() == asm.Jump32Class && op.JumpOp() == asm.Ja:
				it.ins.Constant = d
			default:
				if d < math.MinInt16 || d > math.MaxInt16 {
					a.errorf(it.line, it.tcol, "expected a jump within 32767 instructions, %q is %d away (use gotol)", it.target, d)
					continue
				}
				it.ins.Offset = int16(d)
			}
		}
	check:
		if it.unchecked {
			continue
		}
		r, hi, err := toRaw(it.ins)
		if err == nil {
			var second *raw
			if it.ins.OpCode.IsDWordLoad() {
				second = &raw{imm: hi}
			}
			err = validate(r, second)
		}
		if err != nil && it.ins.Reference() == "" {
			a.errorf(it.line, it.col, "expected a valid instruction: %v", err)
		}
	}
	for i, it := range a.items {
		if s, ok := symbols[i]; ok {
			it.ins = it.ins.WithSymbol(s)
		}
		for _, l := range it.labels {
			if l != symbols[i] {
				it.ins = WithLabel(it.ins, l)
			}
		}
	}
}

type parser struct {
	toks []token
	pos  int
	line int
	end  int
	err  *Error
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tEOF, col: p.end}
}

func (p *parser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *parser) fail(t token, format string, args ...any) {
	if p.err == nil {
		msg := fmt.Sprintf(format, args...)
		if t.kind == tEOF {
			msg += ", found end of line"
		} else {
			found := t.text
			if len(found) > 32 {
				found = found[:32] + "..."
			}
			msg += fmt.Sprintf(", found %q", found)
		}
		p.err = &Error{Line: p.line, Col: t.col, Msg: msg}
	}
}

func (p *parser) accept(s string) bool {
	if t := p.peek(); t.kind != tEOF && t.text == s {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expect(s string) bool {
	if p.accept(s) {
		return true
	}
	p.fail(p.peek(), "expected %q", s)
	return false
}

// register parses r0..r10 / w0..w10.
func (p *parser) isReg(t token) (asm.Register, bool, bool) {
	if t.kind != tIdent || len(t.text) < 2 || (t.text[0] != 'r' && t.text[0] != 'w') {
		return 0, false, false
	}
	n, err := strconv.Atoi(t.text[1:])
	if err != nil || n < 0 || n > 10 || strconv.Itoa(n) != t.text[1:] {
		return 0, false, false
	}
	return asm.Register(n), t.text[0] == 'r', true
}

func (p *parser) reg() (asm.Register, bool) {
	t := p.next()
	r, wide, ok := p.isReg(t)
	if !ok {
		p.fail(t, "expected a register")
		return 0, false
	}
	return r, wide
}

// number parses an optionally signed integer (decimal or 0x hex) as int64,
// accepting unsigned 64-bit values too (wrapped).
func (p *parser) number() (int64, token) {
	neg := false
	first := p.peek()
	if p.accept("-") {
		neg = true
	} else {
		p.accept("+")
	}
	t := p.next()
	if t.kind != tNum {
		p.fail(t, "expected a number")
		return 0, first
	}
	u, err := strconv.ParseUint(t.text, 0, 64)
	if err != nil {
		p.fail(t, "expected a number")
		return 0, t
	}
	if neg {
		if u > 1<<63 {
			p.fail(t, "expected a number in 64 bits")
			return 0, t
		}
		return -int64(u), t
	}
	return int64(u), t
}

// operand: a register was not found, so a number must follow.
func (p *parser) operand(wide bool) int64 {
	if t := p.peek(); t.kind != tNum && t.text != "-" && t.text != "+" {
		p.fail(t, "expected a register or a number")
		return 0
	}
	return p.imm32(wide)
}

func (p *parser) imm32(wide bool) int64 {
	v, t := p.number()
	if p.err != nil {
		return 0
	}
	if v >= math.MinInt32 && v <= math.MaxInt32 {
		return v
	}
	if !wide && v > 0 && v <= math.MaxUint32 {
		return int64(int32(uint32(v)))
	}
	p.fail(t, "expected a 32-bit immediate")
	return 0
}

func (p *parser) done() {
	if t := p.peek(); t.kind != tEOF && p.err == nil {
		p.fail(t, "expected end of line")
	}
}

var sizeByType = map[string]asm.Size{"8": asm.Byte, "16": asm.Half, "32": asm.Word, "64": asm.DWord}

// ptr parses "(u32 *)" and returns the size and whether it is signed.
func (p *parser) ptr() (asm.Size, bool) {
	if !p.expect("(") {
		return 0, false
	}
	t := p.next()
	sz, ok := asm.Size(0), false
	sx := false
	if t.kind == tIdent && len(t.text) >= 2 && (t.text[0] == 'u' || t.text[0] == 's') {
		sz, ok = sizeByType[t.text[1:]]
		sx = t.text[0] == 's'
	}
	if !ok {
		p.fail(t, "expected a type (u8, u16, u32, u64, s8, s16, s32)")
		return 0, false
	}
	if !p.expect("*") || !p.expect(")") {
		return 0, false
	}
	return sz, sx
}

// addr parses "reg + off" / "reg - off" / "reg" (no parentheses).
func (p *parser) addr() (asm.Register, int16) {
	r, _ := p.reg()
	if p.err != nil {
		return 0, 0
	}
	t := p.peek()
	if t.text != "+" && t.text != "-" {
		return r, 0
	}
	v, nt := p.number()
	if p.err != nil {
		return 0, 0
	}
	if v < math.MinInt16 || v > math.MaxInt16 {
		p.fail(nt, "expected an offset in [-32768, 32767]")
		return 0, 0
	}
	return r, int16(v)
}

// memOp parses "(reg + off)".
func (p *parser) memOp() (asm.Register, int16) {
	if !p.expect("(") {
		return 0, 0
	}
	r, off := p.addr()
	if p.err != nil || !p.expect(")") {
		return 0, 0
	}
	return r, off
}

// target parses a jump target: "+3", "-2", "3" or a label; objdump's
// trailing "<LBB0_3>" is ignored.
func (p *parser) target(it *item) (int64, bool) {
	t := p.peek()
	var v int64
	if t.kind == tIdent && t.text == "pc" && p.pos+1 < len(p.toks) &&
		(p.toks[p.pos+1].text == "+" || p.toks[p.pos+1].text == "-") {
		// bpftool's "goto pc+3".
		p.next()
		v, _ = p.number()
		if p.err != nil {
			return 0, false
		}
	} else if t.kind == tIdent {
		p.next()
		it.target, it.tcol = t.text, t.col
	} else {
		v, _ = p.number()
		if p.err != nil {
			return 0, false
		}
	}
	if p.peek().text == "<" {
		for p.peek().kind != tEOF && p.next().text != ">" {
		}
	}
	p.done()
	return v, p.err == nil
}

func (p *parser) instruction() *item {
	it := &item{}
	t := p.next()
	switch t.text {
	case "exit":
		it.ins = asm.Return()
		p.done()
		return it
	case "goto", "gotol", "may_goto":
		v, _ := p.target(it)
		switch t.text {
		case "goto":
			if v < math.MinInt16 || v > math.MaxInt16 {
				p.fail(t, "expected an offset in [-32768, 32767] (use gotol)")
			}
			it.ins = asm.Instruction{OpCode: asm.Ja.Op(asm.ImmSource), Offset: int16(v)}
		case "gotol":
			if v < math.MinInt32 || v > math.MaxInt32 {
				p.fail(t, "expected a 32-bit offset")
			}
			it.ins = asm.Instruction{OpCode: asm.OpCode(clsJMP32 | jmpJA), Constant: v}
		default:
			if v < math.MinInt16 || v > math.MaxInt16 {
				p.fail(t, "expected an offset in [-32768, 32767]")
			}
			it.ins = asm.Instruction{OpCode: asm.OpCode(clsJMP | jmpJCOND), Offset: int16(v)}
		}
		return it
	case "call":
		return p.call(it)
	case "if":
		return p.cond(it)
	case "lock":
		return p.lock(it)
	case "store_release":
		return p.storeRelease(it)
	case ".insn":
		return p.insn(it)
	case "*":
		return p.store(it)
	}
	dst, wide, ok := p.isReg(t)
	if !ok {
		if t.kind == tIdent && len(t.text) > 1 && (t.text[0] == 'r' || t.text[0] == 'w') && isDigit(t.text[1]) {
			p.fail(t, "expected a register r0..r10 or w0..w10")
			return it
		}
		p.fail(t, "expected an instruction")
		return it
	}
	opTok := p.next()
	if opTok.text == "=" {
		return p.assign(it, dst, wide)
	}
	op, ok := p.aluOp(opTok)
	if !ok {
		p.fail(opTok, "expected an assignment operator")
		return it
	}
	cls := asm.ALU64Class
	if !wide {
		cls = asm.ALUClass
	}
	if st, swide, isr := p.isReg(p.peek()); isr {
		p.next()
		if swide != wide {
			p.fail(p.toks[p.pos-1], "expected a %s register", regKind(wide))
		}
		it.ins = asm.Instruction{OpCode: asm.OpCode(cls).SetALUOp(op).SetSource(asm.RegSource), Dst: dst, Src: st}
	} else {
		v := p.operand(wide)
		it.ins = asm.Instruction{OpCode: asm.OpCode(cls).SetALUOp(op).SetSource(asm.ImmSource), Dst: dst, Constant: v}
	}
	p.done()
	return it
}

func regKind(wide bool) string {
	if wide {
		return "64-bit (r)"
	}
	return "32-bit (w)"
}

func (p *parser) aluOp(t token) (asm.ALUOp, bool) {
	if t.kind == tIdent && t.text == "s" {
		n := p.next()
		switch n.text {
		case ">>=":
			return asm.ArSh, true
		case "/=":
			return asm.SDiv, true
		case "%=":
			return asm.SMod, true
		}
		p.pos--
		return 0, false
	}
	for op, s := range aluOps {
		if s == t.text && !strings.HasPrefix(s, "s") {
			return op, true
		}
	}
	return 0, false
}

func (p *parser) call(it *item) *item {
	t := p.peek()
	switch {
	case t.kind == tIdent && t.text == "pc":
		p.next()
		v, nt := p.number()
		if p.err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
			p.fail(nt, "expected a 32-bit offset")
		}
		it.ins = asm.Instruction{OpCode: asm.OpCode(clsJMP | jmpCALL), Src: asm.PseudoCall, Constant: v}
	case t.kind == tIdent:
		p.next()
		name := t.text
		if i := strings.IndexByte(name, '#'); i >= 0 {
			// bpftool's "bpf_map_lookup_elem#1".
			id, err := strconv.ParseInt(name[i+1:], 10, 32)
			if err != nil || id < 0 {
				p.fail(t, "expected a helper id after '#'")
				return it
			}
			if known, ok := HelperID(name[:i]); ok && int64(known) != id {
				p.fail(t, "expected helper id %d for %s", known, name[:i])
				return it
			}
			it.ins = asm.Instruction{OpCode: asm.OpCode(clsJMP | jmpCALL), Constant: id}
			break
		}
		it.ins = asm.Instruction{OpCode: asm.OpCode(clsJMP | jmpCALL), Constant: -1}
		it.target, it.tcol = name, t.col
	default:
		v, nt := p.number()
		if p.err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
			p.fail(nt, "expected a 32-bit helper id")
		}
		it.ins = asm.Instruction{OpCode: asm.OpCode(clsJMP | jmpCALL), Constant: v}
	}
	if p.peek().text == "<" {
		for p.peek().kind != tEOF && p.next().text != ">" {
		}
	}
	p.done()
	return it
}

var condOps = map[string]asm.JumpOp{
	"==": asm.JEq, ">": asm.JGT, ">=": asm.JGE, "&": asm.JSet, "!=": asm.JNE,
	"<": asm.JLT, "<=": asm.JLE,
}

func (p *parser) cond(it *item) *item {
	dst, wide := p.reg()
	if p.err != nil {
		return it
	}
	t := p.next()
	var op asm.JumpOp
	ok := false
	if t.text == "s" {
		n := p.next()
		switch n.text {
		case ">":
			op, ok = asm.JSGT, true
		case ">=":
			op, ok = asm.JSGE, true
		case "<":
			op, ok = asm.JSLT, true
		case "<=":
			op, ok = asm.JSLE, true
		}
	} else {
		op, ok = condOps[t.text]
	}
	if !ok {
		p.fail(t, "expected a comparison (==, !=, >, >=, <, <=, s>, s>=, s<, s<=, &)")
		return it
	}
	cls := asm.JumpClass
	if !wide {
		cls = asm.Jump32Class
	}
	if src, swide, isr := p.isReg(p.peek()); isr {
		rt := p.next()
		if swide != wide {
			p.fail(rt, "expected a %s register", regKind(wide))
			return it
		}
		it.ins = asm.Instruction{OpCode: asm.OpCode(cls).SetJumpOp(op).SetSource(asm.RegSource), Dst: dst, Src: src}
	} else {
		v := p.operand(wide)
		it.ins = asm.Instruction{OpCode: asm.OpCode(cls).SetJumpOp(op).SetSource(asm.ImmSource), Dst: dst, Constant: v}
	}
	if p.err != nil {
		return it
	}
	if !p.expect("goto") {
		return it
	}
	v, _ := p.target(it)
	if v < math.MinInt16 || v > math.MaxInt16 {
		p.fail(p.toks[len(p.toks)-1], "expected an offset in [-32768, 32767]")
	}
	it.ins.Offset = int16(v)
	return it
}

// lock: "lock *(u64 *)(r1 + 0) += r2".
func (p *parser) lock(it *item) *item {
	if !p.expect("*") {
		return it
	}
	sz, sx := p.ptr()
	if p.err != nil {
		return it
	}
	dst, off := p.memOp()
	if p.err != nil {
		return it
	}
	t := p.next()
	var a asm.AtomicOp
	switch t.text {
	case "+=":
		a = asm.AddAtomic
	case "&=":
		a = asm.AndAtomic
	case "|=":
		a = asm.OrAtomic
	case "^=":
		a = asm.XorAtomic
	default:
		p.fail(t, "expected +=, &=, |= or ^=")
		return it
	}
	src, _ := p.reg()
	if sx || (sz != asm.Word && sz != asm.DWord) {
		p.fail(t, "expected a u32 or u64 operand")
	}
	p.done()
	it.ins = atomicIns(a, sz, dst, src, off)
	return it
}

func atomicIns(a asm.AtomicOp, sz asm.Size, dst, src asm.Register, off int16) asm.Instruction {
	op := asm.OpCode(clsSTX|modeATOMIC) | asm.OpCode(sz) | asm.OpCode(a)&atomicMask
	return asm.Instruction{OpCode: op, Dst: dst, Src: src, Offset: off, Constant: int64(uint32(a) >> 8)}
}

// orderedMem reads "((u64 *)(r1 + 0)" of load_acquire and store_release:
// the opening parenthesis, an unsigned pointer type and a memory operand.
func (p *parser) orderedMem() (sz asm.Size, base asm.Register, off int16, ok bool) {
	if !p.expect("(") {
		return
	}
	sz, sx := p.ptr()
	if p.err != nil {
		return
	}
	if sx {
		p.fail(p.toks[p.pos-3], "expected an unsigned type")
		return
	}
	base, off = p.memOp()
	return sz, base, off, p.err == nil
}

// store_release((u64 *)(r1 + 0), r2)
func (p *parser) storeRelease(it *item) *item {
	sz, dst, off, ok := p.orderedMem()
	if !ok || !p.expect(",") {
		return it
	}
	src, _ := p.reg()
	if p.err != nil || !p.expect(")") {
		return it
	}
	p.done()
	it.ins = atomicIns(asm.AtomicOp(atomicStoreRl<<8), sz, dst, src, off)
	return it
}

// .insn OP, DST, SRC, OFF, IMM[, IMM_HI]: raw fields, not checked.
func (p *parser) insn(it *item) *item {
	var v [6]int64
	n := 0
	for n < 6 {
		if n > 0 && !p.accept(",") {
			break
		}
		v[n], _ = p.number()
		if p.err != nil {
			return it
		}
		n++
	}
	p.done()
	if p.err != nil {
		return it
	}
	first := p.toks[1]
	if n < 5 || v[0] < 0 || v[0] > 0xff || v[1] < 0 || v[1] > 15 || v[2] < 0 || v[2] > 15 ||
		v[3] < math.MinInt16 || v[3] > math.MaxInt16 || v[4] < math.MinInt32 || v[4] > math.MaxInt32 ||
		v[5] < math.MinInt32 || v[5] > math.MaxInt32 {
		p.fail(first, "expected .insn OP, DST, SRC, OFF, IMM[, IMM_HI] within field ranges")
		return it
	}
	isDW := v[0] == clsLD|modeIMM|sizeDW
	if isDW != (n == 6) {
		p.fail(first, "expected IMM_HI exactly for a 64-bit immediate load")
		return it
	}
	r := raw{op: uint8(v[0]), dst: uint8(v[1]), src: uint8(v[2]), off: int16(v[3]), imm: int32(v[4])}
	var second *raw
	if isDW {
		second = &raw{imm: int32(v[5])}
	}
	it.ins = fromRaw(r, second)
	it.unchecked = true
	if r.op&7 == clsJMP && r.op&0xf0 == jmpCALL && r.src == 0 && r.dst == 0 && (r.imm < 0 || r.imm > maxHelperID) {
		p.fail(first, "expected a helper id in [0, %d]", maxHelperID)
	}
	return it
}

// store: "*(u32 *)(r10 - 4) = r1" or "= 0".
func (p *parser) store(it *item) *item {
	sz, sx := p.ptr()
	if p.err != nil {
		return it
	}
	if sx {
		p.fail(p.toks[p.pos-3], "expected an unsigned type")
		return it
	}
	dst, off := p.memOp()
	if p.err != nil || !p.expect("=") {
		return it
	}
	if src, _, isr := p.isReg(p.peek()); isr {
		p.next()
		it.ins = asm.StoreMem(dst, off, src, sz)
	} else {
		// The immediate is sign-extended only for 64-bit stores.
		v := p.operand(sz == asm.DWord)
		it.ins = asm.Instruction{OpCode: asm.StoreImmOp(sz), Dst: dst, Offset: off, Constant: v}
	}
	p.done()
	return it
}

// assign parses everything of the form "dst = ...".
func (p *parser) assign(it *item, dst asm.Register, wide bool) *item {
	cls := asm.ALU64Class
	if !wide {
		cls = asm.ALUClass
	}
	t := p.peek()
	switch {
	case t.text == "-":
		// "r1 = -r1" (neg) or "r1 = -5".
		if p.pos+1 < len(p.toks) {
			if r, rw, ok := p.isReg(p.toks[p.pos+1]); ok {
				p.pos += 2
				if r != dst || rw != wide {
					p.fail(p.toks[p.pos-1], "expected %s (neg works in place)", reg(dst, wide))
					return it
				}
				it.ins = asm.Instruction{OpCode: asm.OpCode(cls).SetALUOp(asm.Neg)}
				it.ins.Dst = dst
				p.done()
				return it
			}
		}
		return p.movImm(it, dst, wide)
	case t.kind == tNum || t.text == "+":
		return p.movImm(it, dst, wide)
	case t.text == "(":
		// movsx: "r1 = (s8)r2".
		p.next()
		ty := p.next()
		bits := map[string]asm.ALUOp{"s8": asm.MovSX8, "s16": asm.MovSX16, "s32": asm.MovSX32}
		op, ok := bits[ty.text]
		if !ok {
			p.fail(ty, "expected s8, s16 or s32")
			return it
		}
		if !p.expect(")") {
			return it
		}
		src, swide := p.reg()
		if p.err == nil && swide != wide {
			p.fail(p.toks[p.pos-1], "expected a %s register", regKind(wide))
		}
		it.ins = asm.Instruction{OpCode: asm.OpCode(cls).SetALUOp(op).SetSource(asm.RegSource), Dst: dst, Src: src}
		p.done()
		return it
	case t.text == "*":
		p.next()
		sz, sx := p.ptr()
		if p.err != nil {
			return it
		}
		if n := p.peek(); n.kind == tIdent && n.text == "skb" {
			return p.skb(it, dst, sz, sx)
		}
		src, off := p.memOp()
		if p.err != nil {
			return it
		}
		if sx {
			if sz == asm.DWord {
				p.fail(t, "expected s8, s16 or s32")
				return it
			}
			it.ins = asm.LoadMemSX(dst, src, off, sz)
		} else {
			it.ins = asm.LoadMem(dst, src, off, sz)
		}
		p.done()
		return it
	case t.kind == tIdent:
		if src, swide, ok := p.isReg(t); ok {
			p.next()
			if swide != wide {
				p.fail(t, "expected a %s register", regKind(wide))
				return it
			}
			it.ins = asm.Instruction{OpCode: asm.OpCode(cls).SetALUOp(asm.Mov).SetSource(asm.RegSource), Dst: dst, Src: src}
			p.done()
			return it
		}
		p.next()
		return p.named(it, t, dst, wide)
	}
	p.fail(t, "expected a value")
	return it
}

func (p *parser) movImm(it *item, dst asm.Register, wide bool) *item {
	cls := asm.ALU64Class
	if !wide {
		cls = asm.ALUClass
	}
	save := p.pos
	v, nt := p.number()
	if p.err != nil {
		return it
	}
	if p.accept("ll") {
		if !wide {
			p.fail(p.toks[p.pos-1], "expected no ll (64-bit loads need an r register)")
			return it
		}
		it.ins = asm.LoadImm(dst, v, asm.DWord)
		p.done()
		return it
	}
	p.pos = save
	v = p.imm32(wide)
	if p.err != nil {
		p.err.Msg += " (add ll for a 64-bit load)"
		_ = nt
		return it
	}
	it.ins = asm.Instruction{OpCode: asm.OpCode(cls).SetALUOp(asm.Mov).SetSource(asm.ImmSource), Dst: dst, Constant: v}
	p.done()
	return it
}

// skb parses "skb[12]" or "skb[r1]" / "skb[r1 + 4]" after "r0 = *(u8 *)".
func (p *parser) skb(it *item, dst asm.Register, sz asm.Size, sx bool) *item {
	skbTok := p.next()
	if dst != 0 {
		p.fail(skbTok, "expected r0 as the destination of a packet load")
		return it
	}
	if sx || sz == asm.DWord {
		p.fail(skbTok, "expected u8, u16 or u32 for a packet load")
		return it
	}
	if !p.expect("[") {
		return it
	}
	if _, _, isr := p.isReg(p.peek()); isr {
		src, _ := p.reg()
		var v int64
		if n := p.peek(); n.text == "+" || n.text == "-" {
			var vt token
			v, vt = p.number()
			if p.err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
				p.fail(vt, "expected a 32-bit offset")
			}
		}
		if p.err != nil || !p.expect("]") {
			return it
		}
		it.ins = asm.LoadInd(0, src, int32(v), sz)
	} else {
		v := p.imm32(true)
		if p.err != nil || !p.expect("]") {
			return it
		}
		it.ins = asm.LoadAbs(int32(v), sz)
	}
	p.done()
	return it
}

// xchgOperands reads the operands after an exchange's address, in both the
// llvm and the bpftool spelling: "r0, src)" for a compare-and-exchange (its
// result and its compared value are both r0/w0), "src)" for an exchange
// (whose result replaces src, so src must be the destination register).
func (p *parser) xchgOperands(t token, dst asm.Register, wide, cmp bool) (asm.AtomicOp, asm.Register, bool) {
	if cmp {
		if dst != 0 {
			p.fail(t, "expected r0/w0 as the cmpxchg result")
			return 0, 0, false
		}
		r0, _ := p.reg()
		if p.err == nil && r0 != 0 {
			p.fail(p.toks[p.pos-1], "expected r0/w0 as the compared value")
		}
		if p.err != nil || !p.expect(",") {
			return 0, 0, false
		}
	}
	src, _ := p.reg()
	if p.err != nil || !p.expect(")") {
		return 0, 0, false
	}
	if !cmp && src != dst {
		p.fail(p.toks[p.pos-2], "expected %s (xchg returns into its operand)", reg(dst, wide))
		return 0, 0, false
	}
	if cmp {
		return asm.CmpXchg, src, true
	}
	return asm.Xchg, src, true
}

// named parses the forms that start with a word after "dst =".
func (p *parser) named(it *item, t token, dst asm.Register, wide bool) *item {
	switch name := t.text; {
	case name == "map" || name == "map_value":
		if !wide {
			p.fail(t, "expected an r register for a map load")
			return it
		}
		if !p.expect("[") {
			return it
		}
		nt := p.next()
		if nt.kind != tIdent {
			p.fail(nt, "expected a map name")
			return it
		}
		src := asm.PseudoMapFD
		if name == "map_value" {
			src = asm.PseudoMapValue
		}
		var c int64
		ref := nt.text
		if (nt.text == "fd" || nt.text == "idx") && p.peek().text == ":" {
			p.next()
			v, vt := p.number()
			if p.err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
				p.fail(vt, "expected a 32-bit number")
			}
			if p.err != nil {
				return it
			}
			c = int64(uint32(v))
			ref = ""
			if nt.text == "idx" {
				src += pseudoMapIdx - pseudoMapFD
			}
		}
		if !p.expect("]") {
			return it
		}
		if name == "map_value" {
			if n := p.peek(); n.text == "+" || n.text == "-" {
				v, vt := p.number()
				if p.err == nil && (v < 0 || v > math.MaxUint32) {
					p.fail(vt, "expected an offset in [0, 4294967295]")
				}
				c |= v << 32
			}
		}
		it.ins = asm.Instruction{OpCode: asm.LoadImmOp(asm.DWord), Dst: dst, Src: src, Constant: c}
		if ref != "" {
			it.ins = it.ins.WithReference(ref)
		}
		p.done()
		return it

	case name == "be16" || name == "be32" || name == "be64" || name == "le16" || name == "le32" || name == "le64" ||
		name == "bswap16" || name == "bswap32" || name == "bswap64":
		r, _ := p.reg()
		if p.err == nil && r != dst {
			p.fail(p.toks[p.pos-1], "expected %s (byte swaps work in place)", reg(dst, true))
		}
		bits, _ := strconv.Atoi(name[len(name)-2:])
		switch {
		case strings.HasPrefix(name, "be"):
			it.ins = asm.HostTo(asm.BE, dst, sizeOfBits(bits))
		case strings.HasPrefix(name, "le"):
			it.ins = asm.HostTo(asm.LE, dst, sizeOfBits(bits))
		default:
			it.ins = asm.BSwap(dst, sizeOfBits(bits))
		}
		p.done()
		return it

	case strings.HasPrefix(name, "atomic64_"):
		// bpftool: atomic64_fetch_add, atomic64_xchg, atomic64_cmpxchg.
		t.text = "atomic_" + strings.TrimPrefix(name, "atomic64_")
		return p.named(it, t, dst, wide)

	case name == "atomic_xchg" || name == "atomic_cmpxchg":
		// bpftool: r0 = atomic64_xchg((u64 *)(r1 +0), r0),
		// r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2).
		if !p.expect("(") {
			return it
		}
		sz, sx := p.ptr()
		if p.err != nil {
			return it
		}
		base, off := p.memOp()
		if p.err != nil || !p.expect(",") {
			return it
		}
		a, src, ok := p.xchgOperands(t, dst, wide, name == "atomic_cmpxchg")
		if !ok {
			return it
		}
		if sx || (sz != asm.Word && sz != asm.DWord) {
			p.fail(t, "expected a u32 or u64 operand")
			return it
		}
		it.ins = atomicIns(a, sz, base, src, off)
		p.done()
		return it

	case strings.HasPrefix(name, "atomic_fetch_"):
		ops := map[string]asm.AtomicOp{"add": asm.FetchAdd, "and": asm.FetchAnd, "or": asm.FetchOr, "xor": asm.FetchXor}
		a, ok := ops[strings.TrimPrefix(name, "atomic_fetch_")]
		if !ok {
			p.fail(t, "expected atomic_fetch_add, _and, _or or _xor")
			return it
		}
		if !p.expect("(") {
			return it
		}
		sz, sx := p.ptr()
		if p.err != nil {
			return it
		}
		base, off := p.memOp()
		if p.err != nil || !p.expect(",") {
			return it
		}
		src, _ := p.reg()
		if p.err != nil || !p.expect(")") {
			return it
		}
		if src != dst {
			p.fail(p.toks[p.pos-2], "expected %s (the fetched value replaces the operand)", reg(dst, wide))
			return it
		}
		if sx || (sz != asm.Word && sz != asm.DWord) {
			p.fail(t, "expected a u32 or u64 operand")
			return it
		}
		it.ins = atomicIns(a, sz, base, src, off)
		p.done()
		return it

	case name == "xchg_64" || name == "xchg32_32" || name == "cmpxchg_64" || name == "cmpxchg32_32":
		sz := asm.DWord
		if strings.HasSuffix(name, "_32") {
			sz = asm.Word
		}
		if !p.expect("(") {
			return it
		}
		base, off := p.addr()
		if p.err != nil || !p.expect(",") {
			return it
		}
		a, src, ok := p.xchgOperands(t, dst, wide, strings.HasPrefix(name, "cmpxchg"))
		if !ok {
			return it
		}
		it.ins = atomicIns(a, sz, base, src, off)
		p.done()
		return it

	case name == "load_acquire":
		sz, base, off, ok := p.orderedMem()
		if !ok || !p.expect(")") {
			return it
		}
		// Load-acquire: dst receives, src is the base.
		ins := atomicIns(asm.AtomicOp(atomicLoadAcq<<8), sz, dst, base, off)
		it.ins = ins
		p.done()
		return it
	}
	p.fail(t, "expected a value")
	return it
}

func sizeOfBits(bits int) asm.Size {
	switch bits {
	case 16:
		return asm.Half
	case 32:
		return asm.Word
	}
	return asm.DWord
}
