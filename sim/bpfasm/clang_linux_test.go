//go:build linux

package bpfasm_test

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/bpfplay/bpfplay/sim/bpfasm"
)

// The real-compiler oracle: testdata/clang/*.c are compiled with clang and
// disassembled with llvm-objdump; the text must assemble to exactly the bytes
// of the object's sections, and (with relocations) to the instructions that
// cilium/ebpf's ELF loader gives, map references included.

func requireTools(t *testing.T) (string, string) {
	t.Helper()
	clang, err1 := exec.LookPath("clang")
	objdump, err2 := exec.LookPath("llvm-objdump")
	if err1 != nil || err2 != nil {
		msg := "clang and llvm-objdump are needed (Debian: apt-get install clang llvm)"
		if os.Getenv("BPFPLAY_REQUIRE_ORACLE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return clang, objdump
}

var clangCases = []struct {
	file  string
	flags []string
}{
	{"counter.c", nil},
	{"counter.c", []string{"-mcpu=v3"}},
	{"xdp_parse.c", nil},
	{"xdp_parse.c", []string{"-mcpu=v3"}},
	{"tailcall.c", nil},
	{"loop.c", nil},
	{"loop.c", []string{"-mcpu=v3"}},
	{"atomic.c", []string{"-mcpu=v3"}},
}

// sections splits llvm-objdump -d output into per-section text.
func sections(out string) map[string]string {
	m := map[string]string{}
	cur := ""
	for _, line := range strings.SplitAfter(out, "\n") {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "Disassembly of section "); ok {
			cur = strings.TrimSuffix(name, ":")
			continue
		}
		if cur != "" {
			m[cur] += line
		}
	}
	return m
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestClangOracle(t *testing.T) {
	clang, objdump := requireTools(t)
	total, bytesTotal := 0, 0
	for _, c := range clangCases {
		name := c.file + strings.Join(c.flags, "")
		t.Run(name, func(t *testing.T) {
			obj := filepath.Join(t.TempDir(), "prog.o")
			args := append([]string{"-target", "bpf", "-O2", "-g", "-c"}, c.flags...)
			args = append(args, "-I", filepath.Join("..", "..", "testdata", "clang"),
				filepath.Join("..", "..", "testdata", "clang", c.file), "-o", obj)
			run(t, clang, args...)

			ef, err := elf.Open(obj)
			if err != nil {
				t.Fatal(err)
			}
			defer ef.Close()
			syms, err := ef.Symbols()
			if err != nil {
				t.Fatal(err)
			}

			// 1. Plain text (with and without raw bytes) assembles to the
			// section's bytes, byte for byte.
			for _, flags := range [][]string{{"-d"}, {"-d", "-S", "--print-imm-hex"}, {"-d", "--no-show-raw-insn"}} {
				secs := sections(run(t, objdump, append(flags, obj)...))
				for sec, text := range secs {
					if flags[len(flags)-1] == "--no-show-raw-insn" && (strings.Contains(text, "<unknown>") || strings.Contains(text, "call -1")) {
						// Without raw bytes: llvm 14 cannot print some 32-bit
						// atomics, and prints bpf2bpf calls like helper calls.
						continue
					}
					insns, err := bpfasm.Assemble(text)
					if err != nil {
						t.Fatalf("%v: section %s: %v\n%s", flags, sec, err, text)
					}
					got, err := bpfasm.Encode(insns)
					if err != nil {
						t.Fatal(err)
					}
					want, err := ef.Section(sec).Data()
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("%v: section %s: assembled\n%x\nwant\n%x", flags, sec, got, want)
					}
					bytesTotal += len(want)
				}
			}

			// 2. With relocations, the text gives cilium's instructions.
			asmd := map[string]asm.Instructions{}
			for sec, text := range sections(run(t, objdump, "-d", "-r", obj)) {
				insns, err := bpfasm.Assemble(text)
				if err != nil {
					t.Fatalf("section %s: %v\n%s", sec, err, text)
				}
				asmd[sec] = insns
			}
			spec, err := ebpf.LoadCollectionSpec(obj)
			if err != nil {
				t.Fatal(err)
			}
			symByName := map[string]elf.Symbol{}
			for _, s := range syms {
				symByName[s.Name] = s
			}
			secName := func(s elf.Symbol) string {
				if int(s.Section) < len(ef.Sections) {
					return ef.Sections[s.Section].Name
				}
				return ""
			}
			funcAt := func(sec string, off uint64) string {
				for _, s := range syms {
					if elf.ST_TYPE(s.Info) == elf.STT_FUNC && secName(s) == sec && s.Value == off {
						return s.Name
					}
				}
				return ""
			}
			// link does what a loader does with a relocation the assembler
			// only records by symbol name.
			link := func(ins asm.Instruction) asm.Instruction {
				ref := ins.Reference()
				switch {
				case ins.OpCode.IsDWordLoad() && ref != "" && !strings.HasPrefix(ref, "."):
					if s, ok := symByName[ref]; ok && strings.HasPrefix(secName(s), ".") && secName(s) != ".maps" {
						ins.Src = asm.PseudoMapValue
						ins.Constant = int64((s.Value + uint64(uint32(ins.Constant))) << 32)
						ins = ins.WithReference(secName(s))
					}
				case ins.IsFunctionCall() && strings.HasPrefix(ref, "."):
					ins = ins.WithReference(funcAt(ref, uint64(ins.Constant+1)*8))
					ins.Constant = -1
				}
				return ins
			}
			compared := 0
			for _, p := range spec.Programs {
				// Split the program into its functions by symbol.
				var fn string
				funcs := map[string]asm.Instructions{}
				var order []string
				for _, ins := range p.Instructions {
					if s := ins.Symbol(); s != "" {
						fn = s
						order = append(order, fn)
					}
					funcs[fn] = append(funcs[fn], ins)
				}
				for _, fn := range order {
					want := funcs[fn]
					s, ok := symByName[fn]
					if !ok {
						t.Fatalf("no ELF symbol for %s", fn)
					}
					all := asmd[secName(s)]
					var got asm.Instructions
					slot := uint64(0)
					for _, ins := range all {
						if slot >= s.Value/8 && slot < (s.Value+s.Size)/8 {
							got = append(got, ins)
						}
						slot += ins.Size() / 8
					}
					if len(got) != len(want) {
						t.Fatalf("%s/%s: %d instructions assembled, cilium has %d", p.Name, fn, len(got), len(want))
					}
					for i := range want {
						g, w := link(got[i]), want[i]
						if g.OpCode != w.OpCode || g.Dst != w.Dst || g.Src != w.Src || g.Offset != w.Offset ||
							g.Constant != w.Constant || g.Reference() != w.Reference() {
							t.Errorf("%s/%s insn %d: assembled %v (ref %q), cilium %v (ref %q)",
								p.Name, fn, i, g, g.Reference(), w, w.Reference())
						}
						compared++
					}
				}

				// 3. cilium's program text round-trips through our syntax.
				text := bpfasm.Disassemble(p.Instructions)
				back, err := bpfasm.Assemble(text)
				if err != nil {
					t.Fatalf("%s: %v\n%s", p.Name, err, text)
				}
				b1, err1 := bpfasm.Encode(p.Instructions)
				b2, err2 := bpfasm.Encode(back)
				if err1 != nil || err2 != nil || !bytes.Equal(b1, b2) {
					t.Errorf("%s: Encode(spec) %v / Encode(Assemble(Disassemble(spec))) %v differ\n%s", p.Name, err1, err2, text)
				}
				for i, ins := range back {
					if ins.Reference() != "" && ins.IsLoadFromMap() {
						if _, ok := spec.Maps[ins.Reference()]; !ok {
							t.Errorf("%s insn %d: reference %q is not a map of the object", p.Name, i, ins.Reference())
						}
					}
				}
			}
			if compared == 0 {
				t.Fatal("no instructions compared")
			}
			total += compared
		})
	}
	t.Logf("compared %d instructions with cilium/ebpf's ELF loader and %d bytes with the object files", total, bytesTotal)
	if !testing.Verbose() {
		os.Stdout.WriteString("bpfasm clang oracle: compared " + itoa(total) + " instructions, " + itoa(bytesTotal) + " bytes\n")
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
