//go:build linux

package vm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

// Kernel oracle for the interpreter: the same programs run through
// BPF_PROG_TEST_RUN on the live kernel and in the simulator; return values
// and map contents must be identical. Programs are loaded one at a time
// through kernel.LoadProgram (serialized across processes), and each is
// closed right after its runs.

type fder int

func (f fder) FD() int { return int(f) }

const (
	ioValueSize = 128 // inputs 0..31, scratch 32..63, outputs 64..127
	ioIn        = 0
	ioScratch   = 32
	ioOut       = 64
)

// scalar registers of the generated programs (R6 ctx, R9 value, R10 fp).
var scalarRegs = []asm.Register{asm.R0, asm.R1, asm.R2, asm.R3, asm.R4, asm.R5, asm.R7, asm.R8}

// ioPrologue looks up io[0] into R9 (R6 keeps ctx) and returns 0 when the
// lookup fails.
func ioPrologue() asm.Instructions {
	return asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.StoreImm(asm.R10, -4, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.LoadMapPtr(asm.R1, 0).WithReference("io"),
		asm.FnMapLookupElem.Call(),
		{OpCode: asm.JNE.Op(asm.ImmSource), Dst: asm.R0, Offset: 2},
		asm.Mov.Imm(asm.R0, 0),
		asm.Return(),
		asm.Mov.Reg(asm.R9, asm.R0),
	}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

var (
	aluOps  = []asm.ALUOp{asm.Add, asm.Sub, asm.Mul, asm.Div, asm.SDiv, asm.Or, asm.And, asm.LSh, asm.RSh, asm.Mod, asm.SMod, asm.Xor, asm.Mov, asm.ArSh}
	jmpOps  = []asm.JumpOp{asm.JEq, asm.JGT, asm.JGE, asm.JSet, asm.JNE, asm.JSGT, asm.JSGE, asm.JLT, asm.JLE, asm.JSLT, asm.JSLE}
	sizes   = []asm.Size{asm.Byte, asm.Half, asm.Word, asm.DWord}
	atomics = []asm.AtomicOp{asm.AddAtomic, asm.FetchAdd, asm.AndAtomic, asm.FetchAnd, asm.OrAtomic, asm.FetchOr, asm.XorAtomic, asm.FetchXor, asm.Xchg, asm.CmpXchg}
)

func randImm(r *rand.Rand) int32 {
	switch r.IntN(4) {
	case 0:
		return int32(r.IntN(17)) - 8
	case 1:
		return pick(r, []int32{0, 1, -1, 0x7fffffff, -0x80000000, 255, 0xffff, 64, 63, 31, 32})
	}
	return int32(r.Uint32())
}

func randValue(r *rand.Rand) uint64 {
	switch r.IntN(4) {
	case 0:
		return uint64(int64(r.IntN(33)) - 16)
	case 1:
		return pick(r, []uint64{0, 1, 1<<63 - 1, 1 << 63, 0xffffffff, 0x80000000, 0x7fffffff, 0xffffffff80000000, ^uint64(0)})
	}
	return r.Uint64()
}

// randProgram builds prologue, n random instructions and the epilogue that
// stores every scalar register into the outputs.
func randProgram(r *rand.Rand, n int) asm.Instructions {
	p := ioPrologue()
	for i, reg := range []asm.Register{asm.R1, asm.R2, asm.R3, asm.R4} {
		p = append(p, asm.LoadMem(reg, asm.R9, int16(ioIn+8*i), asm.DWord))
	}
	p = append(p, asm.Mov.Reg(asm.R5, asm.R1), asm.Xor.Reg(asm.R5, asm.R3),
		asm.Mov.Reg(asm.R7, asm.R2), asm.Add.Reg(asm.R7, asm.R4),
		asm.Mov.Reg(asm.R8, asm.R3), asm.Mul.Imm(asm.R8, 7), asm.Mov.Reg(asm.R0, asm.R4))
	for i, reg := range scalarRegs {
		p = append(p, asm.StoreMem(asm.R10, int16(-8*(i+1)), reg, asm.DWord))
	}
	body := make(asm.Instructions, 0, n)
	type pendingJump struct{ at, skip int }
	var jumps []pendingJump
	for len(body) < n {
		dst, src := pick(r, scalarRegs), pick(r, scalarRegs)
		is64 := r.IntN(2) == 0
		switch k := r.IntN(100); {
		case k < 40: // ALU
			op := pick(r, aluOps)
			if r.IntN(2) == 0 {
				if is64 {
					body = append(body, op.Reg(dst, src))
				} else {
					body = append(body, op.Reg32(dst, src))
				}
				break
			}
			imm := randImm(r)
			switch op {
			case asm.Div, asm.SDiv, asm.Mod, asm.SMod:
				if imm == 0 {
					imm = 3
				}
			case asm.LSh, asm.RSh, asm.ArSh:
				if is64 {
					imm = int32(r.IntN(64))
				} else {
					imm = int32(r.IntN(32))
				}
			}
			if is64 {
				body = append(body, op.Imm(dst, imm))
			} else {
				body = append(body, op.Imm32(dst, imm))
			}
		case k < 44:
			if is64 {
				body = append(body, asm.Neg.Imm(dst, 0))
			} else {
				body = append(body, asm.Neg.Imm32(dst, 0))
			}
		case k < 48:
			if is64 {
				body = append(body, pick(r, []asm.ALUOp{asm.MovSX8, asm.MovSX16, asm.MovSX32}).Reg(dst, src))
			} else {
				body = append(body, pick(r, []asm.ALUOp{asm.MovSX8, asm.MovSX16}).Reg32(dst, src))
			}
		case k < 52:
			sz := pick(r, []asm.Size{asm.Half, asm.Word, asm.DWord})
			switch r.IntN(3) {
			case 0:
				body = append(body, asm.HostTo(asm.BE, dst, sz))
			case 1:
				body = append(body, asm.HostTo(asm.LE, dst, sz))
			default:
				body = append(body, asm.BSwap(dst, sz))
			}
		case k < 55:
			body = append(body, asm.LoadImm(dst, int64(randValue(r)), asm.DWord))
		case k < 70: // forward jump
			op := pick(r, jmpOps)
			var ins asm.Instruction
			switch r.IntN(4) {
			case 0:
				ins = asm.Instruction{OpCode: op.Op(asm.ImmSource), Dst: dst, Constant: int64(randImm(r))}
			case 1:
				ins = asm.Instruction{OpCode: op.Op(asm.RegSource), Dst: dst, Src: src}
			case 2:
				ins = asm.Instruction{OpCode: asm.OpCode(asm.Jump32Class).SetJumpOp(op).SetSource(asm.ImmSource), Dst: dst, Constant: int64(randImm(r))}
			default:
				ins = asm.Instruction{OpCode: asm.OpCode(asm.Jump32Class).SetJumpOp(op).SetSource(asm.RegSource), Dst: dst, Src: src}
			}
			jumps = append(jumps, pendingJump{at: len(body), skip: r.IntN(6)})
			body = append(body, ins)
		case k < 78: // stack
			sz := pick(r, sizes)
			off := -8*int16(1+r.IntN(8)) + int16(r.IntN(8/sz.Sizeof())*sz.Sizeof())
			switch r.IntN(4) {
			case 0:
				body = append(body, asm.StoreMem(asm.R10, off, src, sz))
			case 1:
				body = append(body, asm.Instruction{OpCode: asm.StoreImmOp(sz), Dst: asm.R10, Offset: off, Constant: int64(randImm(r))})
			case 2:
				if sz != asm.DWord {
					body = append(body, asm.LoadMemSX(dst, asm.R10, off, sz))
					break
				}
				fallthrough
			default:
				body = append(body, asm.LoadMem(dst, asm.R10, off, sz))
			}
		case k < 88: // map value scratch
			sz := pick(r, sizes)
			off := int16(ioScratch + r.IntN(32/sz.Sizeof())*sz.Sizeof())
			switch r.IntN(4) {
			case 0:
				body = append(body, asm.StoreMem(asm.R9, off, src, sz))
			case 1:
				body = append(body, asm.Instruction{OpCode: asm.StoreImmOp(sz), Dst: asm.R9, Offset: off, Constant: int64(randImm(r))})
			case 2:
				if sz != asm.DWord {
					body = append(body, asm.LoadMemSX(dst, asm.R9, off, sz))
					break
				}
				fallthrough
			default:
				body = append(body, asm.LoadMem(dst, asm.R9, off, sz))
			}
		case k < 97: // atomics on the map value
			at := pick(r, atomics)
			sz := asm.DWord
			if r.IntN(3) == 0 && at != asm.CmpXchg { // no 32-bit CMPXCHG (6.18 quirk)
				sz = asm.Word
			}
			off := int16(ioScratch + r.IntN(32/sz.Sizeof())*sz.Sizeof())
			if at == asm.CmpXchg && src == asm.R0 {
				src = asm.R1
			}
			body = append(body, at.Mem(asm.R9, src, sz, off))
		default: // load-acquire / store-release on the map value
			sz := pick(r, sizes)
			off := int16(ioScratch + r.IntN(32/sz.Sizeof())*sz.Sizeof())
			if r.IntN(2) == 0 {
				body = append(body, asm.LoadAcquire(dst, asm.R9, sz, off))
			} else {
				body = append(body, asm.StoreRelease(asm.R9, src, sz, off))
			}
		}
	}
	// Resolve forward jumps: skip the next `skip` body instructions
	// (raw width counted), never past the end of the body.
	for _, j := range jumps {
		end := j.at + 1 + j.skip
		if end > len(body) {
			end = len(body)
		}
		raw := 0
		for _, ins := range body[j.at+1 : end] {
			raw += int(ins.Width())
		}
		body[j.at].Offset = int16(raw)
	}
	p = append(p, body...)
	for i, reg := range scalarRegs {
		p = append(p, asm.StoreMem(asm.R9, int16(ioOut+8*i), reg, asm.DWord))
	}
	p = append(p, asm.Mov.Reg(asm.R0, asm.R1), asm.Return())
	return p
}

type oracleEnv struct {
	t     *testing.T
	kio   *kernel.Map
	loads int
}

func (o *oracleEnv) loadKernel(typ ebpf.ProgramType, insns asm.Instructions, maps map[string]*kernel.Map) (*ebpf.Program, error) {
	k := append(asm.Instructions(nil), insns...)
	// cilium/ebpf v0.22.0 Instruction.Marshal encodes the immediate it read
	// before it derives the atomic operation from the opcode, so every
	// atomic would reach the kernel as BPF_ADD: put the operation into the
	// immediate ourselves.
	for i := range k {
		if at := k[i].OpCode.AtomicOp(); at != asm.InvalidAtomic {
			k[i].Constant = int64(uint32(at) >> 8)
		}
	}
	for name, m := range maps {
		if err := k.AssociateMap(name, fder(m.FD)); err != nil && !errors.Is(err, asm.ErrUnreferencedSymbol) {
			return nil, err
		}
	}
	o.loads++
	return kernel.LoadProgramWithOptions(&ebpf.ProgramSpec{Type: typ, License: "GPL", Instructions: k}, ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch, LogSizeStart: 1 << 20})
}

