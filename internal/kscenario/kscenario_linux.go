//go:build linux

package kscenario

import (
	"encoding/binary"
	"fmt"
	"path"
	"runtime"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
	"github.com/bpfplay/bpfplay/sim/scenario"
)

// Result is what one statement gave on the kernel. Fields mirror
// scenario.Step: Errno, Value (lookup, peek, pop, lookup_and_delete), Key
// (next) and Keys (walk). Err is set when the statement could not be
// performed (an undefined map, a literal of the wrong size), as the
// simulator's trace reports a script error. Skipped statements (note,
// advance, seed, cpus) have no result.
type Result struct {
	Line    int
	Op      string
	Skipped bool
	Errno   sim.Errno
	Value   []byte
	Key     []byte
	Keys    [][]byte
	Err     error
	// FDValue says Value is an ID returned by an fd map (prog_array,
	// array_of_maps, hash_of_maps); Name is what it stands for: the name
	// of the scenario's map with that ID, or "" when unknown.
	FDValue bool
	Name    string
	// ProgValue says the ID in Value is a program's (a prog_array).
	ProgValue bool
	// Ret is R0 of a run statement (BPF_PROG_TEST_RUN's retval, 32 bits).
	Ret *uint64
	// Log explains a failed prog load (the verifier log's last line) or
	// run.
	Log string
}

// mapStatements are the statements Run performs on the kernel.
var mapStatements = map[string]bool{
	"map": true, "update": true, "lookup": true, "delete": true, "next": true,
	"lookup_and_delete": true, "freeze": true, "push": true, "pop": true,
	"peek": true, "walk": true,
	// Program-side element helpers, run by a small XDP program per map
	// through BPF_PROG_TEST_RUN (see progFor).
	"bpf lookup": true, "bpf update": true, "bpf delete": true,
	"bpf push": true, "bpf pop": true, "bpf peek": true,
}

// queueTypes are the map types the bpf push/pop/peek programs serve.
var queueTypes = map[sim.MapType]bool{sim.MapQueue: true, sim.MapStack: true, sim.MapBloomFilter: true}

// progTypes are the map types the bpf lookup/update/delete programs serve.
var progTypes = map[sim.MapType]bool{
	sim.MapHash: true, sim.MapPercpuHash: true, sim.MapArray: true, sim.MapPercpuArray: true,
	sim.MapLRUHash: true, sim.MapLRUPercpuHash: true, sim.MapLPMTrie: true,
}

// progStatements are the program and bpffs statements Run performs.
var progStatements = map[string]bool{
	"prog": true, "run": true,
	"pin": true, "get": true, "unpin": true, "mkdir": true, "rmdir": true,
}

// neutral statements change nothing a kernel run could observe.
var neutral = map[string]bool{"note": true, "advance": true, "seed": true, "cpus": true, "cpu": true}

