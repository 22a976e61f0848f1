//go:build linux

package sim_test

// The differential engine of the kernel-oracle tests: a scenario (create
// attributes plus a list of map operations) runs statement by statement on
// the real kernel and on a sim.World with the kernel's possible-CPU count,
// and every errno, value and walk is compared. A mismatch is shrunk to a
// minimal reproducer (greedy removal of statements) before it is reported.

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

// oracleOpKind is one kind of statement.
type oracleOpKind int

const (
	opUpdate oracleOpKind = iota
	opLookup
	opDelete
	opLookupAndDelete
	opNextKey
	opWalk // full get_next_key walk from NULL, then a lookup of every key
	opFreeze
	opProgLookup       // bpf_map_lookup_elem from a program (env.progLookup)
	opKeySet           // the sorted key set (for maps whose walk order is not modelled)
	opPeekValue        // lookup with a NULL key and Val as the input (bloom filter)
	opProgUpdate       // bpf_map_update_elem from a program (Val is one CPU's value)
	opProgDelete       // bpf_map_delete_elem from a program
	opCPU              // move to CPU Flags (the kernel thread's affinity; World.SetCPU)
	opProgPush         // bpf_map_push_elem(Val, Flags) from a program
	opProgPop          // bpf_map_pop_elem from a program
	opProgPeek         // bpf_map_peek_elem from a program
	opProgLookupPercpu // bpf_map_lookup_percpu_elem(Key, cpu Flags) from a program
)

func (k oracleOpKind) String() string {
	return [...]string{"update", "lookup", "delete", "lookup_and_delete", "next", "walk", "freeze", "prog_lookup", "keyset", "peek_value", "prog_update", "prog_delete", "cpu", "prog_push", "prog_pop", "prog_peek", "prog_lookup_percpu"}[k]
}

// oracleOp is one statement. Key nil means a NULL key pointer.
type oracleOp struct {
	Kind  oracleOpKind
	Key   []byte
	Val   []byte
	Flags uint64
}

func (o oracleOp) String() string {
	var b strings.Builder
	b.WriteString(o.Kind.String())
	if o.Kind == opWalk || o.Kind == opFreeze || o.Kind == opKeySet {
		return b.String()
	}
	if o.Kind == opCPU {
		return fmt.Sprintf("cpu %d", o.Flags)
	}
	if o.Key == nil {
		b.WriteString(" NULL")
	} else {
		b.WriteString(" " + hex.EncodeToString(o.Key))
	}
	if o.Kind == opProgPop || o.Kind == opProgPeek {
		return b.String()
	}
	if o.Kind == opProgPush {
		return fmt.Sprintf("%s %s flags=%d", b.String(), hex.EncodeToString(o.Val), o.Flags)
	}
	if o.Kind == opUpdate || o.Kind == opPeekValue || o.Kind == opProgUpdate {
		b.WriteString(" = " + hex.EncodeToString(o.Val))
	}
	if o.Kind == opProgLookupPercpu {
		fmt.Fprintf(&b, " cpu=%d", o.Flags)
	} else if o.Flags != 0 || o.Kind == opUpdate || o.Kind == opProgUpdate {
		fmt.Fprintf(&b, " flags=%d", o.Flags)
	}
	return b.String()
}

// oracleScenario is one create plus its statements.
type oracleScenario struct {
	Name string
	Attr sim.MapAttr // InnerMapFD is not used here
	Ops  []oracleOp
}

func (s oracleScenario) String() string {
	var b strings.Builder
	a := s.Attr
	fmt.Fprintf(&b, "create %s key=%d value=%d max=%d flags=%s", a.Type, a.KeySize, a.ValueSize, a.MaxEntries, sim.FormatMapFlags(a.Flags))
	if a.MapExtra != 0 {
		fmt.Fprintf(&b, " map_extra=%d", a.MapExtra)
	}
	for i, op := range s.Ops {
		fmt.Fprintf(&b, "\n  %3d: %s", i+1, op)
	}
	return b.String()
}

