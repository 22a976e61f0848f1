//go:build linux

package sim_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

// The ring buffer data path needs programs: the verifier wants a constant
// reserve size and a submit or discard in the same program. So there is one
// program per (reserve size, submit|discard), and one bpf_ringbuf_output
// program whose size comes from the packet and whose data comes from an
// ARRAY value. All of them reach the ring through slot 0 of an ARRAY_OF_MAPS,
// so every scenario swaps its own ring in and the programs are loaded once.

var ringReserveSizes = []uint32{0, 1, 3, 8, 10, 16, 24, 100, 1000, 2040, 4072, 4080, 4088, 4096, 8000}

const ringDataMax = 8192 // the output program's data ARRAY value

// ringPattern is what the submit programs write into a reservation of n
// bytes: 8-byte stores of sign-extended immediates, then single bytes.
func ringPattern(n uint32) []byte {
	var b []byte
	for off := uint32(0); off+8 <= n; off += 8 {
		b = binary.LittleEndian.AppendUint64(b, uint64(int64(ringImm(off))))
	}
	for off := n &^ 7; off < n; off++ {
		b = append(b, byte(ringImm(off)))
	}
	return b
}

func ringImm(off uint32) int32 { return int32(off*2654435761 + 0x5bd1e995) }

func ringOutputData() []byte {
	b := make([]byte, ringDataMax)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

type ringKernel struct {
	outer  *kernel.Map
	data   *kernel.Map
	submit map[uint32]*ebpf.Program
	disc   map[uint32]*ebpf.Program
	output *ebpf.Program
	query  *ebpf.Program
}

func (rk *ringKernel) close() {
	for _, p := range rk.submit {
		p.Close()
	}
	for _, p := range rk.disc {
		p.Close()
	}
	if rk.output != nil {
		rk.output.Close()
	}
	if rk.query != nil {
		rk.query.Close()
	}
	rk.outer.Close()
	rk.data.Close()
}

// ringPrologue loads the ring from slot 0 of outer into R6 (or exits 1000).
func ringPrologue(outerFD int) asm.Instructions {
	return asm.Instructions{
		asm.StoreImm(asm.R10, -4, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.LoadMapPtr(asm.R1, outerFD),
		asm.FnMapLookupElem.Call(),
		asm.JNE.Imm(asm.R0, 0, "have_ring"),
		asm.Mov.Imm(asm.R0, 1000),
		asm.Return(),
		asm.Mov.Reg(asm.R6, asm.R0).WithSymbol("have_ring"),
	}
}

func newRingKernel(t *testing.T) *ringKernel {
	t.Helper()
	tmpl, e := kernel.CreateMap(kernel.Attr{Type: uint32(sim.MapRingbuf), MaxEntries: 4096})
	if e != 0 {
		t.Fatalf("ringbuf template: %v", e)
	}
	defer tmpl.Close()
	outer, e := kernel.CreateMap(kernel.Attr{Type: uint32(sim.MapArrayOfMaps), KeySize: 4, ValueSize: 4, MaxEntries: 1, InnerMapFD: tmpl.FD, Name: "rb_outer"})
	if e != 0 {
		t.Fatalf("outer: %v", e)
	}
	data, e := kernel.CreateMap(kernel.Attr{Type: uint32(sim.MapArray), KeySize: 4, ValueSize: ringDataMax, MaxEntries: 1, Name: "rb_data"})
	if e != 0 {
		outer.Close()
		t.Fatalf("data array: %v", e)
	}
	if e := data.Update(zeroKey4, ringOutputData(), 0); e != 0 {
		t.Fatalf("data array update: %v", e)
	}
	rk := &ringKernel{outer: outer, data: data, submit: map[uint32]*ebpf.Program{}, disc: map[uint32]*ebpf.Program{}}
	t.Cleanup(rk.close)
	load := func(insns asm.Instructions) *ebpf.Program {
		p, err := kernel.LoadProgramWithOptions(&ebpf.ProgramSpec{Type: ebpf.XDP, License: "GPL", Instructions: insns},
			ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch})
		if err != nil {
			t.Fatalf("load ringbuf program: %v", err)
		}
		return p
	}
	for _, n := range ringReserveSizes {
		for _, discard := range []bool{false, true} {
			insns := ringPrologue(outer.FD)
			insns = append(insns,
				asm.Mov.Reg(asm.R1, asm.R6),
				asm.Mov.Imm(asm.R2, int32(n)),
				asm.Mov.Imm(asm.R3, 0),
				asm.FnRingbufReserve.Call(),
				asm.JNE.Imm(asm.R0, 0, "reserved"),
				asm.Mov.Imm(asm.R0, 0),
				asm.Return(),
				asm.Mov.Reg(asm.R7, asm.R0).WithSymbol("reserved"),
			)
			if !discard {
				for off := uint32(0); off+8 <= n; off += 8 {
					insns = append(insns, asm.Instruction{OpCode: asm.StoreImmOp(asm.DWord), Dst: asm.R7, Offset: int16(off), Constant: int64(ringImm(off))})
				}
				for off := n &^ 7; off < n; off++ {
					insns = append(insns, asm.StoreImm(asm.R7, int16(off), int64(byte(ringImm(off))), asm.Byte))
				}
			}
			fn := asm.FnRingbufSubmit
			if discard {
				fn = asm.FnRingbufDiscard
			}
			insns = append(insns,
				asm.Mov.Reg(asm.R1, asm.R7),
				asm.Mov.Imm(asm.R2, 0),
				fn.Call(),
				asm.Mov.Imm(asm.R0, 1),
				asm.Return(),
			)
			if discard {
				rk.disc[n] = load(insns)
			} else {
				rk.submit[n] = load(insns)
			}
		}
	}
	// output: size = u16 at packet offset 0, data from the ARRAY value.
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
		asm.LoadMem(asm.R3, asm.R1, 4, asm.Word),
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, 2),
		asm.JLE.Reg(asm.R4, asm.R3, "pkt_ok"),
		asm.Mov.Imm(asm.R0, 1001),
		asm.Return(),
		asm.LoadMem(asm.R9, asm.R2, 0, asm.Half).WithSymbol("pkt_ok"),
		asm.JLE.Imm(asm.R9, ringDataMax, "size_ok"),
		asm.Mov.Imm(asm.R0, 1002),
		asm.Return(),
	}
	pro := ringPrologue(outer.FD)
	pro[0] = pro[0].WithSymbol("size_ok")
	insns = append(insns, pro...)
	insns = append(insns,
		asm.StoreImm(asm.R10, -8, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -8),
		asm.LoadMapPtr(asm.R1, data.FD),
		asm.FnMapLookupElem.Call(),
		asm.JNE.Imm(asm.R0, 0, "have_data"),
		asm.Mov.Imm(asm.R0, 1003),
		asm.Return(),
		asm.Mov.Reg(asm.R2, asm.R0).WithSymbol("have_data"),
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Reg(asm.R3, asm.R9),
		asm.Mov.Imm(asm.R4, 0),
		asm.FnRingbufOutput.Call(),
		asm.Return(),
	)
	rk.output = load(insns)
	// query: flags = u64 at packet offset 0; returns the answer (u32).
	insns = asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
		asm.LoadMem(asm.R3, asm.R1, 4, asm.Word),
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.Add.Imm(asm.R4, 8),
		asm.JLE.Reg(asm.R4, asm.R3, "pkt_ok"),
		asm.Mov.Imm(asm.R0, 1001),
		asm.Return(),
		asm.LoadMem(asm.R9, asm.R2, 0, asm.DWord).WithSymbol("pkt_ok"),
	}
	insns = append(insns, ringPrologue(outer.FD)...)
	insns = append(insns,
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Reg(asm.R2, asm.R9),
		asm.FnRingbufQuery.Call(),
		asm.Return(),
	)
	rk.query = load(insns)
	return rk
}