func parseNum(s string) (uint64, error) {
	s = strings.ReplaceAll(s, "_", "")
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return strconv.ParseUint(s[2:], 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}

// Checkable reports whether every statement of s can run on a kernel with
// ncpu possible CPUs and give results comparable with the simulator's; if
// not, it says why. Not checkable: ring-buffer statements (reservations are
// held across statements), bpf helper statements on map types without a
// helper program, runs of kprobe and tracepoint programs (no test_run),
// runs with pid= or comm= or a packet= form other than a length, hex: or
// str:, knobs, spin locks (they need BTF),
// fixed hash seeds (seed=N), a CPU count other than the host's when the
// result depends on it, and walks or next on hash-family maps or peeks on
// bloom filters that are not ZERO_SEED (the kernel seeds them randomly).
func Checkable(s *scenario.Script, ncpu int) (bool, string) {
	cpus := 1
	cpuSensitive := false
	randomSeed := map[string]bool{}
	types := map[string]sim.MapType{}
	progs := map[string]sim.ProgType{}
	pinned := map[string]string{} // cleaned path -> name
	cleanPath := func(p string) string {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		return path.Clean(p)
	}
	for _, st := range s.Stmts {
		switch {
		case st.Op == "knob":
			return false, fmt.Sprintf("line %d: knobs select other kernel versions", st.Line)
		case st.Op == "cpus":
			cpus = int(st.Args[0].Num)
		case st.Op == "cpu":
			if int(st.Args[0].Num) >= ncpu {
				return false, fmt.Sprintf("line %d: CPU %d does not exist here", st.Line, st.Args[0].Num)
			}
		case neutral[st.Op]:
		case st.Op == "prog":
			o, _ := st.Opt("type")
			t, err := sim.ParseProgType(o.Value)
			if err != nil {
				continue
			}
			progs[st.Args[0].Tok.Text] = t
		case st.Op == "run":
			switch progs[st.Args[0].Tok.Text] {
			case sim.ProgKprobe, sim.ProgTracepoint:
				return false, fmt.Sprintf("line %d: %s programs have no BPF_PROG_TEST_RUN", st.Line, progs[st.Args[0].Tok.Text])
			}
			for _, o := range st.Opts {
				switch o.Key {
				case "pid", "comm":
					return false, fmt.Sprintf("line %d: %s= cannot be set on the kernel", st.Line, o.Key)
				case "packet":
					if _, ok := packetOpt(o.Value); !ok {
						return false, fmt.Sprintf("line %d: packet=%s is not run on the kernel", st.Line, o.Value)
					}
				}
			}
		case st.Op == "pin":
			pinned[cleanPath(st.Args[1].Tok.Text)] = st.Args[0].Tok.Text
		case st.Op == "get":
			if src, ok := pinned[cleanPath(st.Args[0].Tok.Text)]; ok {
				name := st.Args[1].Tok.Text
				types[name], progs[name], randomSeed[name] = types[src], progs[src], randomSeed[src]
			}
		case progStatements[st.Op]:
		case st.Op == "map":
			if _, ok := st.Opt("lock"); ok {
				return false, fmt.Sprintf("line %d: lock= needs BTF", st.Line)
			}
			if _, ok := st.Opt("seed"); ok {
				return false, fmt.Sprintf("line %d: the kernel cannot take a fixed hash seed", st.Line)
			}
			o, _ := st.Opt("type")
			t, err := sim.ParseMapType(o.Value)
			if err != nil {
				continue // the simulator reports it
			}
			types[st.Args[0].Tok.Text] = t
			switch t {
			case sim.MapPercpuHash, sim.MapPercpuArray, sim.MapLRUHash, sim.MapLRUPercpuHash, sim.MapPercpuCgroupStorage:
				cpuSensitive = true
			}
			var flags uint32
			if f, ok := st.Opt("flags"); ok {
				flags, _ = sim.ParseMapFlags(f.Value)
			}
			switch t {
			case sim.MapHash, sim.MapPercpuHash, sim.MapLRUHash, sim.MapLRUPercpuHash, sim.MapHashOfMaps, sim.MapBloomFilter:
				if flags&sim.FlagZeroSeed == 0 {
					randomSeed[st.Args[0].Tok.Text] = true
				}
			}
		case mapStatements[st.Op]:
			name := st.Args[0].Tok.Text
			switch st.Op {
			case "bpf lookup", "bpf update", "bpf delete":
				if !progTypes[types[name]] {
					return false, fmt.Sprintf("line %d: %s on a %s map is not run on the kernel", st.Line, st.Op, types[name])
				}
			case "bpf push", "bpf pop", "bpf peek":
				if !queueTypes[types[name]] || st.Op == "bpf pop" && types[name] == sim.MapBloomFilter {
					return false, fmt.Sprintf("line %d: %s on a %s map is not run on the kernel", st.Line, st.Op, types[name])
				}
			}
			if randomSeed[name] && (st.Op == "walk" || st.Op == "next" || st.Op == "peek" || st.Op == "push") {
				return false, fmt.Sprintf("line %d: %s is not zero_seed: the kernel's order is random", st.Line, name)
			}
		case strings.HasPrefix(st.Op, "bpf ") || st.Op == "consume" || st.Op == "consumer":
			return false, fmt.Sprintf("line %d: %q: ring-buffer statements are not run on the kernel (reservations are held across statements)", st.Line, st.Op)
		default:
			return false, fmt.Sprintf("line %d: %q is not a map statement", st.Line, st.Op)
		}
	}
	if cpuSensitive && cpus != ncpu {
		return false, fmt.Sprintf("the scenario simulates %d CPU(s), this kernel has %d", cpus, ncpu)
	}
	return true, ""
}

type kmap struct {
	m    *kernel.Map
	name string
	id   uint32
}

type runner struct {
	script *scenario.Script
	ncpu   int
	maps   map[string]*kmap
	byID   map[uint32]string
	all    []*kmap
	progs  map[string]*ebpf.Program // by map name and op
	// sprogs are the scenario's programs by name; progByID names them by
	// kernel program ID.
	sprogs   map[string]*kprog
	progByID map[uint32]string
	allProgs []*ebpf.Program
	fs       *bpffs // made at the first bpffs statement
}

func (r *runner) errf(st *scenario.Stmt, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", r.script.Name, st.Line, fmt.Sprintf(format, args...))
}

// Run executes s on the kernel. Call Checkable first; Run refuses
// statements it does not perform. It pins the calling goroutine's thread to
// CPU 0 (and follows `cpu N`) for the duration, and closes every map it
// created.
func Run(s *scenario.Script) ([]Result, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, err
	}
	defer unix.SchedSetaffinity(0, &old)
	if err := setCPU(0); err != nil {
		return nil, err
	}
	r := &runner{script: s, ncpu: kernel.PossibleCPUs(), maps: map[string]*kmap{}, byID: map[uint32]string{}, progs: map[string]*ebpf.Program{},
		sprogs: map[string]*kprog{}, progByID: map[uint32]string{}}
	defer func() {
		for _, p := range r.progs {
			p.Close()
		}
		for _, p := range r.allProgs {
			p.Close()
		}
		if r.fs != nil {
			r.fs.close()
		}
		for _, m := range r.all {
			m.m.Close()
		}
	}()
	out := make([]Result, len(s.Stmts))
	for i, st := range s.Stmts {
		res := &out[i]
		res.Line, res.Op = st.Line, st.Op
		if neutral[st.Op] {
			res.Skipped = true
			if st.Op == "cpu" {
				if err := setCPU(int(st.Args[0].Num)); err != nil {
					return out, err
				}
			}
			continue
		}
		if !mapStatements[st.Op] && !progStatements[st.Op] {
			return out, r.errf(st, "%q is not a map statement", st.Op)
		}
		res.Err = r.exec(st, res)
	}
	return out, nil
}

