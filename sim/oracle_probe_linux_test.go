//go:build linux

package sim_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

// progProber runs map helpers from a real BPF program, for what only the
// datapath does (LRU reference bits, per-CPU writes of one CPU's copy,
// push/pop/peek helpers): one XDP program per map shape (type, key size,
// value size, flags) looks up slot 0 of an ARRAY_OF_MAPS and calls the
// helper on that inner map with arguments from the packet, under
// BPF_PROG_TEST_RUN. Each scenario swaps its own kernel map into slot 0
// (only arrays compare max_entries, and BPF_F_INNER_MAP lifts that), so one
// program load serves every scenario of a shape.
type progProber struct {
	outer *kernel.Map
	prog  *ebpf.Program
	ks    int
	vs    int
}

type probeShape struct {
	typ    sim.MapType
	ks, vs uint32
	flags  uint32
	max    uint32
}

type progProbers struct {
	t     *testing.T
	cache map[probeShape]*progProber
}

func newProgProbers(t *testing.T) *progProbers {
	ps := &progProbers{t: t, cache: map[probeShape]*progProber{}}
	t.Cleanup(func() {
		for _, p := range ps.cache {
			p.prog.Close()
			p.outer.Close()
		}
	})
	return ps
}

func (ps *progProbers) get(a sim.MapAttr) (*progProber, error) {
	// The kernel keeps RDONLY/WRONLY per fd, not in map_flags: they do
	// not take part in the inner-map comparison.
	flags := a.Flags &^ (sim.FlagRdonly | sim.FlagWronly)
	c := probeShape{a.Type, a.KeySize, a.ValueSize, flags, 2}
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
	if a.Type == sim.MapQueue || a.Type == sim.MapStack || a.Type == sim.MapBloomFilter {
		// The push/pop/peek helpers may not touch the packet: the value
		// goes through the stack at fp-32 (value_size <= 24).
		if vs > 24 {
			outer.Close()
			return nil, fmt.Errorf("queue probe: value_size %d above 24", vs)
		}
		// The packet's value goes to the stack first: push reads it and a
		// bloom filter's peek tests it; pop and peek of a queue overwrite it.
		for i := int32(0); i < vs; i++ {
			insns = append(insns,
				asm.LoadMem(asm.R4, asm.R6, int16(16+i), asm.Byte),
				asm.StoreMem(asm.R10, int16(-32+i), asm.R4, asm.Byte))
		}
		insns = append(insns,
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -32),
			asm.JEq.Imm(asm.R3, 4, "pop"),
			asm.JEq.Imm(asm.R3, 5, "peek"),
			asm.LoadMem(asm.R3, asm.R6, 8, asm.DWord),
			asm.FnMapPushElem.Call(),
			asm.Return(),
		)
		if a.Type == sim.MapBloomFilter { // the verifier refuses pop on a bloom filter
			insns = append(insns, asm.Mov.Imm(asm.R0, 1000).WithSymbol("pop"), asm.Return())
		} else {
			insns = append(insns, asm.FnMapPopElem.Call().WithSymbol("pop"), asm.Ja.Label("copy_out"))
		}
		insns = append(insns,
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
		return nil, fmt.Errorf("load probe program: %w", err)
	}
	p := &progProber{outer: outer, prog: prog, ks: int(a.KeySize), vs: int(a.ValueSize)}
	ps.cache[c] = p
	return p, nil
}

var zeroKey4 = []byte{0, 0, 0, 0}

func (p *progProber) swapIn(km *kernel.Map) error {
	fd := []byte{byte(km.FD), byte(km.FD >> 8), byte(km.FD >> 16), byte(km.FD >> 24)}
	if e := p.outer.Update(zeroKey4, fd, 0); e != 0 {
		return fmt.Errorf("outer update: %v", e)
	}
	return nil
}

func (p *progProber) run(op byte, key, val []byte, flags uint64) (uint32, []byte, error) {
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
		return 0, nil, fmt.Errorf("probe program: no inner map or short packet")
	}
	return ret, out[16+p.ks:], nil
}

func (p *progProber) lookup(key []byte) ([]byte, bool, error) {
	ret, val, err := p.run(0, key, nil, 0)
	return val, ret == 1, err
}

// errnoOf turns a helper's R0 (truncated to u32 by test_run) into an errno.
func errnoOf(ret uint32) sim.Errno { return sim.Errno(-int32(ret)) }

// lruEnv makes the scenario's kernel map the prober's inner map.
func (ps *progProbers) env(a sim.MapAttr) (*oracleEnv, error) {
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
