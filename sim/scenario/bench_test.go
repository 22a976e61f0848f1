package scenario_test

// Instructions per second of a `run` statement executed through
// scenario.Run, i.e. with the playground's trace recording (a World
// checkpoint, the step's result and its first DefaultMaxEvents events; the
// listener then detaches and instruction-level state is rebuilt by replay,
// Trace.MachineAt), next to the same program through vm.Run without any
// recording, in the same invocation. BENCHMARKS.md has the numbers.
//
//	go test -run '^$' -bench . -count 5 ./sim/scenario/
//	PATH="$PATH:$(go env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm go test -run '^$' -bench . -count 5 ./sim/scenario/
//
// Rows of each benchmark:
//
//	scenario        scenario.Run of the whole script (parse excluded): a new
//	                World, map create, prog load, the run step with events
//	vm              vm.Run of the same program on a prepared World, no sink
//	scenario-short  a run short enough that every instruction event is kept
//	vm-short        the same short program through vm.Run
//	machineat       Trace.MachineAt(step, n): the instruction-level replay
//	                (Machine.Step n times on a clone) behind step-into

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/bpfasm"
	"github.com/bpfplay/bpfplay/sim/scenario"
	"github.com/bpfplay/bpfplay/sim/vm"
)

// The same programs as sim/vm/bench_test.go.
const benchALU = `r0 = 0
r1 = %d
r2 = 12345
loop:
r0 += r1
r2 *= 31
r0 ^= r2
r2 >>= 3
r1 -= 1
if r1 != 0 goto loop
exit`

const benchLookup = `r6 = %d
r7 = 0
loop:
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = map[arr]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r1 += 1
*(u64 *)(r0 + 0) = r1
r7 += r1
r6 -= 1
if r6 != 0 goto loop
out:
r0 = r7
exit`

const benchArr = "map arr type=array key=4 value=8 max=1\n"

type benchProg struct {
	maps string // scenario map statements
	body string // assembly with one %d: the loop count
}

// script is the scenario: the maps, the program, and one run statement
// (the last step).
func (bp benchProg) script(b *testing.B, iters int) *scenario.Script {
	var sb strings.Builder
	sb.WriteString(bp.maps)
	sb.WriteString("prog p type=socket_filter\n")
	for _, l := range strings.Split(fmt.Sprintf(bp.body, iters), "\n") {
		sb.WriteString("\t" + l + "\n")
	}
	sb.WriteString("end\nrun p\n")
	s, err := scenario.Parse("bench.bpfs", sb.String())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// direct loads the program into a World of its own for vm.Run.
func (bp benchProg) direct(b *testing.B, iters int) (*sim.World, *vm.Program) {
	w := sim.NewWorld(sim.Config{})
	if bp.maps != "" {
		if _, e := w.CreateMap(sim.MapAttr{Name: "arr", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1}); e != sim.OK {
			b.Fatal(e)
		}
	}
	insns, err := bpfasm.Assemble(fmt.Sprintf(bp.body, iters))
	if err != nil {
		b.Fatal(err)
	}
	resolve := func(name string) (*sim.Map, bool) {
		for _, m := range w.Maps() {
			if m.Name == name {
				return m, true
			}
		}
		return nil, false
	}
	p, err := vm.Load(w, "p", sim.ProgSocketFilter, insns, resolve)
	if err != nil {
		b.Fatal(err)
	}
	return w, p
}

// insnsOf is the instruction count of one run (the program is deterministic).
func (bp benchProg) insnsOf(b *testing.B, iters int) int {
	w, p := bp.direct(b, iters)
	r := vm.Run(w, p, vm.Options{})
	if r.Err != nil {
		b.Fatal(r.Err)
	}
	return r.Insns
}

func reportInsns(b *testing.B, insnsPerOp int) {
	b.ReportMetric(float64(insnsPerOp)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Minsn/s")
}

func benchScenario(b *testing.B, bp benchProg, iters int) {
	s := bp.script(b, iters)
	insns := bp.insnsOf(b, iters)
	last := len(s.Stmts) - 1
	var t *scenario.Trace
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t = scenario.Run(s, scenario.Options{})
	}
	b.StopTimer()
	st := t.Steps[last]
	if st.Err != nil || st.Ret == nil {
		b.Fatalf("run step: %v %v", st.Err, st.Errno)
	}
	reportInsns(b, insns)
	b.ReportMetric(float64(len(st.Events)), "events/run")
	b.ReportMetric(float64(insns), "insns/run")
}

func benchDirect(b *testing.B, bp benchProg, iters int) {
	w, p := bp.direct(b, iters)
	insns := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := vm.Run(w, p, vm.Options{})
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		insns = r.Insns
	}
	b.StopTimer()
	reportInsns(b, insns)
	b.ReportMetric(float64(insns), "insns/run")
}

// benchMachineAt replays half of the run statement instruction by
// instruction, as stepping into it does.
func benchMachineAt(b *testing.B, bp benchProg, iters int) {
	s := bp.script(b, iters)
	n := bp.insnsOf(b, iters) / 2
	t := scenario.Run(s, scenario.Options{})
	last := len(s.Stmts) - 1
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if m, _ := t.MachineAt(last, n); m == nil {
			b.Fatal("MachineAt: nil")
		}
	}
	b.StopTimer()
	reportInsns(b, n)
}

const (
	longALU     = 100000 // 600,004 instructions
	longLookup  = 20000  // 260,004 instructions
	shortALU    = 3000   // 18,004 instructions: every event is kept
	shortLookup = 1000   // 13,004 instructions
)

func BenchmarkScenarioALULoop(b *testing.B) {
	bp := benchProg{body: benchALU}
	b.Run("scenario", func(b *testing.B) { benchScenario(b, bp, longALU) })
	b.Run("vm", func(b *testing.B) { benchDirect(b, bp, longALU) })
	b.Run("scenario-short", func(b *testing.B) { benchScenario(b, bp, shortALU) })
	b.Run("vm-short", func(b *testing.B) { benchDirect(b, bp, shortALU) })
	b.Run("machineat", func(b *testing.B) { benchMachineAt(b, bp, longALU) })
}

func BenchmarkScenarioMapLookupLoop(b *testing.B) {
	bp := benchProg{maps: benchArr, body: benchLookup}
	b.Run("scenario", func(b *testing.B) { benchScenario(b, bp, longLookup) })
	b.Run("vm", func(b *testing.B) { benchDirect(b, bp, longLookup) })
	b.Run("scenario-short", func(b *testing.B) { benchScenario(b, bp, shortLookup) })
	b.Run("vm-short", func(b *testing.B) { benchDirect(b, bp, shortLookup) })
	b.Run("machineat", func(b *testing.B) { benchMachineAt(b, bp, longLookup) })
}