func TestOracleRandomPrograms(t *testing.T) {
	kernel.Require(t)
	nprogs := 2000
	if testing.Short() {
		nprogs = 150
	}
	const runsPerProg = 4
	kio, e := kernel.CreateMap(kernel.Attr{Type: uint32(sim.MapArray), KeySize: 4, ValueSize: ioValueSize, MaxEntries: 1})
	if e != 0 {
		t.Fatal(e)
	}
	defer kio.Close()
	o := &oracleEnv{t: t, kio: kio}
	r := rand.New(rand.NewPCG(2026, 618))
	pkt := make([]byte, 64)
	var compared, rejected, mismatches int
	for i := 0; i < nprogs; i++ {
		insns := randProgram(r, 8+r.IntN(40))
		kp, err := o.loadKernel(ebpf.SocketFilter, insns, map[string]*kernel.Map{"io": kio})
		if err != nil {
			var ve *ebpf.VerifierError
			if errors.As(err, &ve) {
				rejected++
				if rejected <= 3 {
					t.Logf("program %d rejected by the verifier (skipped): %v\n%v", i, ve.Log[max(0, len(ve.Log)-3):], insns)
				}
				continue
			}
			t.Fatalf("load: %v", err)
		}
		w := sim.NewWorld(sim.Config{})
		sio := mkMap(t, w, sim.MapAttr{Name: "io", Type: sim.MapArray, KeySize: 4, ValueSize: ioValueSize, MaxEntries: 1})
		sp, err := Load(w, "rand", sim.ProgSocketFilter, insns, resolver(w))
		if err != nil {
			kp.Close()
			t.Fatalf("program %d: the kernel accepts it, the simulator does not: %v\n%v", i, err, insns)
		}
		for run := 0; run < runsPerProg; run++ {
			val := make([]byte, ioValueSize)
			for j := 0; j < 4; j++ {
				binary.LittleEndian.PutUint64(val[8*j:], randValue(r))
			}
			if e := kio.Update(key(0), val, 0); e != 0 {
				t.Fatal(e)
			}
			sio.Update(key(0), val, 0)
			kret, err := kp.Run(&ebpf.RunOptions{Data: pkt})
			if err != nil {
				t.Fatalf("test_run: %v", err)
			}
			kval, _ := kio.Lookup(key(0), 0)
			res := Run(w, sp, Options{Packet: pkt})
			sval, _ := sio.Lookup(key(0), 0)
			compared++
			if res.Err != nil || uint32(res.R0) != kret || !bytes.Equal(kval, sval) {
				mismatches++
				if mismatches <= 5 {
					t.Errorf("program %d run %d: kernel r0=%#x, sim r0=%#x err=%v\ninputs %x\nkernel %x\nsim    %x\n%v",
						i, run, kret, uint32(res.R0), res.Err, val[:32], kval[32:], sval[32:], insns)
				}
			}
		}
		kp.Close()
	}
	t.Logf("ORACLE vm random programs: %d loads, %d rejected by the verifier, %d runs compared, %d mismatches", o.loads, rejected, compared, mismatches)
	fmt.Printf("ORACLE vm random programs: %d loads, %d rejected by the verifier, %d runs compared, %d mismatches\n", o.loads, rejected, compared, mismatches)
	if rejected > nprogs/10 {
		t.Errorf("%d of %d generated programs rejected: the generator is too loose", rejected, nprogs)
	}
}