// oracleEnv supplies what a scenario needs beyond plain syscalls: program
// lookups (LRU ref bits) run against the kernel map through a loaded
// program. Nil fields mean "not supported".
type oracleEnv struct {
	// before runs on every replay before the maps are created; it may add
	// programs or maps to the World and returns the inner_map_fd to use
	// on each side (0: none).
	before func(w *sim.World) (kInner, sInner int, err error)
	// setup runs after both maps exist (for example: put the kernel map
	// into an outer map slot that a loaded program reads).
	setup func(km *kernel.Map, sm *sim.Map) error
	// cleanup runs at the end of every replay.
	cleanup func()
	// kernelVal and simVal translate update values (symbolic fds into
	// each side's fds); kernelOut and simOut normalize lookup results
	// (IDs into symbols). Nil means identity.
	kernelVal, simVal func([]byte) []byte
	kernelOut, simOut func([]byte) []byte
	// progLookup runs bpf_map_lookup_elem(key) in a program on the
	// kernel, returning whether the key was found.
	progLookup func(km *kernel.Map, key []byte) (val []byte, found bool, err error)
	// progQueue runs push (op 3), pop (4) or peek (5) in a program.
	progQueue func(km *kernel.Map, op byte, val []byte, flags uint64) ([]byte, sim.Errno, error)
	// progUpdate and progDelete run the helpers in a program on the
	// kernel and return the errno of R0.
	progUpdate func(km *kernel.Map, key, val []byte, flags uint64) (sim.Errno, error)
	progDelete func(km *kernel.Map, key []byte) (sim.Errno, error)
	// walkOrderFree compares walks as sets (order not modelled).
	walkOrderFree bool
	// noValueCheck skips comparing lookup values of walk keys.
	noValueCheck bool
}

// oracleResult is what one statement produced on one side.
type oracleResult struct {
	errno sim.Errno
	out   []byte
	keys  [][]byte
	vals  [][]byte
	verrs []sim.Errno
}

func (r oracleResult) String() string {
	var b strings.Builder
	b.WriteString(r.errno.String())
	if r.out != nil {
		b.WriteString(" " + hex.EncodeToString(r.out))
	}
	if r.keys != nil || r.vals != nil {
		b.WriteString(" [")
		for i, k := range r.keys {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(hex.EncodeToString(k))
			if i < len(r.vals) {
				if r.verrs[i] != sim.OK {
					b.WriteString("=" + r.verrs[i].String())
				} else {
					b.WriteString("=" + hex.EncodeToString(r.vals[i]))
				}
			}
		}
		b.WriteString("]")
	}
	return b.String()
}

func (r oracleResult) equal(o oracleResult) bool {
	if r.errno != o.errno || !bytes.Equal(r.out, o.out) || len(r.keys) != len(o.keys) || len(r.vals) != len(o.vals) {
		return false
	}
	for i := range r.keys {
		if !bytes.Equal(r.keys[i], o.keys[i]) {
			return false
		}
	}
	for i := range r.vals {
		if r.verrs[i] != o.verrs[i] || !bytes.Equal(r.vals[i], o.vals[i]) {
			return false
		}
	}
	return true
}

// oracleMismatch describes the first statement where kernel and sim differ.
type oracleMismatch struct {
	Step   int // -1: create
	Kernel string
	Sim    string
}

// describeMismatch says how two results differ: errno and output, or for
// walks which keys only one side has, then order and value differences.
func describeMismatch(step int, kr, sr oracleResult) *oracleMismatch {
	mm := &oracleMismatch{Step: step}
	if kr.keys == nil || len(kr.String())+len(sr.String()) < 600 {
		mm.Kernel, mm.Sim = kr.String(), sr.String()
		return mm
	}
	in := func(set [][]byte) map[string]bool {
		m := map[string]bool{}
		for _, k := range set {
			m[string(k)] = true
		}
		return m
	}
	kset, sset := in(kr.keys), in(sr.keys)
	var onlyK, onlyS []string
	for _, k := range kr.keys {
		if !sset[string(k)] {
			onlyK = append(onlyK, hex.EncodeToString(k))
		}
	}
	for _, k := range sr.keys {
		if !kset[string(k)] {
			onlyS = append(onlyS, hex.EncodeToString(k))
		}
	}
	mm.Kernel = fmt.Sprintf("%v, %d keys; only in the kernel: %v", kr.errno, len(kr.keys), onlyK)
	mm.Sim = fmt.Sprintf("%v, %d keys; only in the sim: %v", sr.errno, len(sr.keys), onlyS)
	if len(onlyK) == 0 && len(onlyS) == 0 {
		mm.Kernel += " (same key set: order or values differ) " + kr.String()
		mm.Sim += " " + sr.String()
	}
	return mm
}

// walkLimit bounds every walk: a correct walk has at most max_entries keys.
func walkLimit(a sim.MapAttr) int { return int(a.MaxEntries)*2 + 16 }