func setCPU(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(0, &set)
}

func (r *runner) mapArg(st *scenario.Stmt) (*kmap, error) {
	name := st.Args[0].Tok.Text
	m, ok := r.maps[name]
	if !ok {
		return nil, r.errf(st, "undefined map %q", name)
	}
	return m, nil
}

func (r *runner) keyBytes(st *scenario.Stmt, m *kmap, a scenario.Arg) ([]byte, error) {
	var b []byte
	var err error
	if m.m.KeySize == 0 {
		b, err = a.Lit.EncodeUnsized()
		if err != nil && a.Lit.Kind == scenario.LitInt {
			b, err = a.Lit.Encode(4)
		}
	} else {
		b, err = a.Lit.Encode(int(m.m.KeySize))
	}
	if err != nil {
		return nil, r.errf(st, "key of %s: %v", m.name, err)
	}
	return b, nil
}

func (r *runner) valueBytes(st *scenario.Stmt, m *kmap, a scenario.Arg, syscall bool) ([]byte, error) {
	lit := a.Lit
	if lit.Kind == scenario.LitName {
		fd := -1
		if o, ok := r.maps[lit.Text]; ok {
			fd = o.m.FD
		} else if p, ok := r.sprogs[lit.Text]; ok {
			fd = p.p.FD()
		} else {
			return nil, r.errf(st, "undefined map or program %q", lit.Text)
		}
		if m.m.ValueSize != 4 {
			return nil, r.errf(st, "%s: a name stands for a 4-byte fd", lit.Text)
		}
		return binary.LittleEndian.AppendUint32(nil, uint32(fd)), nil
	}
	elem := int(m.m.ValueSize)
	if m.m.KeySize == 0 && elem == 0 {
		b, err := lit.EncodeUnsized()
		if err != nil {
			return nil, r.errf(st, "value of %s: %v", m.name, err)
		}
		return b, nil
	}
	if syscall && m.m.ValueBuf != elem { // per-CPU
		full := m.m.ValueBuf
		if (lit.Kind == scenario.LitHex || lit.Kind == scenario.LitStr && len(lit.Bytes) > elem) && len(lit.Bytes) == full {
			return lit.Encode(full)
		}
		one, err := lit.Encode(elem)
		if err != nil {
			return nil, r.errf(st, "value of %s: %v", m.name, err)
		}
		buf := make([]byte, full)
		stride := (elem + 7) / 8 * 8
		for c := 0; c < r.ncpu; c++ {
			copy(buf[c*stride:], one)
		}
		return buf, nil
	}
	b, err := lit.Encode(elem)
	if err != nil {
		return nil, r.errf(st, "value of %s: %v", m.name, err)
	}
	return b, nil
}

