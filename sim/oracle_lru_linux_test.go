//go:build linux

package sim_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

// lruProber sets LRU reference bits the way only a BPF program can: one XDP
// program per (type, key size, value size, flags) looks up slot 0 of an
// ARRAY_OF_MAPS and then calls bpf_map_lookup_elem on that inner map with
// the key taken from the packet. Each scenario swaps its own kernel map into
// slot 0 (hash-type inner maps are not compared on max_entries), so one
// program load serves every scenario of the combination.
type lruProber struct {
	outer *kernel.Map
	prog  *ebpf.Program
	ks    int
	vs    int
}

type lruCombo struct {
	typ    sim.MapType
	ks, vs uint32
	flags  uint32
	max    uint32
}

type lruProbers struct {
	t     *testing.T
	cache map[lruCombo]*lruProber
}

func newLRUProbers(t *testing.T) *lruProbers {
	ps := &lruProbers{t: t, cache: map[lruCombo]*lruProber{}}
	t.Cleanup(func() {
		for _, p := range ps.cache {
			p.prog.Close()
			p.outer.Close()
		}
	})
	return ps
}

func (ps *lruProbers) get(a sim.MapAttr) (*lruProber, error) {
	// The kernel keeps RDONLY/WRONLY per fd, not in map_flags: they do
	// not take part in the inner-map comparison.
	flags := a.Flags &^ (sim.FlagRdonly | sim.FlagWronly)
	c := lruCombo{a.Type, a.KeySize, a.ValueSize, flags, 2}
	if (a.Type == sim.MapArray || a.Type == sim.MapPercpuArray) && flags&sim.FlagInnerMap == 0 {
		c.max = a.MaxEntries // arrays compare max_entries without BPF_F_INNER_MAP
	}
	if p, ok := ps.cache[c]; ok {
		return p, nil
	}
	tmpl, e := kernel.CreateMap(kernel.Attr{Type: uint32(a.Type), KeySize: a.KeySize, ValueSize: a.ValueSize, MaxEntries: c.max, Flags: flags})
	if e != 0 {
		return nil, fmt.Errorf("inner template: %v", e)
	}
	defer tmpl.Close()
	outer, e := kernel.CreateMap(kernel.Attr{Type: uint32(sim.MapArrayOfMaps), KeySize: 4, ValueSize: 4, MaxEntries: 1, InnerMapFD: tmpl.FD, Name: "lru_outer"})
	if e != 0 {
		return nil, fmt.Errorf("outer map: %v", e)
	}
	// Packet: op u8 at 0 (0 lookup, 1 update, 2 delete; 3 push, 4 pop,
	// 5 peek for queue and stack), flags u64 at 8, the key at 16, the
	// value after it. lookup, pop and peek copy the value there.
	ks, vs := int32(a.KeySize), int32(a.ValueSize)
	insns := asm.Instructions{
		asm.LoadMem(asm.R6, asm.R1, 0, asm.Word), // data
		asm.LoadMem(asm.R7, asm.R1, 4, asm.Word), // data_end
		asm.Mov.Reg(asm.R8, asm.R6),
		asm.Add.Imm(asm.R8, 16+ks+vs),
		asm.JGT.Reg(asm.R8, asm.R7, "err"),
		asm.StoreImm(asm.R10, -4, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.LoadMapPtr(asm.R1, outer.FD),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "err"),
		asm.Mov.Reg(asm.R9, asm.R0), // the inner map
		asm.Mov.Reg(asm.R1, asm.R9),
		asm.Mov.Reg(asm.R2, asm.R6),
		asm.Add.Imm(asm.R2, 16),
		asm.LoadMem(asm.R3, asm.R6, 0, asm.Byte),
	}
	if a.Type == sim.MapQueue || a.Type == sim.MapStack {
		// The push/pop/peek helpers may not touch the packet: the value
		// goes through the stack at fp-32 (value_size <= 24).
		if vs > 24 {
			outer.Close()
			return nil, fmt.Errorf("queue probe: value_size %d above 24", vs)
		}
		insns = append(insns,
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -32),
			asm.JEq.Imm(asm.R3, 4, "pop"),
			asm.JEq.Imm(asm.R3, 5, "peek"),
		)
		for i := int32(0); i < vs; i++ {
			insns = append(insns,
				asm.LoadMem(asm.R4, asm.R6, int16(16+i), asm.Byte),
				asm.StoreMem(asm.R10, int16(-32+i), asm.R4, asm.Byte))
		}
		insns = append(insns,
			asm.LoadMem(asm.R3, asm.R6, 8, asm.DWord),
			asm.FnMapPushElem.Call(),
			asm.Return(),
			asm.FnMapPopElem.Call().WithSymbol("pop"),
			asm.Ja.Label("copy_out"),
			asm.FnMapPeekElem.Call().WithSymbol("peek"),
		)
		first := true
		for i := int32(0); i < vs; i++ {
			ld := asm.LoadMem(asm.R4, asm.R10, int16(-32+i), asm.Byte)
			if first {
				ld, first = ld.WithSymbol("copy_out"), false
			}
			insns = append(insns, ld, asm.StoreMem(asm.R6, int16(16+i), asm.R4, asm.Byte))
		}
		insns = append(insns, asm.Return())
	} else {
		insns = append(insns,
			asm.JEq.Imm(asm.R3, 1, "update"),
			asm.JEq.Imm(asm.R3, 2, "delete"),
		)
		percpu := a.Type == sim.MapPercpuHash || a.Type == sim.MapPercpuArray || a.Type == sim.MapLRUPercpuHash
		if percpu {
			// op 6: bpf_map_lookup_percpu_elem(map, key, cpu = the flags word)
			insns = append(insns,
				asm.JNE.Imm(asm.R3, 6, "plain"),
				asm.LoadMem(asm.R3, asm.R6, 8, asm.Word),
				asm.FnMapLookupPercpuElem.Call(),
				asm.Ja.Label("looked_up"),
				asm.FnMapLookupElem.Call().WithSymbol("plain"),
				asm.JEq.Imm(asm.R0, 0, "miss").WithSymbol("looked_up"),
			)
		} else {
			insns = append(insns,
				asm.FnMapLookupElem.Call(),
				asm.JEq.Imm(asm.R0, 0, "miss"),
			)
		}
		for i := int32(0); i < vs; i++ {
			insns = append(insns,
				asm.LoadMem(asm.R1, asm.R0, int16(i), asm.Byte),
				asm.StoreMem(asm.R6, int16(16+ks+i), asm.R1, asm.Byte))
		}
		insns = append(insns,
			asm.Mov.Imm(asm.R0, 1),
			asm.Return(),
			asm.Mov.Imm(asm.R0, 0).WithSymbol("miss"),
			asm.Return(),
			asm.Mov.Reg(asm.R3, asm.R6).WithSymbol("update"),
			asm.Add.Imm(asm.R3, 16+ks),
			asm.LoadMem(asm.R4, asm.R6, 8, asm.DWord),
			asm.FnMapUpdateElem.Call(),
			asm.Return(),
			asm.FnMapDeleteElem.Call().WithSymbol("delete"),
			asm.Return(),
		)
	}
	insns = append(insns,
		asm.Mov.Imm(asm.R0, 1000).WithSymbol("err"),
		asm.Return(),
	)
	prog, err := kernel.LoadProgramWithOptions(&ebpf.ProgramSpec{Type: ebpf.XDP, License: "GPL", Instructions: insns},
		ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch})
	if err != nil {
		outer.Close()
		return nil, fmt.Errorf("load LRU probe program: %w", err)
	}
	p := &lruProber{outer: outer, prog: prog, ks: int(a.KeySize), vs: int(a.ValueSize)}
	ps.cache[c] = p
	return p, nil
}