// runOracleScenario executes s on both sides. It returns the number of
// statements compared (create included) and the first mismatch, if any.
func runOracleScenario(s oracleScenario, env *oracleEnv) (int, *oracleMismatch, error) {
	if env == nil {
		env = &oracleEnv{}
	}
	w := sim.NewWorld(sim.Config{PossibleCPUs: kernel.PossibleCPUs()})
	if env.cleanup != nil {
		defer env.cleanup()
	}
	ka, sa := kernel.AttrFromSim(s.Attr, 0), s.Attr
	if env.before != nil {
		kin, sin, err := env.before(w)
		if err != nil {
			return 0, nil, err
		}
		ka.InnerMapFD, sa.InnerMapFD = kin, sin
	}
	km, ke := kernel.CreateMap(ka)
	if km != nil {
		defer km.Close()
	}
	sm, se := w.CreateMap(sa)
	stmts := 1
	if kernel.ToSim(ke) != se {
		return stmts, &oracleMismatch{Step: -1, Kernel: kernel.ToSim(ke).String(), Sim: se.String()}, nil
	}
	if ke != 0 {
		return stmts, nil, nil
	}
	if km.MaxEntries != sm.MaxEntries {
		return stmts, &oracleMismatch{Step: -1, Kernel: fmt.Sprintf("max_entries %d", km.MaxEntries), Sim: fmt.Sprintf("max_entries %d", sm.MaxEntries)}, nil
	}
	if env.setup != nil {
		if err := env.setup(km, sm); err != nil {
			return stmts, nil, err
		}
	}
	for i, op := range s.Ops {
		kr, err := kernelDo(km, op, s.Attr, env)
		if err != nil {
			return stmts, nil, err
		}
		sr := simDo(sm, op, s.Attr, env)
		stmts++
		if !kr.equal(sr) {
			return stmts, describeMismatch(i, kr, sr), nil
		}
	}
	return stmts, nil, nil
}

func kernelDo(m *kernel.Map, op oracleOp, a sim.MapAttr, env *oracleEnv) (oracleResult, error) {
	var r oracleResult
	var e unix.Errno
	switch op.Kind {
	case opUpdate:
		e = m.Update(op.Key, xlate(env.kernelVal, op.Val), op.Flags)
	case opLookup:
		r.out, e = m.Lookup(op.Key, op.Flags)
	case opDelete:
		e = m.Delete(op.Key)
	case opLookupAndDelete:
		r.out, e = m.LookupAndDelete(op.Key, op.Flags)
	case opNextKey:
		r.out, e = m.NextKey(op.Key)
	case opFreeze:
		e = m.Freeze()
	case opPeekValue:
		e = m.PeekValue(append([]byte(nil), op.Val...), op.Flags)
	case opProgUpdate, opProgDelete:
		var se sim.Errno
		var err error
		if op.Kind == opProgUpdate {
			se, err = env.progUpdate(m, op.Key, op.Val, op.Flags)
		} else {
			se, err = env.progDelete(m, op.Key)
		}
		if err != nil {
			return r, err
		}
		e = unix.Errno(se)
	case opCPU:
		var set unix.CPUSet
		set.Set(int(op.Flags))
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			return r, err
		}
	case opProgLookup:
		val, found, err := env.progLookup(m, op.Key)
		if err != nil {
			return r, err
		}
		if !found {
			e = unix.ENOENT
		} else {
			r.out = val
		}
	case opProgLookupPercpu:
		val, se, err := env.progQueue(m, 6, op.Key, op.Flags)
		if err != nil {
			return r, err
		}
		e = unix.Errno(se)
		if se == sim.OK {
			r.out = val
		}
	case opProgPush, opProgPop, opProgPeek:
		code := map[oracleOpKind]byte{opProgPush: 3, opProgPop: 4, opProgPeek: 5}[op.Kind]
		val, se, err := env.progQueue(m, code, op.Val, op.Flags)
		if err != nil {
			return r, err
		}
		e = unix.Errno(se)
		if se == sim.OK && op.Kind != opProgPush && a.Type != sim.MapBloomFilter {
			r.out = val
		}
	case opWalk, opKeySet:
		var keys [][]byte
		keys, e = m.Walk(walkLimit(a))
		if op.Kind == opKeySet {
			sortKeys(keys)
		}
		r.keys = keys
		if r.keys == nil {
			r.keys = [][]byte{}
		}
		if !env.noValueCheck {
			for _, k := range keys {
				v, ve := m.Lookup(k, 0)
				if ve == 0 {
					v = xlate(env.kernelOut, v)
				}
				r.vals = append(r.vals, v)
				r.verrs = append(r.verrs, kernel.ToSim(ve))
			}
		}
	}
	r.errno = kernel.ToSim(e)
	if r.errno == sim.OK && (op.Kind == opLookup || op.Kind == opLookupAndDelete) {
		r.out = xlate(env.kernelOut, r.out)
	}
	return r, nil
}

