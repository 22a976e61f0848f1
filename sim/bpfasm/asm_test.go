package bpfasm

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
)

// syntaxCases pairs text with the bytes it must encode to. Sources:
//   - "llvm": a line of `llvm-objdump -d` output of clang 14 (-target bpf,
//     -O2, some with -mcpu=v3) on the programs in testdata/clang, bytes and
//     text as printed;
//   - "rfc": built by hand from the opcode tables of RFC 9669 (BPF ISA) for
//     instructions clang 14 cannot emit (cpu v4, load-acquire from the
//     kernel's instruction-set.rst), with llvm's spelling (BPFInstrInfo.td).
var syntaxCases = []struct {
	src, text, hex string
	canon          string // canonical text when it differs from text
}{
	{"llvm", "r7 = r1", "bf17000000000000", ""},
	{"llvm", "w6 = 0", "b406000000000000", ""},
	{"llvm", "*(u32 *)(r10 - 4) = r6", "636afcff00000000", ""},
	{"llvm", "r2 += -4", "07020000fcffffff", ""},
	{"llvm", "r1 = 0 ll", "18010000000000000000000000000000", ""},
	{"llvm", "call 1", "8500000001000000", "call bpf_map_lookup_elem"},
	{"llvm", "call 12", "850000000c000000", "call bpf_tail_call"},
	{"llvm", "if r1 == 0 goto +33 <LBB0_3>", "1501210000000000", "if r1 == 0 goto +33"},
	{"llvm", "r3 = *(u32 *)(r7 + 0)", "6173000000000000", ""},
	{"llvm", "w2 -= w3", "1c32000000000000", ""},
	{"llvm", "lock *(u64 *)(r1 + 0) += r3", "db31000000000000", ""},
	{"llvm", "r3 = atomic_fetch_add((u64 *)(r1 + 8), r3)", "db31080001000000", ""},
	{"llvm", "lock *(u64 *)(r1 + 16) |= r4", "db41100040000000", ""},
	{"llvm", "lock *(u64 *)(r1 + 16) &= r4", "db41100050000000", ""},
	{"llvm", "lock *(u64 *)(r1 + 16) ^= r4", "db411000a0000000", ""},
	{"llvm", "r4 = atomic_fetch_or((u64 *)(r1 + 16), r4)", "db41100041000000", ""},
	{"llvm", "r3 = xchg_64(r1 + 24, r3)", "db311800e1000000", ""},
	{"llvm", "r0 = cmpxchg_64(r1 + 24, r0, r4)", "db411800f1000000", ""},
	{"llvm", "lock *(u32 *)(r1 + 32) += r5", "c351200000000000", "lock *(u32 *)(r1 + 32) += w5"},
	{"llvm", "w0 = w6", "bc60000000000000", ""},
	{"llvm", "exit", "9500000000000000", ""},
	{"llvm", "if r1 s>= r0 goto +4 <LBB1_2>", "7d01040000000000", "if r1 s>= r0 goto +4"},
	{"llvm", "r1 *= 31", "270100001f000000", ""},
	{"llvm", "r0 >>= 3", "7700000003000000", ""},
	{"llvm", "r0 ^= r1", "af10000000000000", ""},
	{"llvm", "goto +7 <LBB1_3>", "0500070000000000", "goto +7"},
	{"llvm", "r2 /= 5", "3702000005000000", ""},
	{"llvm", "r2 -= r0", "1f02000000000000", ""},
	{"llvm", "r1 += r2", "0f21000000000000", ""},
	{"llvm", "if r7 > r8 goto +19 <LBB0_3>", "2d87130000000000", "if r7 > r8 goto +19"},
	{"llvm", "r1 &= 255", "57010000ff000000", ""},
	{"llvm", "r1 = *(u8 *)(r2 + 0)", "7121000000000000", ""},
	{"llvm", "r1 <<= 56", "6701000038000000", ""},
	{"llvm", "r1 s>>= 56", "c701000038000000", ""},
	{"llvm", "if r7 != 16 goto -20 <LBB0_1>", "5507ecff10000000", "if r7 != 16 goto -20"},
	{"llvm", "r1 = *(u64 *)(r0 + 0)", "7901000000000000", ""},
	{"llvm", "*(u64 *)(r0 + 0) = r1", "7b10000000000000", ""},
	{"llvm", "r0 = -1", "b7000000ffffffff", ""},
	{"llvm", "if r1 s> r6 goto +1 <LBB0_7>", "6d61010000000000", "if r1 s> r6 goto +1"},
	{"llvm", "r1 = be16 r1", "dc01000010000000", ""},
	{"llvm", "r4 |= r5", "4f54000000000000", ""},
	{"llvm", "r1 = *(u16 *)(r1 + 2)", "6911020000000000", ""},
	{"llvm", "r4 = *(u8 *)(r1 + 13)", "71140d0000000000", ""},
	{"llvm", "if r2 == r1 goto +1 <LBB0_10>", "1d12010000000000", "if r2 == r1 goto +1"},
	{"llvm", "if r4 > r3 goto +26 <LBB0_10>", "2d341a0000000000", "if r4 > r3 goto +26"},
	{"llvm", "call -1", "85000000ffffffff", "INVALID"},

	{"rfc", "*(u32 *)(r10 - 4) = 0", "620afcff00000000", ""},
	{"rfc", "*(u64 *)(r10 - 8) = -7", "7a0af8fff9ffffff", ""},
	{"rfc", "if w1 == w2 goto -2", "1e21feff00000000", ""},
	{"rfc", "if w1 s< -3 goto +1", "c6010100fdffffff", ""},
	{"rfc", "if r1 & r2 goto +1", "4d21010000000000", ""},
	{"rfc", "if r3 <= 7 goto +0", "b503000007000000", ""},
	{"rfc", "if r3 s<= r4 goto +5", "dd43050000000000", ""},
	{"rfc", "if r3 >= 9 goto +5", "3503050009000000", ""},
	{"rfc", "if r3 < r9 goto +5", "ad93050000000000", ""},
	{"rfc", "if w3 s>= 2 goto +5", "7603050002000000", ""},
	{"rfc", "w1 += w2", "0c21000000000000", ""},
	{"rfc", "r1 = -r1", "8701000000000000", ""},
	{"rfc", "w1 = -w1", "8401000000000000", ""},
	{"rfc", "r1 s/= r2", "3f21010000000000", ""},
	{"rfc", "r1 s%= r2", "9f21010000000000", ""},
	{"rfc", "w1 s/= 3", "3401010003000000", ""},
	{"rfc", "w1 %= w2", "9c21000000000000", ""},
	{"rfc", "r1 = (s8)r2", "bf21080000000000", ""},
	{"rfc", "r1 = (s16)r2", "bf21100000000000", ""},
	{"rfc", "r1 = (s32)r2", "bf21200000000000", ""},
	{"rfc", "w1 = (s8)w2", "bc21080000000000", ""},
	{"rfc", "r1 = *(s16 *)(r2 + 0)", "8921000000000000", ""},
	{"rfc", "r1 = *(s8 *)(r2 - 1)", "9121ffff00000000", ""},
	{"rfc", "r1 = *(s32 *)(r2 + 4)", "8121040000000000", ""},
	{"rfc", "lock *(u64 *)(r1 + 0) += r2", "db21000000000000", ""},
	{"rfc", "r0 = atomic_fetch_add((u64 *)(r1 + 0), r0)", "db01000001000000", ""},
	{"rfc", "w2 = atomic_fetch_xor((u32 *)(r1 + 4), w2)", "c3210400a1000000", ""},
	{"rfc", "w2 = atomic_fetch_and((u32 *)(r1 + 4), w2)", "c321040051000000", ""},
	{"rfc", "r0 = xchg_64(r1 + 0, r0)", "db010000e1000000", ""},
	{"rfc", "w3 = xchg32_32(r1 + 0, w3)", "c3310000e1000000", ""},
	{"rfc", "r0 = cmpxchg_64(r1 + 0, r0, r2)", "db210000f1000000", ""},
	{"rfc", "w0 = cmpxchg32_32(r1 + 32, w0, w3)", "c3312000f1000000", ""},
	{"rfc", "r0 = load_acquire((u64 *)(r1 + 0))", "db10000000010000", ""},
	{"rfc", "w0 = load_acquire((u8 *)(r1 + 2))", "d310020000010000", ""},
	{"rfc", "store_release((u64 *)(r1 + 0), r2)", "db21000010010000", ""},
	{"rfc", "store_release((u16 *)(r1 + 0), w2)", "cb21000010010000", ""},
	{"rfc", "r1 = le32 r1", "d401000020000000", ""},
	{"rfc", "r1 = be64 r1", "dc01000040000000", ""},
	{"rfc", "r1 = bswap64 r1", "d701000040000000", ""},
	{"rfc", "r1 = bswap16 r1", "d701000010000000", ""},
	{"rfc", "r1 = 0x1234 ll", "18010000341200000000000000000000", "r1 = 4660 ll"},
	{"rfc", "r1 = -2 ll", "18010000feffffff00000000ffffffff", ""},
	{"rfc", "r9 = 0x123456789abcdef0 ll", "18090000f0debc9a0000000078563412", "r9 = 1311768467463790320 ll"},
	{"rfc", "call bpf_map_lookup_elem", "8500000001000000", ""},
	{"rfc", "call bpf_map_update_elem#2", "8500000002000000", "call bpf_map_update_elem"},
	{"rfc", "call 9999", "850000000f270000", ""},
	{"rfc", "call pc+5", "8510000005000000", ""},
	{"rfc", "call pc-3", "85100000fdffffff", ""},
	{"rfc", "goto +2", "0500020000000000", ""},
	{"rfc", "goto -1", "0500ffff00000000", ""},
	{"rfc", "gotol +2", "0600000002000000", ""},
	{"rfc", "gotol -70000", "0600000090eefeff", ""},
	{"rfc", "may_goto +4", "e500040000000000", ""},
	{"rfc", "r0 = *(u8 *)skb[12]", "300000000c000000", ""},
	{"rfc", "r0 = *(u32 *)skb[-4]", "20000000fcffffff", ""},
	{"rfc", "r0 = *(u16 *)skb[r1 + 0]", "4810000000000000", "r0 = *(u16 *)skb[r1]"},
	{"rfc", "r0 = *(u16 *)skb[r1 - 2]", "48100000feffffff", ""},
	{"rfc", "r0 = *(u8 *)skb[r3]", "5030000000000000", ""},
	{"rfc", "r1 = map[fd:3]", "18110000030000000000000000000000", ""},
	{"rfc", "r1 = map_value[fd:3] + 8", "18210000030000000000000008000000", ""},
	{"rfc", "r2 = map[idx:1]", "18520000010000000000000000000000", ""},
	{"rfc", "r2 = map_value[idx:0]", "18620000000000000000000000000000", ""},
	{"rfc", "w1 = 0xffffffff", "b4010000ffffffff", "w1 = -1"},
	{"rfc", "w1 &= 0x80000000", "5401000000000080", "w1 &= -2147483648"},
	{"rfc", "r5 = r10", "bfa5000000000000", ""},
}