var zeroKey4 = []byte{0, 0, 0, 0}

func (p *lruProber) swapIn(km *kernel.Map) error {
	fd := []byte{byte(km.FD), byte(km.FD >> 8), byte(km.FD >> 16), byte(km.FD >> 24)}
	if e := p.outer.Update(zeroKey4, fd, 0); e != 0 {
		return fmt.Errorf("outer update: %v", e)
	}
	return nil
}

func (p *lruProber) run(op byte, key, val []byte, flags uint64) (uint32, []byte, error) {
	pkt := make([]byte, 16+p.ks+p.vs)
	pkt[0] = op
	binary.LittleEndian.PutUint64(pkt[8:], flags)
	copy(pkt[16:], key)
	copy(pkt[16+p.ks:], val)
	out := make([]byte, len(pkt))
	ret, err := p.prog.Run(&ebpf.RunOptions{Data: pkt, DataOut: out})
	if err != nil {
		return 0, nil, err
	}
	if ret == 1000 {
		return 0, nil, fmt.Errorf("LRU probe program: no inner map or short packet")
	}
	return ret, out[16+p.ks:], nil
}

func (p *lruProber) lookup(key []byte) ([]byte, bool, error) {
	ret, val, err := p.run(0, key, nil, 0)
	return val, ret == 1, err
}