func flagsArg(st *scenario.Stmt, i int) uint64 {
	if i < len(st.Args) {
		return st.Args[i].Num
	}
	return 0
}

// isFDMap reports map types whose syscall lookups return IDs.
func isFDMap(t uint32) bool {
	switch sim.MapType(t) {
	case sim.MapProgArray, sim.MapArrayOfMaps, sim.MapHashOfMaps:
		return true
	}
	return false
}

func (r *runner) setValue(res *Result, m *kmap, v []byte) {
	res.Value = v
	if isFDMap(m.m.Type) && len(v) == 4 {
		res.FDValue = true
		if sim.MapType(m.m.Type) == sim.MapProgArray {
			res.ProgValue = true
			res.Name = r.progByID[binary.LittleEndian.Uint32(v)]
		} else {
			res.Name = r.byID[binary.LittleEndian.Uint32(v)]
		}
	}
}

func (r *runner) exec(st *scenario.Stmt, res *Result) error {
	switch st.Op {
	case "map":
		return r.doMap(st, res)
	case "prog":
		return r.doLoad(st, res)
	case "run":
		return r.doRun(st, res)
	case "pin", "get", "unpin", "mkdir", "rmdir":
		return r.doPin(st, res)
	}
	m, err := r.mapArg(st)
	if err != nil {
		return err
	}
	switch st.Op {
	case "bpf push", "bpf pop", "bpf peek":
		return r.doQueueProg(st, m, res)
	case "bpf lookup", "bpf update", "bpf delete":
		return r.doProg(st, m, res)
	}
	var e unix.Errno
	switch st.Op {
	case "update":
		key, err := r.keyBytes(st, m, st.Args[1])
		if err != nil {
			return err
		}
		val, err := r.valueBytes(st, m, st.Args[2], true)
		if err != nil {
			return err
		}
		e = m.m.Update(key, val, flagsArg(st, 3))
	case "lookup", "lookup_and_delete":
		key, err := r.keyBytes(st, m, st.Args[1])
		if err != nil {
			return err
		}
		var v []byte
		if st.Op == "lookup" {
			v, e = m.m.Lookup(key, flagsArg(st, 2))
		} else {
			v, e = m.m.LookupAndDelete(key, flagsArg(st, 2))
		}
		if e == 0 {
			r.setValue(res, m, v)
		}
	case "delete":
		var key []byte // no KEY: NULL
		if len(st.Args) > 1 {
			if key, err = r.keyBytes(st, m, st.Args[1]); err != nil {
				return err
			}
		}
		e = m.m.Delete(key)
	case "next":
		var key []byte
		if len(st.Args) > 1 {
			if key, err = r.keyBytes(st, m, st.Args[1]); err != nil {
				return err
			}
		}
		var k []byte
		k, e = m.m.NextKey(key)
		if e == 0 {
			res.Key = k
		}
	case "walk":
		var key []byte
		limit := int(m.m.MaxEntries) + 1
		if limit <= 0 || limit > 1<<22 {
			limit = 1 << 22
		}
		for {
			k, ke := m.m.NextKey(key)
			if ke == unix.ENOENT && len(res.Keys) > 0 {
				break
			}
			if ke != 0 {
				e = ke
				res.Keys = nil
				break
			}
			key = k
			res.Keys = append(res.Keys, k)
			if len(res.Keys) > limit {
				return r.errf(st, "the walk of %s returned more than %d keys: it does not end", m.name, limit-1)
			}
		}
	case "freeze":
		e = m.m.Freeze()
	case "push":
		val, err := r.valueBytes(st, m, st.Args[1], true)
		if err != nil {
			return err
		}
		e = m.m.Push(val, flagsArg(st, 2))
	case "pop", "peek":
		if len(st.Args) > 1 {
			val, err := r.valueBytes(st, m, st.Args[1], false)
			if err != nil {
				return err
			}
			e = m.m.PeekValue(val, 0)
			break
		}
		var v []byte
		if st.Op == "pop" {
			v, e = m.m.Pop(0)
		} else {
			v, e = m.m.Peek()
		}
		if e == 0 {
			r.setValue(res, m, v)
		}
	}
	res.Errno = kernel.ToSim(e)
	return nil
}

