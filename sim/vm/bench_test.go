package vm

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/bpfplay/bpfplay/sim"
)

// Benchmarks report instructions per second of the interpreter, without
// and with event recording (a sink that appends every event), next to a
// plain Go loop doing the same work in the same run.
//
//	go test -run '^$' -bench . ./sim/vm/
//	PATH=$PATH:$(go env GOROOT)/lib/wasm GOOS=js GOARCH=wasm go test -run '^$' -bench . ./sim/vm/

const aluLoop = `
r0 = 0
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

// goALU is the same arithmetic as aluLoop.
func goALU(n uint64) uint64 {
	var r0 uint64
	r2 := uint64(12345)
	for r1 := n; r1 != 0; r1-- {
		r0 += r1
		r2 *= 31
		r0 ^= r2
		r2 >>= 3
	}
	return r0
}

const lookupLoop = `
r6 = %d
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

func benchVM(b *testing.B, src string, iters int, record bool, setup func(w *sim.World)) {
	w := newWorld()
	if setup != nil {
		setup(w)
	}
	p := load(b, w, "bench", sim.ProgSocketFilter, fmt.Sprintf(src, iters))
	var events []sim.Event
	if record {
		w.SetSink(func(e sim.Event) { events = append(events, e) })
	}
	total := 0
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		events = events[:0]
		r := Run(w, p, Options{Budget: 1 << 30})
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		total += r.Insns
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds()/1e6, "Minsn/s")
	reportCPU(b, cpu0, float64(total))
	if record {
		b.ReportMetric(float64(len(events))/float64(total/b.N), "events/insn")
	}
}

// reportCPU adds instructions per CPU-second where the OS tells CPU time.
func reportCPU(b *testing.B, cpu0 time.Duration, insns float64) {
	if d := cpuTime() - cpu0; d > 0 && cpu0 > 0 {
		b.ReportMetric(insns/d.Seconds()/1e6, "Minsn/cpu-s")
	}
}

func BenchmarkALULoop(b *testing.B) {
	const iters = 100000
	b.Run("vm", func(b *testing.B) { benchVM(b, aluLoop, iters, false, nil) })
	b.Run("vm-recording", func(b *testing.B) { benchVM(b, aluLoop, iters/100, true, nil) })
	b.Run("paired", func(b *testing.B) {
		var sink uint64
		benchPaired(b, aluLoop, iters, nil, func() { sink += goALU(iters) })
		_ = sink
	})
	b.Run("go", func(b *testing.B) {
		var sink uint64
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			sink += goALU(iters)
		}
		reportCPU(b, cpu0, float64(b.N)*iters*6)
		// The VM runs 6 instructions per iteration: report the Go loop in
		// the same unit ("instruction equivalents" per second).
		b.ReportMetric(float64(b.N)*iters*6/b.Elapsed().Seconds()/1e6, "Minsn/s")
		_ = sink
	})
}

func BenchmarkMapLookupLoop(b *testing.B) {
	const iters = 20000
	setup := func(w *sim.World) {
		mkMap(b, w, sim.MapAttr{Name: "arr", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	}
	b.Run("vm", func(b *testing.B) { benchVM(b, lookupLoop, iters, false, setup) })
	b.Run("vm-recording", func(b *testing.B) { benchVM(b, lookupLoop, iters/100, true, setup) })
	b.Run("paired", func(b *testing.B) {
		w := newWorld()
		setup(w)
		m := w.Maps()[0]
		key := make([]byte, 4)
		var sink uint64
		benchPaired(b, lookupLoop, iters, setup, func() {
			for n := 0; n < iters; n++ {
				v, e := m.ProgLookup(key)
				if e != sim.OK {
					b.Fatal(e)
				}
				c := binary.LittleEndian.Uint64(v) + 1
				binary.LittleEndian.PutUint64(v, c)
				sink += c
			}
		})
		_ = sink
	})
	b.Run("go", func(b *testing.B) {
		w := newWorld()
		setup(w)
		m := w.Maps()[0]
		key := make([]byte, 4)
		var sink uint64
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			for n := 0; n < iters; n++ {
				v, e := m.ProgLookup(key)
				if e != sim.OK {
					b.Fatal(e)
				}
				c := binary.LittleEndian.Uint64(v) + 1
				binary.LittleEndian.PutUint64(v, c)
				sink += c
			}
		}
		reportCPU(b, cpu0, float64(b.N)*iters*12)
		// 12 VM instructions per iteration (LD_IMM64 counts once: a run
		// of 20,000 iterations is 240,004 instructions).
		b.ReportMetric(float64(b.N)*iters*12/b.Elapsed().Seconds()/1e6, "Minsn/s")
		_ = sink
	})
}

// benchPaired alternates one vm.Run of src (no recording) with one call of
// goLoop (the same work in plain Go), timing each, and reports the median
// rate of both in VM instructions per second and their ratio (go/vm: how
// many times slower the interpreter is). Both sides see the same load, which
// on a shared machine makes the ratio trustworthy where two separate rows
// are not. The benchmark's own ns/op is the sum of both sides.
func benchPaired(b *testing.B, src string, iters int, setup func(w *sim.World), goLoop func()) {
	w := newWorld()
	if setup != nil {
		setup(w)
	}
	p := load(b, w, "bench", sim.ProgSocketFilter, fmt.Sprintf(src, iters))
	insns := float64(Run(w, p, Options{Budget: 1 << 30}).Insns)
	var tv, tg []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		r := Run(w, p, Options{Budget: 1 << 30})
		t1 := time.Now()
		goLoop()
		t2 := time.Now()
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		tv = append(tv, insns/t1.Sub(t0).Seconds()/1e6)
		tg = append(tg, insns/t2.Sub(t1).Seconds()/1e6)
	}
	b.StopTimer()
	slices.Sort(tv)
	slices.Sort(tg)
	mv, mg := tv[len(tv)/2], tg[len(tg)/2]
	b.ReportMetric(mv, "vm-Minsn/s")
	b.ReportMetric(mg, "go-Minsn/s")
	b.ReportMetric(mg/mv, "go/vm")
}