// errnoOf turns a helper's R0 (truncated to u32 by test_run) into an errno.
func errnoOf(ret uint32) sim.Errno { return sim.Errno(-int32(ret)) }

// lruEnv makes the scenario's kernel map the prober's inner map.
func (ps *lruProbers) env(a sim.MapAttr) (*oracleEnv, error) {
	p, err := ps.get(a)
	if err != nil {
		return nil, err
	}
	return &oracleEnv{
		setup: func(km *kernel.Map, sm *sim.Map) error {
			var set unix.CPUSet // every scenario starts on CPU 0
			set.Set(0)
			if err := unix.SchedSetaffinity(0, &set); err != nil {
				return err
			}
			return p.swapIn(km)
		},
		progLookup: func(km *kernel.Map, key []byte) ([]byte, bool, error) { return p.lookup(key) },
		progUpdate: func(km *kernel.Map, key, val []byte, flags uint64) (sim.Errno, error) {
			ret, _, err := p.run(1, key, val, flags)
			return errnoOf(ret), err
		},
		progDelete: func(km *kernel.Map, key []byte) (sim.Errno, error) {
			ret, _, err := p.run(2, key, nil, 0)
			return errnoOf(ret), err
		},
		progQueue: func(km *kernel.Map, op byte, val []byte, flags uint64) ([]byte, sim.Errno, error) {
			if op == 6 { // lookup_percpu: val is the key; 1 found, 0 NULL
				ret, out, err := p.run(op, val, nil, flags)
				if ret == 0 {
					return nil, sim.ENOENT, err
				}
				return out, sim.OK, err
			}
			ret, out, err := p.run(op, nil, val, flags)
			return out, errnoOf(ret), err
		},
	}, nil
}

var lruMaxEntries = []uint32{1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 31, 32, 33, 64, 100, 128, 200, 257}

