package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/cilium/ebpf"

	"github.com/bpfplay/bpfplay/sim/bpfasm"
)

func init() {
	registerCommand("asm", "assemble pseudo-C BPF assembly", cmdAsm)
	registerCommand("disasm", "disassemble a BPF ELF object", cmdDisasm)
}

// cmdAsm is `bpfplay asm FILE|-`: it prints the encoded program, one
// instruction a line, as the lowercase hex of its 8 bytes (16 for a 64-bit
// immediate load). Assembly errors go to stderr as FILE:LINE:COL: message,
// exit status 2.
func cmdAsm(args []string) int {
	if len(args) != 1 || (strings.HasPrefix(args[0], "-") && args[0] != "-") {
		fmt.Fprintln(stderr, "usage: bpfplay asm FILE|-")
		return 2
	}
	name := args[0]
	var src []byte
	var err error
	if name == "-" {
		src, err = io.ReadAll(stdin)
	} else {
		src, err = os.ReadFile(name)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bpfplay asm: %v\n", err)
		return 2
	}
	insns, err := bpfasm.Assemble(string(src))
	if err != nil {
		var list bpfasm.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintf(stderr, "%s:%d:%d: %s\n", name, e.Line, e.Col, e.Msg)
			}
		} else {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
		}
		return 2
	}
	b, err := bpfasm.Encode(insns)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	var out strings.Builder
	for _, ins := range insns {
		n := int(ins.Size())
		out.WriteString(hex.EncodeToString(b[:n]))
		out.WriteByte('\n')
		b = b[n:]
	}
	io.WriteString(stdout, out.String())
	return 0
}

// cmdDisasm is `bpfplay disasm OBJ.o [SECTION]`: it prints the text of every
// program of a BPF ELF object (or of those whose section or name is
// SECTION), each introduced by a comment line, in section then name order.
func cmdDisasm(args []string) int {
	if len(args) < 1 || len(args) > 2 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: bpfplay disasm OBJ.o [SECTION]")
		return 2
	}
	spec, err := ebpf.LoadCollectionSpec(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "bpfplay disasm: %v\n", err)
		return 1
	}
	progs := make([]*ebpf.ProgramSpec, 0, len(spec.Programs))
	for _, p := range spec.Programs {
		if len(args) == 2 && p.SectionName != args[1] && p.Name != args[1] {
			continue
		}
		progs = append(progs, p)
	}
	if len(progs) == 0 {
		if len(args) == 2 {
			fmt.Fprintf(stderr, "bpfplay disasm: %s: no program in section %q\n", args[0], args[1])
		} else {
			fmt.Fprintf(stderr, "bpfplay disasm: %s: no programs\n", args[0])
		}
		return 1
	}
	sort.Slice(progs, func(i, j int) bool {
		if progs[i].SectionName != progs[j].SectionName {
			return progs[i].SectionName < progs[j].SectionName
		}
		return progs[i].Name < progs[j].Name
	})
	var out strings.Builder
	for i, p := range progs {
		if i > 0 {
			out.WriteByte('\n')
		}
		fmt.Fprintf(&out, "; program %s, section %s, %d instructions\n", p.Name, p.SectionName, len(p.Instructions))
		out.WriteString(bpfasm.Disassemble(p.Instructions))
	}
	io.WriteString(stdout, out.String())
	return 0
}