func (r *runner) doMap(st *scenario.Stmt, res *Result) error {
	name := st.Args[0].Tok.Text
	for _, k := range []string{"seed", "lock"} {
		if _, ok := st.Opt(k); ok {
			return r.errf(st, "%s= cannot be run on the kernel", k)
		}
	}
	sa, inner, err := st.MapAttr(r.script.Name)
	if err != nil {
		return err
	}
	a := kernel.AttrFromSim(sa, 0)
	if inner != "" {
		in, ok := r.maps[inner]
		if !ok {
			return r.errf(st, "undefined map %q", inner)
		}
		a.InnerMapFD = in.m.FD
	}
	m, e := kernel.CreateMap(a)
	res.Errno = kernel.ToSim(e)
	if e != 0 {
		r.unbind(name)
		return nil
	}
	km := &kmap{m: m, name: name}
	if info, e := kernel.MapInfoByFD(m.FD); e == 0 {
		km.id = info.ID
		r.byID[info.ID] = name
	}
	r.bindMap(name, km)
	r.all = append(r.all, km)
	return nil
}

// maxProgValue bounds the value size the lookup program copies out.
const maxProgValue = 512

// progFor loads (once per map and operation) an XDP program that performs
// a helper call on m with arguments from the packet:
//
//	packet = key (key_size) | value (value_size) | flags (u64)
//
// lookup copies the value it finds to the start of the packet and returns
// 1, or returns 0 for NULL; update and delete return the helper's R0.
func (r *runner) progFor(m *kmap, op string) (*ebpf.Program, error) {
	id := m.name + "\x00" + op
	if p, ok := r.progs[id]; ok {
		return p, nil
	}
	ks, vs := int32(m.m.KeySize), int32(m.m.ValueSize)
	need := ks + vs + 8
	insns := asm.Instructions{
		asm.LoadMem(asm.R6, asm.R1, 0, asm.Word), // data
		asm.LoadMem(asm.R7, asm.R1, 4, asm.Word), // data_end
		asm.Mov.Reg(asm.R8, asm.R6),
		asm.Add.Imm(asm.R8, need),
		asm.JLE.Reg(asm.R8, asm.R7, "pkt_ok"),
		asm.Mov.Imm(asm.R0, 1000),
		asm.Return(),
		asm.LoadMapPtr(asm.R1, m.m.FD).WithSymbol("pkt_ok"),
		asm.Mov.Reg(asm.R2, asm.R6),
	}
	switch op {
	case "bpf lookup":
		insns = append(insns,
			asm.FnMapLookupElem.Call(),
			asm.JNE.Imm(asm.R0, 0, "found"),
			asm.Return(),
		)
		first := true
		for i := int32(0); i < vs; i++ {
			ld := asm.LoadMem(asm.R1, asm.R0, int16(i), asm.Byte)
			if first {
				ld = ld.WithSymbol("found")
				first = false
			}
			insns = append(insns, ld, asm.StoreMem(asm.R6, int16(i), asm.R1, asm.Byte))
		}
		ret := asm.Mov.Imm(asm.R0, 1)
		if first {
			ret = ret.WithSymbol("found")
		}
		insns = append(insns, ret, asm.Return())
	case "bpf update":
		insns = append(insns,
			asm.Mov.Reg(asm.R3, asm.R6),
			asm.Add.Imm(asm.R3, ks),
			asm.LoadMem(asm.R4, asm.R6, int16(ks+vs), asm.DWord),
			asm.FnMapUpdateElem.Call(),
			asm.Return(),
		)
	case "bpf delete":
		insns = append(insns,
			asm.FnMapDeleteElem.Call(),
			asm.Return(),
		)
	}
	p, err := kernel.LoadProgramWithOptions(&ebpf.ProgramSpec{Type: ebpf.XDP, License: "GPL", Instructions: insns},
		ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch})
	if err != nil {
		return nil, err
	}
	r.progs[id] = p
	return p, nil
}