func randomLRUScenario(seed uint64, t sim.MapType, flags uint32) oracleScenario {
	r := rand.New(rand.NewPCG(seed, uint64(t)<<8|uint64(flags)))
	ks := []uint32{1, 3, 4, 8, 16, 40}[r.IntN(6)]
	vs := []uint32{1, 8, 20}[r.IntN(3)]
	max := lruMaxEntries[r.IntN(len(lruMaxEntries))]
	a := sim.MapAttr{Name: "lru", Type: t, KeySize: ks, ValueSize: vs, MaxEntries: max, Flags: flags | sim.FlagZeroSeed}
	npool := int(max)*3/2 + 3
	if ks == 1 && npool > 256 {
		npool = 256
	}
	pool := hashKeyPool(r, int(ks), npool)
	g := newOracleGen(r, a, pool)
	// Program updates write value_size bytes of one CPU's slot; the padding
	// behaviour is checked by the "percpu padding" vector instead.
	g.zeroPad = true
	n := 30 + r.IntN(int(max)*3+30)
	if n > 500 {
		n = 500
	}
	var ops []oracleOp
	walkEvery := 4 + r.IntN(12)
	switchCPUs := r.IntN(3) == 0 // a third of the scenarios also run on other CPUs
	for i := 0; i < n; i++ {
		var op oracleOp
		switch x := r.IntN(100); {
		case x < 45:
			op = oracleOp{Kind: opUpdate, Key: g.key(), Val: g.value(), Flags: g.updateFlags()}
		case x < 70:
			op = oracleOp{Kind: opProgLookup, Key: pool[r.IntN(len(pool))]}
		case x < 78:
			op = oracleOp{Kind: opLookup, Key: g.key(), Flags: g.lookupFlags()}
		case x < 85:
			op = oracleOp{Kind: opDelete, Key: g.key()}
		case x < 89:
			op = oracleOp{Kind: opLookupAndDelete, Key: g.key(), Flags: g.lookupFlags()}
		case x < 93:
			op = oracleOp{Kind: opNextKey, Key: pool[r.IntN(len(pool))]}
		case x < 95:
			op = oracleOp{Kind: opWalk}
		default:
			// From a program: update (one CPU's value) or delete.
			if r.IntN(3) == 0 {
				op = oracleOp{Kind: opProgDelete, Key: pool[r.IntN(len(pool))]}
			} else {
				op = oracleOp{Kind: opProgUpdate, Key: pool[r.IntN(len(pool))], Val: g.value()[:vs], Flags: g.updateFlags() & 7}
			}
		}
		if t == sim.MapLRUPercpuHash && r.IntN(10) == 0 {
			// bpf_map_lookup_percpu_elem: any CPU's copy; sets the ref bit.
			ops = append(ops, oracleOp{Kind: opProgLookupPercpu, Key: pool[r.IntN(len(pool))], Flags: uint64(r.IntN(kernel.PossibleCPUs() + 1))})
		}
		if switchCPUs && r.IntN(12) == 0 {
			ops = append(ops, oracleOp{Kind: opCPU, Flags: uint64(r.IntN(kernel.PossibleCPUs()))})
		}
		ops = append(ops, op)
		if i%walkEvery == walkEvery-1 {
			ops = append(ops, oracleOp{Kind: opWalk})
		}
	}
	ops = append(ops, oracleOp{Kind: opWalk})
	return oracleScenario{Name: fmt.Sprintf("%s flags %s seed %d", t, sim.FormatMapFlags(a.Flags), seed), Attr: a, Ops: ops}
}

// randomBigLRUScenario fills a large LRU (batch eviction with target_free
// up to 128, local free lists, rotation over many nodes) with about twice
// its size of inserts, program lookups of recent keys and a few deletes.
func randomBigLRUScenario(seed uint64, t sim.MapType, flags uint32) oracleScenario {
	r := rand.New(rand.NewPCG(seed, uint64(t)<<8|uint64(flags)|1<<40))
	size := []uint32{300, 512, 1000, 1500}[r.IntN(4)]
	a := sim.MapAttr{Name: "big", Type: t, KeySize: 4, ValueSize: 8, MaxEntries: size, Flags: flags | sim.FlagZeroSeed}
	g := newOracleGen(r, a, nil)
	g.zeroPad = true
	key := func(i int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(i)*2654435761) }
	var ops []oracleOp
	next := 0
	total := int(size) * 2
	for i := 0; i < total; i++ {
		switch x := r.IntN(100); {
		case x < 60:
			ops = append(ops, oracleOp{Kind: opUpdate, Key: key(next), Val: g.value(), Flags: []uint64{0, 0, 1, 2}[r.IntN(4)]})
			next++
		case x < 90:
			back := 1 + r.IntN(int(size))
			ops = append(ops, oracleOp{Kind: opProgLookup, Key: key(max(0, next-back))})
		case x < 95:
			ops = append(ops, oracleOp{Kind: opDelete, Key: key(r.IntN(next + 1))})
		default:
			ops = append(ops, oracleOp{Kind: opLookup, Key: key(r.IntN(next + 1))})
		}
		if i%(total/4) == total/4-1 {
			ops = append(ops, oracleOp{Kind: opKeySet})
		}
	}
	ops = append(ops, oracleOp{Kind: opWalk})
	return oracleScenario{Name: fmt.Sprintf("big %s flags %s seed %d", t, sim.FormatMapFlags(a.Flags), seed), Attr: a, Ops: ops}
}