// ringOp is one ring buffer statement.
type ringOp struct {
	kind string // submit, discard, output, consume (n records), consume_all
	n    uint32
}

func (o ringOp) String() string { return fmt.Sprintf("%s %d", o.kind, o.n) }

// ringState is what both sides are compared on after every statement.
func kernelRingState(r *kernel.Ring) string {
	var b strings.Builder
	fmt.Fprintf(&b, "consumer %d producer %d:", r.Consumer(), r.Producer())
	for _, rec := range r.Records() {
		fmt.Fprintf(&b, " [%d len %#x", rec.Pos, rec.Len)
		if rec.Len&(1<<30) == 0 {
			fmt.Fprintf(&b, " %x", rec.Data)
		}
		b.WriteString("]")
	}
	return b.String()
}

func simRingState(m *sim.Map) string {
	v := m.Ringbuf().View()
	var b strings.Builder
	fmt.Fprintf(&b, "consumer %d producer %d:", v.Consumer, v.Producer)
	for _, rec := range v.Records {
		l := rec.Len
		if rec.Busy {
			l |= sim.RingBusyBit
		}
		if rec.Discard {
			l |= sim.RingDiscardBit
		}
		fmt.Fprintf(&b, " [%d len %#x", rec.Pos, l)
		if !rec.Discard {
			fmt.Fprintf(&b, " %x", rec.Data)
		}
		b.WriteString("]")
	}
	return b.String()
}