func TestSyntax(t *testing.T) {
	for _, c := range syntaxCases {
		want, err := hex.DecodeString(c.hex)
		if err != nil {
			t.Fatalf("bad hex in case %q", c.text)
		}
		insns, err := Assemble(c.text)
		if c.canon == "INVALID" {
			if err == nil {
				t.Errorf("[%s] %q: assembled without relocation, want an error", c.src, c.text)
			}
			continue
		}
		if err != nil {
			t.Errorf("[%s] %q: %v", c.src, c.text, err)
			continue
		}
		got, err := Encode(insns)
		if err != nil {
			t.Errorf("[%s] %q: encode: %v", c.src, c.text, err)
			continue
		}
		if hex.EncodeToString(got) != hex.EncodeToString(want) {
			t.Errorf("[%s] %q: got %x, want %x", c.src, c.text, got, want)
		}
		canon := c.canon
		if canon == "" {
			canon = c.text
		}
		dec, err := Decode(want)
		if err != nil {
			t.Errorf("[%s] decode %x: %v", c.src, want, err)
			continue
		}
		if len(dec) != 1 {
			t.Errorf("[%s] decode %x: %d instructions", c.src, want, len(dec))
			continue
		}
		if s := Format(dec[0]); s != canon {
			t.Errorf("[%s] Format(%x) = %q, want %q", c.src, want, s, canon)
		}
		if !sameIns(dec[0], insns[0]) {
			t.Errorf("[%s] %q: Decode gives %#v, Assemble %#v", c.src, c.text, dec[0], insns[0])
		}
	}
}