// TestOracleLRU runs random LRU_HASH and LRU_PERCPU_HASH scenarios, with
// the common LRU and with NO_COMMON_LRU, pinned to CPU 0, with possible
// CPUs = the host's. Reference bits are set by real program lookups.
func TestOracleLRU(t *testing.T) {
	kernel.Require(t)
	kernel.PinCPU0(t)
	ps := newLRUProbers(t)
	n := 500
	if testing.Short() {
		n = 60
	}
	for _, ty := range []sim.MapType{sim.MapLRUHash, sim.MapLRUPercpuHash} {
		for _, fl := range []uint32{0, sim.FlagNoCommonLRU} {
			name := ty.String()
			if fl != 0 {
				name += "_no_common"
			}
			t.Run(name, func(t *testing.T) {
				requireSimulated(t, ty)
				kernel.PinCPU0(t) // a subtest runs on its own goroutine
				var st oracleStats
				big := n / 25
				for seed := uint64(1); seed <= uint64(big); seed++ {
					s := randomBigLRUScenario(seed, ty, fl)
					env, err := ps.env(s.Attr)
					if err != nil {
						t.Fatal(err)
					}
					st.check(t, s, env)
				}
				for seed := uint64(1); seed <= uint64(n); seed++ {
					s := randomLRUScenario(seed, ty, fl)
					env, err := ps.env(s.Attr)
					if err != nil {
						t.Fatal(err)
					}
					st.check(t, s, env)
				}
				st.summary(t, name)
			})
		}
	}
	t.Logf("program loads in this process: %d", kernel.Loads())
}