// runRingScenario runs ops on a fresh ring of size S on both sides. It
// returns the statements compared and a mismatch description.
func runRingScenario(rk *ringKernel, size uint32, ops []ringOp) (int, string, error) {
	n, msg, _, err := runRingScenarioState(rk, size, ops)
	return n, msg, err
}

// runRingScenarioState is runRingScenario that also returns the kernel's
// final positions and headers.
func runRingScenarioState(rk *ringKernel, size uint32, ops []ringOp) (stmts int, msg, final string, err error) {
	stmts, msg, final, err = runRingOps(rk, size, ops)
	return
}

func runRingOps(rk *ringKernel, size uint32, ops []ringOp) (int, string, string, error) {
	km, e := kernel.CreateMap(kernel.Attr{Type: uint32(sim.MapRingbuf), MaxEntries: size})
	if e != 0 {
		return 0, "", "", fmt.Errorf("create ring: %v", e)
	}
	defer km.Close()
	ring, err := kernel.MmapRing(km)
	if err != nil {
		return 0, "", "", err
	}
	defer ring.Close()
	fd := binary.LittleEndian.AppendUint32(nil, uint32(km.FD))
	if e := rk.outer.Update(zeroKey4, fd, 0); e != 0 {
		return 0, "", "", fmt.Errorf("swap ring in: %v", e)
	}
	w := sim.NewWorld(sim.Config{PossibleCPUs: kernel.PossibleCPUs()})
	sm, se := w.CreateMap(sim.MapAttr{Name: "rb", Type: sim.MapRingbuf, MaxEntries: size})
	if se != sim.OK {
		return 1, fmt.Sprintf("create: sim %v", se), "", nil
	}
	outData := ringOutputData()
	stmts := 0
	for i, op := range ops {
		var kres, sres string
		switch op.kind {
		case "submit", "discard":
			p := rk.submit[op.n]
			if op.kind == "discard" {
				p = rk.disc[op.n]
			}
			ret, err := p.Run(&ebpf.RunOptions{Data: make([]byte, 14)})
			if err != nil {
				return stmts, "", "", err
			}
			kres = map[uint32]string{0: "NULL", 1: "reserved"}[ret]
			if kres == "" {
				return stmts, "", "", fmt.Errorf("ring program returned %d", ret)
			}
			res, e := sm.RingReserve(uint64(op.n), 0)
			sres = "NULL"
			if e == sim.OK {
				sres = "reserved"
				if op.kind == "submit" {
					e = sm.RingSubmit(res, ringPattern(op.n))
				} else {
					e = sm.RingDiscard(res)
				}
				if e != sim.OK {
					sres = "commit " + e.String()
				}
			}
		case "output":
			pkt := make([]byte, 14)
			binary.LittleEndian.PutUint16(pkt, uint16(op.n))
			ret, err := rk.output.Run(&ebpf.RunOptions{Data: pkt})
			if err != nil {
				return stmts, "", "", err
			}
			kres = fmt.Sprintf("%d", int32(ret))
			sres = fmt.Sprintf("%d", sm.RingOutput(outData[:op.n], 0).Neg())
		case "query":
			pkt := make([]byte, 14)
			binary.LittleEndian.PutUint64(pkt, uint64(op.n))
			ret, err := rk.query.Run(&ebpf.RunOptions{Data: pkt})
			if err != nil {
				return stmts, "", "", err
			}
			kres = fmt.Sprintf("%d", ret)
			sres = fmt.Sprintf("%d", uint32(sm.RingQuery(uint64(op.n))))
		case "consume", "consume_all":
			recs := ring.Records()
			k := len(recs)
			if op.kind == "consume" && int(op.n) < k {
				k = int(op.n)
			}
			pos := ring.Producer()
			if k < len(recs) {
				pos = recs[k].Pos
			}
			ring.SetConsumer(pos)
			kres = fmt.Sprintf("consumer := %d", pos)
			v := sm.Ringbuf().View()
			spos := v.Producer
			if k < len(v.Records) {
				spos = v.Records[k].Pos
			}
			sm.RingSetConsumer(spos)
			sres = fmt.Sprintf("consumer := %d", spos)
		}
		stmts++
		kst, sst := kernelRingState(ring), simRingState(sm)
		if kres != sres || kst != sst {
			var b bytes.Buffer
			fmt.Fprintf(&b, "ring %d, statement %d (%s)\n", size, i+1, op)
			for j, o := range ops[:i+1] {
				fmt.Fprintf(&b, "  %3d: %s\n", j+1, o)
			}
			fmt.Fprintf(&b, "kernel: %s; %s\nsim:    %s; %s", kres, kst, sres, sst)
			return stmts, b.String(), "", nil
		}
	}
	return stmts, "", kernelRingState(ring), nil
}

