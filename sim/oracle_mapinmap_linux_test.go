//go:build linux

package sim_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

// mimCandidate is an inner map candidate: compatible with the template or
// differing in one attribute.
type mimCandidate struct {
	why  string
	attr sim.MapAttr
}

func mimCandidates(r *rand.Rand, tmpl sim.MapAttr) []mimCandidate {
	c := []mimCandidate{{"same", tmpl}}
	with := func(why string, f func(*sim.MapAttr)) {
		a := tmpl
		f(&a)
		c = append(c, mimCandidate{why, a})
	}
	with("same again", func(a *sim.MapAttr) {})
	with("max+3", func(a *sim.MapAttr) { a.MaxEntries += 3 })
	with("max 1", func(a *sim.MapAttr) { a.MaxEntries = 1 })
	with("value+4", func(a *sim.MapAttr) { a.ValueSize += 4 })
	if tmpl.KeySize > 0 && tmpl.Type != sim.MapArray && tmpl.Type != sim.MapLPMTrie {
		with("key+1", func(a *sim.MapAttr) { a.KeySize++ })
	}
	with("rdonly_prog", func(a *sim.MapAttr) { a.Flags |= sim.FlagRdonlyProg })
	switch tmpl.Type {
	case sim.MapHash, sim.MapLRUHash:
		with("no zero_seed", func(a *sim.MapAttr) { a.Flags &^= sim.FlagZeroSeed })
		with("percpu type", func(a *sim.MapAttr) { a.Type = sim.MapPercpuHash })
	case sim.MapArray:
		with("inner_map flag toggled", func(a *sim.MapAttr) { a.Flags ^= sim.FlagInnerMap })
		with("percpu type", func(a *sim.MapAttr) { a.Type = sim.MapPercpuArray })
	}
	with("wronly", func(a *sim.MapAttr) { a.Flags |= sim.FlagWronly })
	r.Shuffle(len(c)-1, func(i, j int) { c[i+1], c[j+1] = c[j+1], c[i+1] })
	return c
}

var mimTemplates = []sim.MapAttr{
	{Name: "in", Type: sim.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 4, Flags: sim.FlagZeroSeed},
	{Name: "in", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 4},
	{Name: "in", Type: sim.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 4, Flags: sim.FlagInnerMap},
	{Name: "in", Type: sim.MapLRUHash, KeySize: 8, ValueSize: 4, MaxEntries: 8, Flags: sim.FlagZeroSeed},
	{Name: "in", Type: sim.MapQueue, ValueSize: 4, MaxEntries: 4},
	{Name: "in", Type: sim.MapLPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 4, Flags: sim.FlagNoPrealloc},
	{Name: "in", Type: sim.MapRingbuf, MaxEntries: 4096},
}