// TestOracleLRUVectors runs the §5.7 table and the §13.4 sanity cases for
// this host's CPU count on both sides.
func TestOracleLRUVectors(t *testing.T) {
	kernel.Require(t)
	kernel.PinCPU0(t)
	ps := newLRUProbers(t)
	u64 := func(v uint64) []byte {
		return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), byte(v >> 32), byte(v >> 40), byte(v >> 48), byte(v >> 56)}
	}
	ncpu := kernel.PossibleCPUs()
	var st oracleStats
	for _, ty := range []sim.MapType{sim.MapLRUHash, sim.MapLRUPercpuHash} {
		if !sim.Simulated(ty) {
			t.Logf("%s not simulated yet; skipped", ty)
			continue
		}
		val := func(v uint64) []byte {
			if ty == sim.MapLRUPercpuHash {
				var b []byte
				for c := 0; c < ncpu; c++ {
					b = append(b, u64(v)...)
				}
				return b
			}
			return u64(v)
		}
		for _, fl := range []uint32{0, sim.FlagNoCommonLRU} {
			U := func(k uint64, f uint64) oracleOp { return oracleOp{Kind: opUpdate, Key: u64(k), Val: val(k), Flags: f} }
			P := func(k uint64) oracleOp { return oracleOp{Kind: opProgLookup, Key: u64(k)} }
			L := func(k uint64) oracleOp { return oracleOp{Kind: opLookup, Key: u64(k)} }
			D := func(k uint64) oracleOp { return oracleOp{Kind: opDelete, Key: u64(k)} }
			K := oracleOp{Kind: opKeySet}
			ins := func(from, to uint64) []oracleOp {
				var ops []oracleOp
				for k := from; k <= to; k++ {
					ops = append(ops, U(k, 0))
				}
				return ops
			}
			cat := func(parts ...[]oracleOp) []oracleOp {
				var ops []oracleOp
				for _, p := range parts {
					ops = append(ops, p...)
				}
				return append(ops, K, oracleOp{Kind: opWalk})
			}
			attr := func(max uint32) sim.MapAttr {
				return sim.MapAttr{Type: ty, KeySize: 8, ValueSize: 8, MaxEntries: max, Flags: fl | sim.FlagZeroSeed}
			}
			var pl16 []oracleOp
			for k := uint64(1); k <= 6; k++ {
				pl16 = append(pl16, P(k))
			}
			var pl64 []oracleOp
			for k := uint64(1); k <= 64; k++ {
				pl64 = append(pl64, P(k))
			}
			cases := []oracleScenario{
				{Name: "5.7 insert 1..5", Attr: attr(4), Ops: cat(ins(1, 5))},
				{Name: "5.7 prog lookup", Attr: attr(4), Ops: cat(ins(1, 4), []oracleOp{P(1)}, ins(5, 5))},
				{Name: "5.7 syscall lookup", Attr: attr(4), Ops: cat(ins(1, 4), []oracleOp{L(1)}, ins(5, 5))},
				{Name: "5.7 update exist", Attr: attr(4), Ops: cat(ins(1, 4), []oracleOp{U(2, 2)})},
				{Name: "5.7 delete", Attr: attr(4), Ops: cat(ins(1, 4), []oracleOp{D(3)}, ins(5, 6))},
				{Name: "5.7 max 8", Attr: attr(8), Ops: cat(ins(1, 8), pl16, ins(9, 9))},
				{Name: "sanity0", Attr: attr(2), Ops: cat([]oracleOp{U(1, 1), U(1, 1), {Kind: opUpdate, Key: u64(1), Val: val(1), Flags: ^uint64(0)},
					L(2), U(2, 2), U(2, 1), L(3), P(1), U(3, 1), L(2), {Kind: opLookupAndDelete, Key: u64(1)}})},
				{Name: "sanity1", Attr: attr(320), Ops: cat(ins(1, 256), pl64, ins(257, 512))},
				{Name: "sanity3", Attr: attr(128), Ops: cat(ins(1, 128), pl64, ins(129, 192))},
				{Name: "sanity7", Attr: attr(2), Ops: cat([]oracleOp{U(1, 1), U(1, 1), L(2), U(2, 2), U(2, 1), L(3), P(1), L(2), U(3, 1), L(2)})},
				{Name: "sanity8", Attr: attr(2), Ops: cat([]oracleOp{U(1, 1), U(1, 1), L(2), U(2, 2), U(2, 1), L(3), L(1), P(2), U(3, 1), L(1)})},
			}
			if ty == sim.MapLRUPercpuHash {
				// A syscall update writes whole 8-byte slots (padding
				// included); a program update of an existing element
				// writes value_size bytes of the current CPU's slot.
				pad := sim.MapAttr{Type: ty, KeySize: 4, ValueSize: 1, MaxEntries: 4, Flags: fl | sim.FlagZeroSeed}
				full := make([]byte, 8*ncpu)
				for i := range full {
					full[i] = byte(0xa0 + i)
				}
				k := []byte{1, 0, 0, 0}
				cases = append(cases, oracleScenario{Name: "percpu padding after prog update", Attr: pad, Ops: []oracleOp{
					{Kind: opUpdate, Key: k, Val: full}, {Kind: opProgUpdate, Key: k, Val: []byte{0x55}, Flags: sim.UpdateExist}, {Kind: opLookup, Key: k},
				}})
			}
			for _, c := range cases {
				c.Name = fmt.Sprintf("%s %s %s", c.Name, ty, sim.FormatMapFlags(c.Attr.Flags))
				env, err := ps.env(c.Attr)
				if err != nil {
					t.Fatal(err)
				}
				st.check(t, c, env)
			}
		}
	}
	st.summary(t, "lru vectors")
}