// queueProgFor loads (once per map and operation) an XDP program for
// bpf_map_push_elem, bpf_map_pop_elem or bpf_map_peek_elem on m:
//
//	packet = value (value_size) | flags (u64)
//
// The helpers may not touch the packet, so the value goes through the
// stack. The program returns the helper's R0; pop and peek copy the value
// back to the start of the packet.
func (r *runner) queueProgFor(m *kmap, op string) (*ebpf.Program, error) {
	id := m.name + "\x00" + op
	if p, ok := r.progs[id]; ok {
		return p, nil
	}
	vs := int32(m.m.ValueSize)
	off := -int16((vs + 7) &^ 7)
	insns := asm.Instructions{
		asm.LoadMem(asm.R6, asm.R1, 0, asm.Word), // data
		asm.LoadMem(asm.R7, asm.R1, 4, asm.Word), // data_end
		asm.Mov.Reg(asm.R8, asm.R6),
		asm.Add.Imm(asm.R8, vs+8),
		asm.JLE.Reg(asm.R8, asm.R7, "pkt_ok"),
		asm.Mov.Imm(asm.R0, 1000),
		asm.Return(),
		asm.Mov.Imm(asm.R0, 0).WithSymbol("pkt_ok"),
	}
	for i := int32(0); i < vs; i++ {
		insns = append(insns,
			asm.LoadMem(asm.R4, asm.R6, int16(i), asm.Byte),
			asm.StoreMem(asm.R10, off+int16(i), asm.R4, asm.Byte))
	}
	insns = append(insns,
		asm.LoadMapPtr(asm.R1, m.m.FD),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, int32(off)),
	)
	switch op {
	case "bpf push":
		insns = append(insns, asm.LoadMem(asm.R3, asm.R6, int16(vs), asm.DWord), asm.FnMapPushElem.Call(), asm.Return())
	default:
		fn := asm.FnMapPopElem
		if op == "bpf peek" {
			fn = asm.FnMapPeekElem
		}
		insns = append(insns, fn.Call())
		for i := int32(0); i < vs; i++ {
			insns = append(insns,
				asm.LoadMem(asm.R4, asm.R10, off+int16(i), asm.Byte),
				asm.StoreMem(asm.R6, int16(i), asm.R4, asm.Byte))
		}
		insns = append(insns, asm.Return())
	}
	p, err := kernel.LoadProgramWithOptions(&ebpf.ProgramSpec{Type: ebpf.XDP, License: "GPL", Instructions: insns},
		ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch})
	if err != nil {
		return nil, err
	}
	r.progs[id] = p
	return p, nil
}