// TestOracleMapInMap runs random ARRAY_OF_MAPS and HASH_OF_MAPS scenarios:
// inner-map swaps with compatible and incompatible maps, closed fds and the
// outer map itself; lookups compare "the same inner map", not raw IDs.
func TestOracleMapInMap(t *testing.T) {
	kernel.Require(t)
	n := 1200
	if testing.Short() {
		n = 30
	}
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	for _, outerType := range []sim.MapType{sim.MapArrayOfMaps, sim.MapHashOfMaps} {
		t.Run(outerType.String(), func(t *testing.T) {
			requireSimulated(t, outerType)
			var st oracleStats
			for seed := uint64(1); seed <= uint64(n); seed++ {
				r := rand.New(rand.NewPCG(seed, uint64(outerType)))
				tmpl := mimTemplates[r.IntN(len(mimTemplates))]
				if !sim.Simulated(tmpl.Type) {
					continue
				}
				cands := mimCandidates(r, tmpl)
				max := uint32(1 + r.IntN(6))
				a := sim.MapAttr{Name: "outer", Type: outerType, KeySize: 4, ValueSize: 4, MaxEntries: max}
				if outerType == sim.MapHashOfMaps {
					a.Flags = sim.FlagZeroSeed
					if r.IntN(3) == 0 {
						a.Flags |= sim.FlagNoPrealloc
					}
				}
				var kmaps []*kernel.Map
				var kfds, sfds []int
				var kids, sids map[uint32]uint32
				var outerK, outerS int
				// Symbols: 0..len(cands)-1 candidates, then the outer map
				// itself, then a closed fd.
				nsym := len(cands) + 2
				env := &oracleEnv{
					before: func(w *sim.World) (int, int, error) {
						kmaps, kfds, sfds = nil, nil, nil
						kids, sids = map[uint32]uint32{}, map[uint32]uint32{}
						kt, e := kernel.CreateMap(kernel.AttrFromSim(tmpl, 0))
						if e != 0 {
							return 0, 0, fmt.Errorf("kernel template %v: %v", tmpl, e)
						}
						kmaps = append(kmaps, kt)
						stm, se := w.CreateMap(tmpl)
						if se != sim.OK {
							return 0, 0, fmt.Errorf("sim template %v: %v", tmpl, se)
						}
						for i, c := range cands {
							km, ke := kernel.CreateMap(kernel.AttrFromSim(c.attr, 0))
							sm, se := w.CreateMap(c.attr)
							if kernel.ToSim(ke) != se {
								return 0, 0, fmt.Errorf("candidate %s: create kernel %v sim %v", c.why, ke, se)
							}
							kfd, sfd := 9999, 9999
							if ke == 0 {
								kmaps = append(kmaps, km)
								kfd, sfd = km.FD, sm.FD
								info, _ := kernel.MapInfoByFD(km.FD)
								kids[info.ID] = uint32(i)
								sids[sm.ID] = uint32(i)
							}
							kfds, sfds = append(kfds, kfd), append(sfds, sfd)
						}
						return kt.FD, stm.FD, nil
					},
					setup: func(km *kernel.Map, sm *sim.Map) error {
						outerK, outerS = km.FD, sm.FD
						info, _ := kernel.MapInfoByFD(km.FD)
						kids[info.ID] = uint32(len(cands))
						sids[sm.ID] = uint32(len(cands))
						return nil
					},
					cleanup: func() {
						for _, m := range kmaps {
							m.Close()
						}
					},
					kernelVal: func(v []byte) []byte {
						s := int(binary.LittleEndian.Uint32(v))
						switch {
						case s < len(cands):
							return u32(uint32(kfds[s]))
						case s == len(cands):
							return u32(uint32(outerK))
						}
						return u32(9999)
					},
					simVal: func(v []byte) []byte {
						s := int(binary.LittleEndian.Uint32(v))
						switch {
						case s < len(cands):
							return u32(uint32(sfds[s]))
						case s == len(cands):
							return u32(uint32(outerS))
						}
						return u32(9999)
					},
					kernelOut: func(v []byte) []byte { return symOf(kids, v) },
					simOut:    func(v []byte) []byte { return symOf(sids, v) },
				}
				var pool [][]byte
				if outerType == sim.MapArrayOfMaps {
					pool = arrayKeyPool(max)
				} else {
					pool = hashKeyPool(r, 4, int(max)*2+2)
				}
				g := newOracleGen(r, a, pool)
				g.valueFn = func() []byte {
					if r.IntN(3) != 0 {
						return u32(uint32(r.IntN(2))) // mostly compatible maps
					}
					return u32(uint32(r.IntN(nsym)))
				}
				name := fmt.Sprintf("%s seed %d (inner template %s key=%d value=%d max=%d flags=%s; value symbols:", outerType, seed, tmpl.Type, tmpl.KeySize, tmpl.ValueSize, tmpl.MaxEntries, sim.FormatMapFlags(tmpl.Flags))
				for i, c := range cands {
					name += fmt.Sprintf(" %d=%s", i, c.why)
				}
				name += fmt.Sprintf(" %d=the outer map %d=a closed fd)", len(cands), len(cands)+1)
				s := oracleScenario{Name: name, Attr: a, Ops: g.ops(10+r.IntN(30), true)}
				st.check(t, s, env)
			}
			st.summary(t, outerType.String())
		})
	}
}