func sameIns(a, b asm.Instruction) bool {
	return a.OpCode == b.OpCode && a.Dst == b.Dst && a.Src == b.Src && a.Offset == b.Offset && a.Constant == b.Constant
}

// TestMapReferences checks the extensions: map[name], map_value[name] + off.
func TestMapReferences(t *testing.T) {
	insns, err := Assemble("r1 = map[flows]\nr2 = map_value[.rodata] + 8\nr3 = map_value[cfg]")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		src asm.Register
		c   int64
		ref string
	}{{asm.PseudoMapFD, 0, "flows"}, {asm.PseudoMapValue, 8 << 32, ".rodata"}, {asm.PseudoMapValue, 0, "cfg"}}
	for i, w := range want {
		ins := insns[i]
		if !ins.IsLoadFromMap() || ins.Src != w.src || ins.Constant != w.c || ins.Reference() != w.ref {
			t.Errorf("insn %d = %v (ref %q), want src %v constant %#x ref %q", i, ins, ins.Reference(), w.src, w.c, w.ref)
		}
	}
	text := Disassemble(insns)
	wantText := "\tr1 = map[flows]\n\tr2 = map_value[.rodata] + 8\n\tr3 = map_value[cfg]\n"
	if text != wantText {
		t.Errorf("Disassemble:\n%s\nwant:\n%s", text, wantText)
	}
	// Same shape as cilium's asm.LoadMapPtr + WithReference.
	c := asm.LoadMapPtr(asm.R1, 0).WithReference("flows")
	if !sameIns(c, insns[0]) {
		t.Errorf("map[flows] = %#v, cilium builds %#v", insns[0], c)
	}
}