// helperProgram loads params from io (in[0] key, in[1] flags, in[2]
// value), calls the helper on map[target] and stores R0 (and for lookups
// and pops the value) into the outputs.
func helperProgram(helper asm.BuiltinFunc, valueSize int) asm.Instructions {
	p := ioPrologue()
	p = append(p,
		asm.LoadMem(asm.R1, asm.R9, ioIn, asm.DWord),
		asm.StoreMem(asm.R10, -4, asm.R1, asm.Word),
		asm.LoadMem(asm.R1, asm.R9, ioIn+16, asm.DWord),
		asm.StoreMem(asm.R10, -16, asm.R1, asm.DWord),
		asm.LoadMapPtr(asm.R1, 0).WithReference("target"),
	)
	switch helper {
	case asm.FnMapUpdateElem:
		p = append(p, asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -4), asm.Mov.Reg(asm.R3, asm.R10), asm.Add.Imm(asm.R3, -16),
			asm.LoadMem(asm.R4, asm.R9, ioIn+8, asm.DWord), helper.Call())
	case asm.FnMapDeleteElem:
		p = append(p, asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -4), helper.Call())
	case asm.FnMapLookupElem:
		p = append(p, asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -4), helper.Call(),
			asm.Mov.Imm(asm.R1, -1),
			asm.Instruction{OpCode: asm.JEq.Op(asm.ImmSource), Dst: asm.R0, Offset: 1},
			asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
			asm.StoreMem(asm.R9, ioOut+8, asm.R1, asm.DWord),
			asm.Mov.Imm(asm.R0, 0))
	case asm.FnMapPushElem:
		p = append(p, asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -16), asm.LoadMem(asm.R3, asm.R9, ioIn+8, asm.DWord), helper.Call())
	case asm.FnMapPopElem, asm.FnMapPeekElem:
		p = append(p, asm.StoreImm(asm.R10, -24, 0x55, asm.Word), asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -24), helper.Call(),
			asm.LoadMem(asm.R1, asm.R10, -24, asm.DWord), asm.StoreMem(asm.R9, ioOut+8, asm.R1, asm.DWord))
	case asm.FnRingbufOutput:
		p = append(p, asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -16), asm.Mov.Imm(asm.R3, 8), asm.LoadMem(asm.R4, asm.R9, ioIn+8, asm.DWord), helper.Call())
	case asm.FnRingbufQuery:
		p = append(p, asm.LoadMem(asm.R2, asm.R9, ioIn+8, asm.DWord), helper.Call())
	}
	_ = valueSize
	p = append(p, asm.StoreMem(asm.R9, ioOut, asm.R0, asm.DWord), asm.Mov.Imm(asm.R0, 0), asm.Return())
	return p
}

