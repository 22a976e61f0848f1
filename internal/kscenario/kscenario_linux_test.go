//go:build linux

package kscenario

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/lessons"
	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/scenario"
)

type namedScript struct{ name, src string }

func scripts(t *testing.T) []namedScript {
	var out []namedScript
	root := filepath.Join("..", "..", "testdata")
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".bpfs") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, path)
		out = append(out, namedScript{"testdata/" + rel, string(b)})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	for _, l := range lessons.All() {
		out = append(out, namedScript{"lesson " + l.ID, l.Script})
	}
	return out
}

// TestScenariosOnKernel runs every testdata/**/*.bpfs and every lesson
// scenario whose statements are all map statements on the kernel and on the
// simulator, and compares the results statement by statement.
func TestScenariosOnKernel(t *testing.T) {
	kernel.Require(t)
	ncpu := kernel.PossibleCPUs()
	checked, skipped, stmts, progStmts, bad := 0, 0, 0, 0, 0
	runStmts, fsStmts := 0, 0
	for _, ns := range scripts(t) {
		s, err := scenario.Parse(ns.name, ns.src)
		if err != nil {
			t.Logf("%s: does not parse (the scenario tests report it): %v", ns.name, err)
			skipped++
			continue
		}
		shift := 0
		ok, why := Checkable(s, ncpu)
		if !ok && strings.Contains(why, "CPU(s), this kernel has") {
			// Check the model at the host's CPU count instead.
			src, sh := withCPUs(s, ns.src, ncpu)
			if s2, err := scenario.Parse(ns.name, src); err == nil {
				if ok, why = Checkable(s2, ncpu); ok {
					s, shift = s2, sh
					t.Logf("%s: checked with cpus %d (the scenario is written for another count)", ns.name, ncpu)
				}
			}
		}
		if !ok && strings.Contains(why, "is not zero_seed") {
			// Check the model with hash seed 0 on both sides instead.
			if s2, err := scenario.Parse(ns.name, withZeroSeed(s, s.Src)); err == nil {
				if ok, why = Checkable(s2, ncpu); ok {
					s = s2
					t.Logf("%s: checked with zero_seed added to its hash maps", ns.name)
				}
			}
			if !ok && strings.Contains(why, "CPU(s), this kernel has") {
				if s2, err := scenario.Parse(ns.name, withZeroSeed(s, s.Src)); err == nil {
					src, sh := withCPUs(s2, s2.Src, ncpu)
					if s3, err := scenario.Parse(ns.name, src); err == nil {
						if ok, why = Checkable(s3, ncpu); ok {
							s, shift = s3, sh
						}
					}
				}
			}
		}
		if !ok {
			t.Logf("%s: not kernel-checkable: %s", ns.name, why)
			skipped++
			continue
		}
		tr := scenario.Run(s, scenario.Options{NoEvents: true})
		kres, err := Run(s)
		if err != nil {
			t.Errorf("%s: kernel run: %v", ns.name, err)
			continue
		}
		checked++
		for i := range tr.Steps {
			step, kr := &tr.Steps[i], &kres[i]
			if kr.Skipped {
				continue
			}
			stmts++
			switch {
			case strings.HasPrefix(kr.Op, "bpf "):
				progStmts++
			case kr.Op == "prog" || kr.Op == "run":
				runStmts++
			case progStatements[kr.Op]:
				fsStmts++
			}
			if msg := compareStep(tr, i, step, kr); msg != "" {
				bad++
				t.Errorf("%s:%d: %s\n  kernel and sim differ: %s", ns.name, step.Line-shift, step.Text, msg)
			}
		}
	}
	line := fmt.Sprintf("kernel-checked scenarios: %d run on both, %d not checkable, %d statements compared (%d through programs, %d prog/run, %d bpffs), %d differ", checked, skipped, stmts, progStmts, runStmts, fsStmts, bad)
	t.Log(line)
	t.Logf("programs loaded by this test binary: %d", kernel.Loads())
	if testing.Verbose() {
		fmt.Println("ORACLE " + line)
	}
}