func TestLabelsAndCalls(t *testing.T) {
	src := `
; a loop and a bpf2bpf call
entry:
	r1 = 0
loop:	r1 += 1             // count
	if r1 < 10 goto loop  # again
	call helper
	gotol done
	r0 = 1
done:
	exit
helper:
	r0 = 2
	exit
`
	insns, err := Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	// Offsets are relative to the next instruction (RFC 9669 4.4).
	if got := insns[2].Offset; got != -2 {
		t.Errorf("loop jump offset %d, want -2", got)
	}
	if got := insns[3]; got.Src != asm.PseudoCall || got.Constant != 3 {
		t.Errorf("call helper = %v, want src 1 imm 3", got)
	}
	if got := insns[4].Constant; got != 1 {
		t.Errorf("gotol done imm %d, want 1", got)
	}
	if insns[7].Symbol() != "helper" {
		t.Errorf("call target has symbol %q, want helper", insns[7].Symbol())
	}
	want := "entry:\n\tr1 = 0\nloop:\n\tr1 += 1\n\tif r1 < 10 goto loop\n\tcall helper\n\tgotol done\n\tr0 = 1\ndone:\n\texit\nhelper:\n\tr0 = 2\n\texit\n"
	if got := Disassemble(insns); got != want {
		t.Errorf("Disassemble:\n%s\nwant:\n%s", got, want)
	}
	again, err := Assemble(want)
	if err != nil {
		t.Fatal(err)
	}
	if got := Disassemble(again); got != want {
		t.Errorf("not idempotent:\n%s", got)
	}
}

