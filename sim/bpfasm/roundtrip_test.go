package bpfasm

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// validOpcodes is every opcode of RFC 9669's opcode table (Appendix A), plus
// the kernel additions after it: may_goto (0xe5) and load-acquire /
// store-release for 8- and 16-bit sizes (0xd3, 0xcb).
var validOpcodes = []byte{
	// ALU64
	0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f,
	0x77, 0x7f, 0x87, 0x97, 0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0xd7,
	// ALU
	0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c,
	0x74, 0x7c, 0x84, 0x94, 0x9c, 0xa4, 0xac, 0xb4, 0xbc, 0xc4, 0xcc, 0xd4, 0xdc,
	// JMP
	0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75,
	0x7d, 0x85, 0x95, 0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5, 0xdd, 0xe5,
	// JMP32
	0x06, 0x16, 0x1e, 0x26, 0x2e, 0x36, 0x3e, 0x46, 0x4e, 0x56, 0x5e, 0x66, 0x6e, 0x76,
	0x7e, 0xa6, 0xae, 0xb6, 0xbe, 0xc6, 0xce, 0xd6, 0xde,
	// LD: imm64, abs, ind
	0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50,
	// LDX: mem, memsx
	0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91,
	// ST, STX, atomics
	0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0xd3, 0xcb,
}

func slot(op, dst, src byte, off int16, imm int32) []byte {
	b := make([]byte, 8)
	b[0], b[1] = op, dst|src<<4
	binary.LittleEndian.PutUint16(b[2:], uint16(off))
	binary.LittleEndian.PutUint32(b[4:], uint32(imm))
	return b
}

// checkRoundTrip: b decodes; encode(decode(b)) == b; the text assembles back
// to b; the text is canonical (disassembling again gives the same text).
func checkRoundTrip(t *testing.T, b []byte) {
	t.Helper()
	insns, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode(%x): %v", b, err)
	}
	enc, err := Encode(insns)
	if err != nil || !bytes.Equal(enc, b) {
		t.Fatalf("Encode(Decode(%x)) = %x, %v", b, enc, err)
	}
	text := Disassemble(insns)
	back, err := Assemble(text)
	if err != nil {
		t.Fatalf("Assemble(Disassemble(%x)) failed: %v\n%s", b, err, text)
	}
	enc, err = Encode(back)
	if err != nil || !bytes.Equal(enc, b) {
		t.Fatalf("round trip of %x through\n%s gives %x, %v", b, text, enc, err)
	}
	if again := Disassemble(back); again != text {
		t.Fatalf("not canonical:\n%s\nthen\n%s", text, again)
	}
}

func TestEveryOpcode(t *testing.T) {
	regs := []byte{0, 1, 2, 5, 10, 11}
	offs := []int16{0, 1, 8, 16, 32, -3, 0x7fff}
	imms := []int32{0, 1, 12, 16, 32, 64, -1, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1, 0x100, 0x110, 0x40, 0x50, 0xa0, 0x7fffffff}
	accepted := map[byte]bool{}
	n := 0
	for op := 0; op < 256; op++ {
		for _, dst := range regs {
			for _, src := range regs {
				for _, off := range offs {
					for _, imm := range imms {
						b := slot(byte(op), dst, src, off, imm)
						if op == 0x18 {
							b = append(b, slot(0, 0, 0, 0, imm/2)...)
						}
						if _, err := Decode(b); err != nil {
							continue
						}
						accepted[byte(op)] = true
						checkRoundTrip(t, b)
						n++
					}
				}
			}
		}
	}
	var got, want []int
	for op := range accepted {
		got = append(got, int(op))
	}
	for _, op := range validOpcodes {
		want = append(want, int(op))
	}
	sort.Ints(got)
	sort.Ints(want)
	if len(got) != len(want) {
		t.Errorf("accepted %d opcodes %x, want %d %x", len(got), got, len(want), want)
	} else {
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("accepted opcodes %x, want %x", got, want)
				break
			}
		}
	}
	t.Logf("%d encodings round-tripped", n)
}

func TestRandomRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(9669))
	pick := func(vals ...int64) int64 { return vals[rng.Intn(len(vals))] }
	valid := 0
	for i := 0; i < 30000 && valid < 4000; i++ {
		var prog []byte
		for k := 0; k < 1+rng.Intn(6); k++ {
			op := validOpcodes[rng.Intn(len(validOpcodes))]
			dst := byte(rng.Intn(11))
			src := byte(pick(0, 0, 1, int64(rng.Intn(11))))
			off := int16(pick(0, 0, 1, 8, 16, 32, int64(int16(rng.Uint32())), int64(rng.Intn(7)-3)))
			imm := int32(pick(0, 0, 16, 32, 64, 0x01, 0xe1, 0xf1, 0x100, 0x110, int64(int32(rng.Uint32())), int64(rng.Intn(100))))
			prog = append(prog, slot(op, dst, src, off, imm)...)
			if op == 0x18 {
				prog = append(prog, slot(0, 0, 0, 0, int32(pick(0, int64(int32(rng.Uint32())))))...)
			}
		}
		if _, err := Decode(prog); err != nil {
			continue
		}
		valid++
		checkRoundTrip(t, prog)
	}
	if valid < 1000 {
		t.Fatalf("only %d valid random programs", valid)
	}
	t.Logf("%d random programs round-tripped", valid)
}

// TestCanonicalIdempotent: disassemble(assemble(text)) is canonical.
func TestCanonicalIdempotent(t *testing.T) {
	var lines []string
	for _, c := range syntaxCases {
		if c.canon != "INVALID" {
			lines = append(lines, c.text)
		}
	}
	src := "start:\n" + strings.Join(lines, "\n") + "\ngoto start\n"
	insns, err := Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	text := Disassemble(insns)
	again, err := Assemble(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if got := Disassemble(again); got != text {
		t.Errorf("not idempotent:\n%s\nvs\n%s", text, got)
	}
}

func FuzzAssemble(f *testing.F) {
	for _, c := range syntaxCases {
		f.Add(c.text)
	}
	f.Add("a:\n\tr1 = 1\n\tif r1 > 2 goto a\n\tcall a\n\texit")
	f.Add("      5:\t2d 23 26 00 00 00 00 00\tif r3 > r2 goto +38 <LBB0_10>")
	f.Add("r1 = map_value[x] + 4\n.insn 0xff, 1, 2, 3, 4")
	f.Fuzz(func(t *testing.T, src string) {
		insns, err := Assemble(src)
		if err != nil {
			el, ok := err.(ErrorList)
			if !ok || len(el) == 0 {
				t.Fatalf("error is %T %v, want a non-empty ErrorList", err, err)
			}
			lines := strings.Split(src, "\n")
			for _, e := range el {
				if e.Line < 1 || e.Line > len(lines) || e.Col < 1 || e.Col > len(lines[e.Line-1])+1 {
					t.Fatalf("error %v outside the input", e)
				}
				if !utf8.ValidString(e.Msg) && utf8.ValidString(src) {
					t.Fatalf("invalid message %q", e.Msg)
				}
			}
			return
		}
		text := Disassemble(insns)
		back, err := Assemble(text)
		if err != nil {
			t.Fatalf("canonical text does not assemble: %v\n%s", err, text)
		}
		if again := Disassemble(back); again != text {
			t.Fatalf("not idempotent:\n%s\nvs\n%s", text, again)
		}
		b1, err1 := Encode(insns)
		b2, err2 := Encode(back)
		if (err1 == nil) != (err2 == nil) || !bytes.Equal(b1, b2) {
			t.Fatalf("encodings differ: %x %v / %x %v", b1, err1, b2, err2)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	for _, c := range syntaxCases {
		if b, err := hexBytes(c.hex); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{0x18, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := Decode(b); err != nil {
			return
		}
		checkRoundTrip(t, b)
	})
}