func compareStep(tr *scenario.Trace, i int, step *scenario.Step, kr *Result) string {
	if (step.Err != nil) != (kr.Err != nil) {
		return fmt.Sprintf("script error: sim %v, kernel %v", step.Err, kr.Err)
	}
	if step.Err != nil {
		return ""
	}
	if step.Errno != kr.Errno {
		msg := fmt.Sprintf("errno: sim %v, kernel %v", step.Errno, kr.Errno)
		if kr.Log != "" {
			msg += " (kernel: " + kr.Log + ")"
		}
		return msg
	}
	if kr.Op == "run" && step.Errno == sim.OK {
		// BPF_PROG_TEST_RUN's retval is 32 bits.
		switch {
		case step.Ret == nil || kr.Ret == nil:
			return fmt.Sprintf("run: sim R0 %v, kernel R0 %v", step.Ret, kr.Ret)
		case uint32(*step.Ret) != uint32(*kr.Ret):
			return fmt.Sprintf("run: sim R0 %d, kernel R0 %d", *step.Ret, *kr.Ret)
		}
	}
	if kr.FDValue && len(step.Value) == 4 {
		id := binary.LittleEndian.Uint32(step.Value)
		name := ""
		if kr.ProgValue {
			if p, ok := tr.WorldAt(i).ProgByID(id); ok {
				name = p.ProgName()
			}
		} else if m, ok := tr.WorldAt(i).MapByID(id); ok {
			name = m.Name
		}
		if name != kr.Name || name == "" {
			return fmt.Sprintf("fd-map value: sim id %d (%q), kernel %q", id, name, kr.Name)
		}
	} else if !bytes.Equal(step.Value, kr.Value) {
		return fmt.Sprintf("value: sim %x, kernel %x", step.Value, kr.Value)
	}
	if !bytes.Equal(step.Key, kr.Key) {
		return fmt.Sprintf("key: sim %x, kernel %x", step.Key, kr.Key)
	}
	if len(step.Keys) != len(kr.Keys) {
		return fmt.Sprintf("walk: sim %d keys %x, kernel %d keys %x", len(step.Keys), step.Keys, len(kr.Keys), kr.Keys)
	}
	for j := range step.Keys {
		if !bytes.Equal(step.Keys[j], kr.Keys[j]) {
			return fmt.Sprintf("walk: sim %x, kernel %x", step.Keys, kr.Keys)
		}
	}
	return ""
}

// withCPUs sets the scenario's CPU count to n: existing `cpus` lines are
// rewritten, or a first line is added (shift is then 1).
func withCPUs(s *scenario.Script, src string, n int) (string, int) {
	lines := strings.Split(src, "\n")
	found := false
	for _, st := range s.Stmts {
		if st.Op == "cpus" {
			lines[st.Line-1] = fmt.Sprintf("cpus %d", n)
			found = true
		}
	}
	if found {
		return strings.Join(lines, "\n"), 0
	}
	return fmt.Sprintf("cpus %d\n", n) + src, 1
}

// withZeroSeed adds zero_seed to the flags of every hash-family or bloom
// map that has neither zero_seed nor seed=, so that the kernel's order is
// the simulator's (hash seed 0 on both sides).
func withZeroSeed(s *scenario.Script, src string) string {
	lines := strings.Split(src, "\n")
	for i := len(s.Stmts) - 1; i >= 0; i-- {
		st := s.Stmts[i]
		if st.Op != "map" {
			continue
		}
		if _, ok := st.Opt("seed"); ok {
			continue
		}
		o, _ := st.Opt("type")
		t, err := sim.ParseMapType(o.Value)
		if err != nil {
			continue
		}
		switch t {
		case sim.MapHash, sim.MapPercpuHash, sim.MapLRUHash, sim.MapLRUPercpuHash, sim.MapHashOfMaps, sim.MapBloomFilter:
		default:
			continue
		}
		line := lines[st.Line-1]
		if f, ok := st.Opt("flags"); ok {
			flags, _ := sim.ParseMapFlags(f.Value)
			if flags&sim.FlagZeroSeed != 0 {
				continue
			}
			at := f.ValCol - 1 + len(f.Value)
			lines[st.Line-1] = line[:at] + "|zero_seed" + line[at:]
			continue
		}
		at := st.Args[0].Tok.Col - 1 + len(st.Args[0].Tok.Text)
		lines[st.Line-1] = line[:at] + " flags=zero_seed" + line[at:]
	}
	return strings.Join(lines, "\n")
}