func xlate(f func([]byte) []byte, b []byte) []byte {
	if f == nil || b == nil {
		return b
	}
	return f(b)
}

func simDo(m *sim.Map, op oracleOp, a sim.MapAttr, env *oracleEnv) oracleResult {
	var r oracleResult
	switch op.Kind {
	case opUpdate:
		r.errno = m.Update(op.Key, xlate(env.simVal, op.Val), op.Flags)
	case opLookup:
		r.out, r.errno = m.Lookup(op.Key, op.Flags)
	case opDelete:
		r.errno = m.Delete(op.Key)
	case opLookupAndDelete:
		r.out, r.errno = m.LookupAndDelete(op.Key, op.Flags)
	case opNextKey:
		r.out, r.errno = m.GetNextKey(op.Key)
	case opFreeze:
		r.errno = m.Freeze()
	case opPeekValue:
		r.errno = m.PeekValue(append([]byte(nil), op.Val...), op.Flags)
	case opProgUpdate:
		r.errno = m.ProgUpdate(op.Key, op.Val, op.Flags)
	case opProgDelete:
		r.errno = m.ProgDelete(op.Key)
	case opCPU:
		if err := m.World().SetCPU(int(op.Flags)); err != nil {
			r.errno = sim.EINVAL
		}
	case opProgLookup:
		var v []byte
		v, r.errno = m.ProgLookup(op.Key)
		if r.errno == sim.OK && len(v) >= int(m.ValueSize) {
			r.out = append([]byte(nil), v[:m.ValueSize]...)
		}
	case opProgLookupPercpu:
		var v []byte
		v, r.errno = m.ProgLookupPercpu(op.Key, int(int32(op.Flags)))
		if r.errno == sim.OK && len(v) >= int(m.ValueSize) {
			r.out = append([]byte(nil), v[:m.ValueSize]...)
		}
	case opProgPush:
		r.errno = m.ProgPush(op.Val, op.Flags)
	case opProgPeek:
		if m.Type == sim.MapBloomFilter { // the value is the input
			r.errno = m.ProgPeekInto(append([]byte(nil), op.Val...))
			break
		}
		var v []byte
		if v, r.errno = m.ProgPeek(); r.errno == sim.OK {
			r.out = append([]byte(nil), v...)
		}
	case opProgPop:
		var v []byte
		if op.Kind == opProgPop {
			v, r.errno = m.ProgPop()
		} else {
			v, r.errno = m.ProgPeek()
		}
		if r.errno == sim.OK {
			r.out = append([]byte(nil), v...)
		}
	case opWalk, opKeySet:
		keys, e := simWalk(m, walkLimit(a))
		if op.Kind == opKeySet {
			sortKeys(keys)
		}
		r.errno = e
		r.keys = keys
		if r.keys == nil {
			r.keys = [][]byte{}
		}
		if !env.noValueCheck {
			for _, k := range keys {
				v, ve := m.Lookup(k, 0)
				if ve == sim.OK {
					v = xlate(env.simOut, v)
				} else {
					v = nil
				}
				r.vals = append(r.vals, v)
				r.verrs = append(r.verrs, ve)
			}
		}
	}
	if r.errno != sim.OK {
		r.out = nil
	} else if op.Kind == opLookup || op.Kind == opLookupAndDelete {
		r.out = xlate(env.simOut, r.out)
	}
	return r
}

func sortKeys(keys [][]byte) {
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
}

func simWalk(m *sim.Map, limit int) ([][]byte, sim.Errno) {
	var keys [][]byte
	var cur []byte
	for i := 0; i < limit; i++ {
		next, e := m.GetNextKey(cur)
		if e != sim.OK {
			return keys, e
		}
		next = append([]byte(nil), next...)
		keys = append(keys, next)
		cur = next
	}
	return keys, sim.E2BIG
}