func TestOracleHelpers(t *testing.T) {
	kernel.Require(t)
	kio, e := kernel.CreateMap(kernel.Attr{Type: uint32(sim.MapArray), KeySize: 4, ValueSize: ioValueSize, MaxEntries: 1})
	if e != 0 {
		t.Fatal(e)
	}
	defer kio.Close()
	o := &oracleEnv{t: t, kio: kio}
	type target struct {
		attr    sim.MapAttr
		helpers []asm.BuiltinFunc
	}
	targets := []target{
		{sim.MapAttr{Name: "target", Type: sim.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 4, Flags: sim.FlagZeroSeed},
			[]asm.BuiltinFunc{asm.FnMapUpdateElem, asm.FnMapDeleteElem, asm.FnMapLookupElem}},
		{sim.MapAttr{Name: "target", Type: sim.MapLRUHash, KeySize: 4, ValueSize: 8, MaxEntries: 4, Flags: sim.FlagZeroSeed},
			[]asm.BuiltinFunc{asm.FnMapUpdateElem, asm.FnMapDeleteElem, asm.FnMapLookupElem}},
		{sim.MapAttr{Name: "target", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 4},
			[]asm.BuiltinFunc{asm.FnMapUpdateElem, asm.FnMapDeleteElem, asm.FnMapLookupElem}},
		{sim.MapAttr{Name: "target", Type: sim.MapQueue, ValueSize: 8, MaxEntries: 3},
			[]asm.BuiltinFunc{asm.FnMapPushElem, asm.FnMapPopElem, asm.FnMapPeekElem}},
		{sim.MapAttr{Name: "target", Type: sim.MapStack, ValueSize: 8, MaxEntries: 3},
			[]asm.BuiltinFunc{asm.FnMapPushElem, asm.FnMapPopElem, asm.FnMapPeekElem}},
		{sim.MapAttr{Name: "target", Type: sim.MapRingbuf, MaxEntries: 4096},
			[]asm.BuiltinFunc{asm.FnRingbufOutput, asm.FnRingbufQuery}},
	}
	kernel.PinCPU0(t)
	r := rand.New(rand.NewPCG(7, 9))
	pkt := make([]byte, 64)
	var compared, mismatches int
	for _, tg := range targets {
		km, e := kernel.CreateMap(kernel.AttrFromSim(tg.attr, 0))
		if e != 0 {
			t.Fatalf("%v: %v", tg.attr.Type, e)
		}
		w := sim.NewWorld(sim.Config{PossibleCPUs: kernel.PossibleCPUs()})
		sio := mkMap(t, w, sim.MapAttr{Name: "io", Type: sim.MapArray, KeySize: 4, ValueSize: ioValueSize, MaxEntries: 1})
		mkMap(t, w, tg.attr)
		var kps []*ebpf.Program
		var sps []*Program
		for _, h := range tg.helpers {
			insns := helperProgram(h, int(tg.attr.ValueSize))
			kp, err := o.loadKernel(ebpf.SocketFilter, insns, map[string]*kernel.Map{"io": kio, "target": km})
			if err != nil {
				t.Fatalf("%v %v: %v", tg.attr.Type, h, err)
			}
			kps = append(kps, kp)
			sp, err := Load(w, h.String(), sim.ProgSocketFilter, insns, resolver(w))
			if err != nil {
				t.Fatal(err)
			}
			sps = append(sps, sp)
		}
		for step := 0; step < 400; step++ {
			hi := r.IntN(len(kps))
			val := make([]byte, ioValueSize)
			binary.LittleEndian.PutUint64(val[0:], uint64(r.IntN(6)))
			binary.LittleEndian.PutUint64(val[8:], pick(r, []uint64{0, 0, 0, 1, 2, 3, 4}))
			if tg.attr.Type == sim.MapRingbuf {
				binary.LittleEndian.PutUint64(val[8:], pick(r, []uint64{0, 1, 2, 3, 4, 0, 1, 2}))
			}
			binary.LittleEndian.PutUint64(val[16:], r.Uint64())
			kio.Update(key(0), val, 0)
			sio.Update(key(0), val, 0)
			kret, err := kps[hi].Run(&ebpf.RunOptions{Data: pkt})
			if err != nil {
				t.Fatal(err)
			}
			kval, _ := kio.Lookup(key(0), 0)
			res := Run(w, sps[hi], Options{Packet: pkt})
			sval, _ := sio.Lookup(key(0), 0)
			compared++
			if res.Err != nil || uint32(res.R0) != kret || !bytes.Equal(kval[ioOut:ioOut+16], sval[ioOut:ioOut+16]) {
				mismatches++
				if mismatches <= 10 {
					t.Errorf("%v step %d %v(key %d flags %d): kernel r0=%d out=%x, sim r0=%d out=%x err=%v",
						tg.attr.Type, step, tg.helpers[hi], val[0], val[8], int64(binary.LittleEndian.Uint64(kval[ioOut:])), kval[ioOut+8:ioOut+16],
						int64(binary.LittleEndian.Uint64(sval[ioOut:])), sval[ioOut+8:ioOut+16], res.Err)
				}
			}
		}
		for _, kp := range kps {
			kp.Close()
		}
		km.Close()
	}
	t.Logf("ORACLE vm helpers: %d loads, %d calls compared, %d mismatches", o.loads, compared, mismatches)
	fmt.Printf("ORACLE vm helpers: %d loads, %d calls compared, %d mismatches\n", o.loads, compared, mismatches)
}