func (r *runner) doQueueProg(st *scenario.Stmt, m *kmap, res *Result) error {
	vs := int(m.m.ValueSize)
	if vs > 256 {
		return r.errf(st, "value_size %d is above 256", vs)
	}
	pkt := make([]byte, max(14, vs+8))
	var flags uint64
	withValue := st.Op == "bpf push" || st.Op == "bpf peek" && len(st.Args) > 1
	if withValue {
		val, err := r.valueBytes(st, m, st.Args[1], false)
		if err != nil {
			return err
		}
		copy(pkt, val)
		if st.Op == "bpf push" {
			flags = flagsArg(st, 2)
		}
	}
	binary.LittleEndian.PutUint64(pkt[vs:], flags)
	p, err := r.queueProgFor(m, st.Op)
	if err != nil {
		return r.errf(st, "load the %s program: %v", st.Op, err)
	}
	out := make([]byte, len(pkt))
	ret, err := p.Run(&ebpf.RunOptions{Data: pkt, DataOut: out})
	if err != nil {
		return r.errf(st, "run the %s program: %v", st.Op, err)
	}
	if ret == 1000 {
		return r.errf(st, "the %s program refused the packet", st.Op)
	}
	res.Errno = sim.Errno(-int32(ret))
	if res.Errno == sim.OK && st.Op != "bpf push" && !withValue {
		res.Value = out[:vs]
	}
	return nil
}

func (r *runner) doProg(st *scenario.Stmt, m *kmap, res *Result) error {
	if m.m.ValueSize > maxProgValue {
		return r.errf(st, "value_size %d is above %d", m.m.ValueSize, maxProgValue)
	}
	key, err := r.keyBytes(st, m, st.Args[1])
	if err != nil {
		return err
	}
	ks, vs := int(m.m.KeySize), int(m.m.ValueSize)
	pkt := make([]byte, max(14, ks+vs+8))
	copy(pkt, key)
	if st.Op == "bpf update" {
		val, err := r.valueBytes(st, m, st.Args[2], false)
		if err != nil {
			return err
		}
		copy(pkt[ks:], val)
		binary.LittleEndian.PutUint64(pkt[ks+vs:], flagsArg(st, 3))
	}
	p, err := r.progFor(m, st.Op)
	if err != nil {
		return r.errf(st, "load the %s program: %v", st.Op, err)
	}
	out := make([]byte, len(pkt))
	ret, err := p.Run(&ebpf.RunOptions{Data: pkt, DataOut: out})
	if err != nil {
		return r.errf(st, "run the %s program: %v", st.Op, err)
	}
	if ret == 1000 {
		return r.errf(st, "the %s program refused the packet", st.Op)
	}
	switch st.Op {
	case "bpf lookup":
		if ret == 0 {
			res.Errno = sim.ENOENT
		} else {
			res.Value = out[:vs]
		}
	default:
		res.Errno = sim.Errno(-int32(ret))
	}
	return nil
}