// shrinkOracleScenario removes statements while the mismatch persists, to
// give a short reproducer. It replays at most budget times.
func shrinkOracleScenario(s oracleScenario, env *oracleEnv, mm *oracleMismatch, budget int) (oracleScenario, *oracleMismatch) {
	if mm.Step >= 0 {
		s.Ops = s.Ops[:mm.Step+1]
	}
	// Read-only statements (except the last) rarely matter: drop them all
	// at once if the mismatch survives.
	if len(s.Ops) > 1 {
		try := s
		try.Ops = nil
		for _, op := range s.Ops[:len(s.Ops)-1] {
			switch op.Kind {
			case opWalk, opKeySet, opLookup, opNextKey, opPeekValue:
				continue
			}
			try.Ops = append(try.Ops, op)
		}
		try.Ops = append(try.Ops, s.Ops[len(s.Ops)-1])
		if _, m2, err := runOracleScenario(try, env); err == nil && m2 != nil {
			if m2.Step >= 0 {
				try.Ops = try.Ops[:m2.Step+1]
			}
			s, mm = try, m2
		}
	}
	for chunk := len(s.Ops) / 2; chunk >= 1; chunk /= 2 {
		for i := 0; i+chunk <= len(s.Ops) && budget > 0; {
			try := s
			try.Ops = append(append([]oracleOp(nil), s.Ops[:i]...), s.Ops[i+chunk:]...)
			budget--
			_, m2, err := runOracleScenario(try, env)
			if err == nil && m2 != nil {
				if m2.Step >= 0 {
					try.Ops = try.Ops[:m2.Step+1]
				}
				s, mm = try, m2
				continue
			}
			i += chunk
		}
	}
	return s, mm
}

// oracleStats counts what a suite compared; it is printed at the end.
type oracleStats struct {
	mu         sync.Mutex
	scenarios  int
	statements int
	mismatches int
	reported   int
}

func (st *oracleStats) add(stmts int, mismatch bool) {
	st.mu.Lock()
	st.scenarios++
	st.statements += stmts
	if mismatch {
		st.mismatches++
	}
	st.mu.Unlock()
}

// summary prints the counts with t.Logf and, under -v, also on stdout.
func (st *oracleStats) summary(t *testing.T, what string) {
	t.Helper()
	line := fmt.Sprintf("kernel oracle %s: %d scenarios, %d statements compared, %d mismatching scenarios", what, st.scenarios, st.statements, st.mismatches)
	t.Log(line)
	if testing.Verbose() {
		fmt.Println("ORACLE " + line)
	}
}

// check runs one scenario, reports a shrunk mismatch (at most maxReports
// per suite) and counts it.
func (st *oracleStats) check(t *testing.T, s oracleScenario, env *oracleEnv) bool {
	t.Helper()
	n, mm, err := runOracleScenario(s, env)
	if err != nil {
		t.Fatalf("%s: harness error: %v", s.Name, err)
	}
	st.add(n, mm != nil)
	if mm == nil {
		return true
	}
	st.mu.Lock()
	st.reported++
	report := st.reported <= maxReports
	st.mu.Unlock()
	if report {
		small, smm := shrinkOracleScenario(s, env, mm, 3000)
		t.Errorf("%s: kernel and sim differ at statement %d\nkernel: %s\nsim:    %s\nminimal reproducer (the last statement differs):\n%s",
			s.Name, smm.Step+1, smm.Kernel, smm.Sim, small)
	}
	return false
}

const maxReports = 8

// TestOracleHarnessDetects checks that the engine notices a wrong value and
// a wrong errno (a harness that never fails proves nothing).
func TestOracleHarnessDetects(t *testing.T) {
	kernel.Require(t)
	requireSimulated(t, sim.MapHash)
	a := sim.MapAttr{Type: sim.MapHash, KeySize: 4, ValueSize: 4, MaxEntries: 2, Flags: sim.FlagZeroSeed}
	k := []byte{1, 0, 0, 0}
	s := oracleScenario{Name: "detect", Attr: a, Ops: []oracleOp{
		{Kind: opUpdate, Key: k, Val: []byte{1, 2, 3, 4}}, {Kind: opLookup, Key: k},
	}}
	flip := &oracleEnv{simVal: func(v []byte) []byte { c := append([]byte(nil), v...); c[0] ^= 1; return c }}
	if _, mm, err := runOracleScenario(s, flip); err != nil || mm == nil || mm.Step != 1 {
		t.Fatalf("a changed value was not detected at statement 2: %+v %v", mm, err)
	}
	s.Ops = []oracleOp{{Kind: opUpdate, Key: k, Val: []byte{1, 2, 3, 4}, Flags: sim.UpdateExist}}
	wrong := &oracleEnv{simVal: func(v []byte) []byte { return v[:3] }} // EFAULT in the sim only
	if _, mm, err := runOracleScenario(s, wrong); err != nil || mm == nil || mm.Step != 0 {
		t.Fatalf("a changed errno was not detected: %+v %v", mm, err)
	}
}