// TestOracleTailCallCount: a self-tail-calling program runs 34 times per
// test run on the live kernel, and in the simulator.
func TestOracleTailCallCount(t *testing.T) {
	kernel.Require(t)
	kio, e := kernel.CreateMap(kernel.Attr{Type: uint32(sim.MapArray), KeySize: 4, ValueSize: ioValueSize, MaxEntries: 1})
	if e != 0 {
		t.Fatal(e)
	}
	defer kio.Close()
	kjt, e := kernel.CreateMap(kernel.Attr{Type: uint32(sim.MapProgArray), KeySize: 4, ValueSize: 4, MaxEntries: 2})
	if e != 0 {
		t.Fatal(e)
	}
	defer kjt.Close()
	o := &oracleEnv{t: t, kio: kio}
	insns := ioPrologue()
	insns = append(insns,
		asm.Mov.Imm(asm.R1, 1),
		asm.StoreXAdd(asm.R9, asm.R1, asm.DWord),
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.LoadMapPtr(asm.R2, 0).WithReference("jt"),
		asm.Mov.Imm(asm.R3, 1), // empty slot: falls through
		asm.FnTailCall.Call(),
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.LoadMapPtr(asm.R2, 0).WithReference("jt"),
		asm.Mov.Imm(asm.R3, 0),
		asm.FnTailCall.Call(),
		asm.Mov.Imm(asm.R0, 7),
		asm.Return())
	kp, err := o.loadKernel(ebpf.SocketFilter, insns, map[string]*kernel.Map{"io": kio, "jt": kjt})
	if err != nil {
		t.Fatal(err)
	}
	defer kp.Close()
	if e := kjt.Update(key(0), binary.LittleEndian.AppendUint32(nil, uint32(kp.FD())), 0); e != 0 {
		t.Fatal(e)
	}
	kio.Update(key(0), make([]byte, ioValueSize), 0)
	kret, err := kp.Run(&ebpf.RunOptions{Data: make([]byte, 64), Repeat: 3})
	if err != nil {
		t.Fatal(err)
	}
	kval, _ := kio.Lookup(key(0), 0)

	w := newWorld()
	sio := mkMap(t, w, sim.MapAttr{Name: "io", Type: sim.MapArray, KeySize: 4, ValueSize: ioValueSize, MaxEntries: 1})
	sjt := mkMap(t, w, sim.MapAttr{Name: "jt", Type: sim.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	sp, err := Load(w, "self", sim.ProgSocketFilter, insns, resolver(w))
	if err != nil {
		t.Fatal(err)
	}
	sjt.Update(key(0), binary.LittleEndian.AppendUint32(nil, uint32(sp.FD())), 0)
	res := Run(w, sp, Options{Packet: make([]byte, 64), Repeat: 3})
	sval, _ := sio.Lookup(key(0), 0)
	kc, sc := binary.LittleEndian.Uint64(kval), binary.LittleEndian.Uint64(sval)
	t.Logf("ORACLE vm tail calls: kernel %d runs (r0 %d), simulator %d runs (r0 %d)", kc, kret, sc, res.R0)
	if kc != sc || uint32(res.R0) != kret || res.Err != nil {
		t.Errorf("kernel %d runs r0 %d; simulator %d runs r0 %d err %v", kc, kret, sc, res.R0, res.Err)
	}
	if sc != 3*(MaxTailCalls+1) {
		t.Errorf("simulator: %d runs over 3 repeats, want %d", sc, 3*(MaxTailCalls+1))
	}
}

// TestOracleContexts compares what programs read from their context and
// packet under BPF_PROG_TEST_RUN: skb fields, LD_ABS/LD_IND, packet
// pointers of tc and XDP programs.
func TestOracleContexts(t *testing.T) {
	kernel.Require(t)
	o := &oracleEnv{t: t}
	mkPkt := func(dst0 byte, bcast bool, etype uint16, n int) []byte {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i*37 + 11)
		}
		for i := 0; i < 6; i++ {
			p[i] = 0
			if bcast {
				p[i] = 0xff
			}
		}
		p[0] |= dst0
		binary.BigEndian.PutUint16(p[12:], etype)
		return p
	}
	pkts := [][]byte{
		mkPkt(0, false, 0x0800, 64), mkPkt(0, true, 0x86dd, 60), mkPkt(1, false, 0x0806, 14),
		mkPkt(2, false, 0x0800, 100), mkPkt(0, false, 0x8100, 15),
	}
	type progCase struct {
		typ  sim.ProgType
		ktyp ebpf.ProgramType
		src  string
	}
	var cases []progCase
	for _, off := range []int{0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 68, 164} {
		cases = append(cases, progCase{sim.ProgSocketFilter, ebpf.SocketFilter, fmt.Sprintf("r0 = *(u32 *)(r1 + %d)\nexit", off)})
	}
	cases = append(cases,
		progCase{sim.ProgSocketFilter, ebpf.SocketFilter, "r0 = *(u16 *)(r1 + 16)\nexit"},
		progCase{sim.ProgSocketFilter, ebpf.SocketFilter, "r0 = *(u8 *)(r1 + 0)\nexit"},
		progCase{sim.ProgSocketFilter, ebpf.SocketFilter, "r6 = r1\nr0 = *(u8 *)skb[0]\nexit"},
		progCase{sim.ProgSocketFilter, ebpf.SocketFilter, "r6 = r1\nr0 = *(u32 *)skb[2]\nexit"},
		progCase{sim.ProgSocketFilter, ebpf.SocketFilter, "r6 = r1\nr0 = *(u16 *)skb[44]\nr0 += 1\nexit"},
		progCase{sim.ProgSocketFilter, ebpf.SocketFilter, "r6 = r1\nr7 = 3\nr0 = *(u16 *)skb[r7 + 1]\nexit"},
		progCase{sim.ProgSocketFilter, ebpf.SocketFilter, "r6 = r1\nr7 = -1\nr0 = *(u8 *)skb[r7 + 0]\nr0 = 99\nexit"},
		progCase{sim.ProgSchedCLS, ebpf.SchedCLS, "r0 = *(u32 *)(r1 + 0)\nexit"},
		progCase{sim.ProgSchedCLS, ebpf.SchedCLS, "r0 = *(u32 *)(r1 + 16)\nexit"},
		progCase{sim.ProgSchedCLS, ebpf.SchedCLS, "r6 = r1\nr0 = *(u16 *)skb[12]\nexit"},
		progCase{sim.ProgSchedCLS, ebpf.SchedCLS, "r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr0 = r3\nr0 -= r2\nexit"},
		progCase{sim.ProgSchedCLS, ebpf.SchedCLS, "r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 14\nr0 = 0\nif r4 > r3 goto +1\nr0 = *(u16 *)(r2 + 12)\nexit"},
		progCase{sim.ProgXDP, ebpf.XDP, "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr0 = r3\nr0 -= r2\nexit"},
		progCase{sim.ProgXDP, ebpf.XDP, "r0 = *(u32 *)(r1 + 12)\nexit"},
		progCase{sim.ProgXDP, ebpf.XDP, "r0 = *(u32 *)(r1 + 16)\nexit"},
		progCase{sim.ProgXDP, ebpf.XDP, "r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 1\nr0 = 0\nif r4 > r3 goto +2\nr0 = *(u8 *)(r2 + 0)\n*(u8 *)(r2 + 0) = 9\nexit"},
	)
	var compared, mismatches int
	for _, c := range cases {
		insns := assemble(t, c.src)
		kp, err := o.loadKernel(c.ktyp, insns, nil)
		if err != nil {
			t.Errorf("%s: kernel load: %v", c.src, err)
			continue
		}
		for _, pkt := range pkts {
			kout := make([]byte, len(pkt)+256)
			opts := &ebpf.RunOptions{Data: pkt, DataOut: kout}
			kret, kerr := kp.Run(opts)
			w := newWorld()
			sp, err := Load(w, "ctx", c.typ, insns, nil)
			if err != nil {
				t.Fatalf("%s: %v", c.src, err)
			}
			res := Run(w, sp, Options{Packet: pkt})
			compared++
			if kerr != nil {
				if res.Err == nil {
					mismatches++
					t.Errorf("%s on %d bytes: kernel test_run fails (%v), the simulator runs", c.src, len(pkt), kerr)
				}
				continue
			}
			if res.Err != nil || uint32(res.R0) != kret || !bytes.Equal(opts.DataOut, res.PacketOut) {
				mismatches++
				t.Errorf("%s on %x: kernel %d, simulator %d (err %v)\nkernel out %x\nsim out    %x", c.src, pkt[:14], kret, res.R0, res.Err, opts.DataOut, res.PacketOut)
			}
		}
		kp.Close()
	}
	t.Logf("ORACLE vm contexts: %d loads, %d runs compared, %d mismatches", o.loads, compared, mismatches)
}