func TestObjdumpPaste(t *testing.T) {
	// Verbatim llvm-objdump -dr output (clang 14, testdata/clang/tailcall.c).
	src := `
/tmp/tailcall.o:	file format elf64-bpf

Disassembly of section xdp:

0000000000000150 <stage2>:
      42:	b7 01 00 00 02 00 00 00	r1 = 2
      43:	63 1a fc ff 00 00 00 00	*(u32 *)(r10 - 4) = r1
      44:	bf a2 00 00 00 00 00 00	r2 = r10
      45:	07 02 00 00 fc ff ff ff	r2 += -4
      46:	18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00	r1 = 0 ll
		0000000000000170:  R_BPF_64_64	stage_hits
      48:	85 00 00 00 01 00 00 00	call 1
      49:	15 00 02 00 00 00 00 00	if r0 == 0 goto +2 <LBB2_2>
      50:	b7 01 00 00 01 00 00 00	r1 = 1
      51:	db 10 00 00 00 00 00 00	lock *(u64 *)(r0 + 0) += r1

00000000000001a0 <LBB2_2>:
      52:	b7 00 00 00 03 00 00 00	r0 = 3
      53:	95 00 00 00 00 00 00 00	exit
      34:	c3 21 24 00 a1 00 00 00	<unknown>
`
	insns, err := Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(insns) != 12 {
		t.Fatalf("%d instructions, want 12", len(insns))
	}
	if ins := insns[4]; ins.Src != asm.PseudoMapFD || ins.Reference() != "stage_hits" {
		t.Errorf("relocated load = %v ref %q", ins, ins.Reference())
	}
	if s := Format(insns[11]); s != "w2 = atomic_fetch_xor((u32 *)(r1 + 36), w2)" {
		t.Errorf("<unknown> line from raw bytes = %q", s)
	}
	if insns[0].Symbol() != "" || labelsOf(insns[0])[0] != "stage2" {
		t.Errorf("symbol header not kept as a label: %v", labelsOf(insns[0]))
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
		msg       string
	}{
		{"r1 = ", 1, 6, "expected a value"},
		{"exit\n  goto nowhere", 2, 8, `expected a defined label, found "nowhere"`},
		{"r11 = 1", 1, 1, "expected a register r0..r10"},
		{"*(u32 *)(r1 + 99999) = 1", 1, 15, "expected an offset in [-32768, 32767]"},
		{"r1 += 0x1ffffffff", 1, 7, "expected a 32-bit immediate"},
		{"x:\n", 1, 1, "expected an instruction after label"},
		{"r1 = r2 r3", 1, 9, "expected end of line"},
		{"w1 += r2", 1, 7, "expected a 32-bit (w) register"},
		{"if r1 ~ 2 goto +1", 1, 7, "expected an instruction, found character '~'"},
		{"if r1 == 2 goto", 1, 16, "expected a number, found end of line"},
		{"r1 = *(u128 *)(r2 + 0)", 1, 8, "expected a type"},
		{"lock *(u16 *)(r1 + 0) += r2", 1, 23, "expected a u32 or u64 operand"},
		{"r1 = xchg_64(r1 + 0, r2)", 1, 22, "expected r1"},
		{"r1 = 5 ll ll", 1, 11, "expected end of line"},
		{"a:\na:\nexit", 2, 1, `expected a new label, "a" is already defined`},
		{"call nosuch", 1, 6, "expected a label or a helper name"},
		{"r0 = *(u64 *)skb[0]", 1, 14, "expected u8, u16 or u32"},
		{"r1 = be16 r2", 1, 11, "expected r1"},
		{"exit extra", 1, 6, "expected end of line"},
		{"call -1", 1, 1, "expected a valid instruction: invalid helper id -1"},
	}
	for _, c := range cases {
		_, err := Assemble(c.src)
		el, ok := err.(ErrorList)
		if !ok || len(el) == 0 {
			t.Errorf("%q: err = %v, want an ErrorList", c.src, err)
			continue
		}
		e := el[0]
		if e.Line != c.line || e.Col != c.col || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%q: got %d:%d: %s; want %d:%d: ...%s...", c.src, e.Line, e.Col, e.Msg, c.line, c.col, c.msg)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	cases := map[string]string{
		"odd length":            "95000000000000",
		"missing second half":   "1801000000000000",
		"nonzero second fields": "18010000000000000100000000000000",
		"unknown opcode":        "ff00000000000000",
		"reserved alu imm":      "0f21000001000000",
		"reserved exit":         "9501000000000000",
		"jmp32 call":            "8600000001000000",
		"movsx on imm":          "b701080001000000",
		"ldx dw sx":             "9921000000000000",
		"atomic byte add":       "d321000000000000",
		"bad atomic op":         "db21000002000000",
		"register 11":           "bf0b000000000000",
		"ld_abs dw":             "3800000000000000",
		"map fd with offset":    "18110000030000000000000008000000",
		"negative helper":       "85000000ffffffff",
	}
	for name, h := range cases {
		b, _ := hex.DecodeString(h)
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: Decode(%s) succeeded, want an error", name, h)
		}
	}
}