// TestOracleRingbuf runs the §9.4 live vector and random reserve/submit/
// discard/output/consume scenarios on the kernel (positions and headers
// read through mmap) and the simulator.
func TestOracleRingbuf(t *testing.T) {
	kernel.Require(t)
	requireSimulated(t, sim.MapRingbuf)
	rk := newRingKernel(t)
	var st oracleStats
	fail := func(name, msg string) {
		st.mismatches++
		if st.mismatches <= maxReports {
			t.Errorf("%s: kernel and sim differ:\n%s", name, msg)
		}
	}
	// §9.4: S = 4096.
	vec := []ringOp{{"submit", 16}, {"discard", 10}, {"output", 3}}
	for i := 0; i < 168; i++ {
		vec = append(vec, ringOp{"submit", 16})
	}
	vec = append(vec, ringOp{"output", 3}, ringOp{"consume", 1}, ringOp{"submit", 16}, ringOp{"consume", 1},
		ringOp{"submit", 16}, ringOp{"submit", 4088}, ringOp{"consume_all", 0}, ringOp{"submit", 4088}, ringOp{"submit", 4080},
		ringOp{"consume_all", 0}, ringOp{"output", 4080}, ringOp{"output", 1}, ringOp{"consume_all", 0}, ringOp{"output", 4088})
	n, msg, final, err := runRingScenarioState(rk, 4096, vec)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("§9.4 vector, final kernel state (equal in the sim): %s", final)
	if _, _, mid, err := runRingScenarioState(rk, 4096, vec[:173]); err == nil {
		t.Logf("§9.4 vector after step 5: %.160s ...", mid)
	}
	st.scenarios++
	st.statements += n
	if msg != "" {
		fail("§9.4 vector", msg)
	}
	scenarios := 1500
	if testing.Short() {
		scenarios = 30
	}
	for seed := uint64(1); seed <= uint64(scenarios); seed++ {
		r := rand.New(rand.NewPCG(seed, 27))
		size := []uint32{4096, 4096, 8192, 16384}[r.IntN(4)]
		var ops []ringOp
		for i, nops := 0, 20+r.IntN(120); i < nops; i++ {
			switch x := r.IntN(100); {
			case x < 35:
				ops = append(ops, ringOp{"submit", ringReserveSizes[r.IntN(len(ringReserveSizes))]})
			case x < 50:
				ops = append(ops, ringOp{"discard", ringReserveSizes[r.IntN(len(ringReserveSizes))]})
			case x < 75:
				sz := uint32(r.IntN(64))
				if r.IntN(4) == 0 {
					sz = uint32(r.IntN(ringDataMax + 1))
				}
				ops = append(ops, ringOp{"output", sz})
			case x < 88:
				ops = append(ops, ringOp{"consume", uint32(1 + r.IntN(4))})
			case x < 93:
				ops = append(ops, ringOp{"query", uint32(r.IntN(5))})
			default:
				ops = append(ops, ringOp{"consume_all", 0})
			}
		}
		n, msg, err := runRingScenario(rk, size, ops)
		if err != nil {
			t.Fatal(err)
		}
		st.scenarios++
		st.statements += n
		if msg != "" {
			fail(fmt.Sprintf("ringbuf seed %d", seed), msg)
		}
	}
	st.summary(t, "ringbuf")
}