func hexBytes(s string) ([]byte, error) { return hex.DecodeString(s) }

// TestInsnDirective: instructions outside the checked encodings print as
// ".insn" and assemble back to the same bytes.
func TestInsnDirective(t *testing.T) {
	insns, err := Assemble(".insn 0xff, 1, 2, 3, 4\n.insn 0x18, 1, 3, 0, 7, 9")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(insns)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(b), "ff2103000400000018310000070000000000000009000000"; got != want {
		t.Errorf("encoded %s, want %s", got, want)
	}
	if got, want := Disassemble(insns), "\t.insn 0xff, 1, 2, 3, 4\n\t.insn 0x18, 1, 3, 0, 7, 9\n"; got != want {
		t.Errorf("Disassemble = %q, want %q", got, want)
	}
	if _, err := Decode(b); err == nil {
		t.Error("Decode accepted an unknown opcode")
	}
}

// TestBpftoolSyntax: lines as the kernel's disassembler (kernel/bpf/disasm.c,
// printed by `bpftool prog dump xlated`) writes them.
func TestBpftoolSyntax(t *testing.T) {
	cases := []struct{ line, hex string }{
		{"   0: (b7) r0 = 0", "b700000000000000"},
		{"   1: (18) r1 = 0x1234", "18010000341200000000000000000000"},
		{"   3: (61) r2 = *(u32 *)(r1 +4)", "6112040000000000"},
		{"   4: (63) *(u32 *)(r10 -4) = r2", "632afcff00000000"},
		{"   5: (15) if r0 == 0x0 goto pc+2", "1500020000000000"},
		{"   6: (85) call bpf_map_lookup_elem#1", "8500000001000000"},
		{"   7: (85) call pc+2", "8510000002000000"},
		{"   8: (db) r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)", "db21000001000000"},
		{"   9: (db) r0 = atomic64_cmpxchg((u64 *)(r1 +8), r0, r3)", "db310800f1000000"},
		{"  10: (c3) r4 = atomic_xchg((u32 *)(r1 +0), r4)", "c3410000e1000000"},
		{"  11: (c3) lock *(u32 *)(r1 +0) += r4", "c341000000000000"},
		{"  12: (48) r0 = *(u16 *)skb[r6 + 0]", "4860000000000000"},
		{"  13: (05) goto pc-3", "0500fdff00000000"},
		{"  14: (95) exit", "9500000000000000"},
	}
	for _, c := range cases {
		insns, err := Assemble(c.line)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		b, err := Encode(insns)
		if err != nil || hex.EncodeToString(b) != c.hex {
			t.Errorf("%q: got %x (%v), want %s", c.line, b, err, c.hex)
		}
	}
}
