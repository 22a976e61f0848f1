//go:build linux

package sim_test

// Kernel oracle for the batch commands: random sequences of lookup,
// lookup_and_delete, update and delete batches (plus walks that compare the
// whole map) run on the live kernel through raw bpf(2) and on the
// simulator. Every call compares the errno, the count written back,
// out_batch (written or not, and its bytes), and the keys and values
// copied out.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/bpfplay/bpfplay/internal/kernel"
	"github.com/bpfplay/bpfplay/sim"
)

// bpf(2) batch commands.
const (
	cmdLookupBatch          = 24
	cmdLookupAndDeleteBatch = 25
	cmdUpdateBatch          = 26
	cmdDeleteBatch          = 27
)

// kbAttr mirrors the batch member of union bpf_attr.
type kbAttr struct {
	inBatch, outBatch, keys, values uint64
	count, mapFD                    uint32
	elemFlags, flags                uint64
}

var kbZero [8]byte

func kbPtr(b []byte) uint64 {
	if b == nil {
		return 0
	}
	if len(b) == 0 {
		return uint64(uintptr(unsafe.Pointer(&kbZero[0])))
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))
}

// kbSentinel fills out_batch before a call, to see whether the kernel
// wrote it. Keys and bucket indexes in these scenarios never equal it.
const kbSentinel = 0xa5

// kernelBatch runs one batch command on the kernel map. For lookups keys
// and values are ignored and count says how many to ask for; for update and
// delete count is len(keys). tokenSize is the size of out_batch.
func kernelBatch(km *kernel.Map, cmd int, in []byte, count uint32, keys, values [][]byte, elemFlags, flags uint64, tokenSize int) (sim.BatchResult, sim.Errno) {
	ks := int(km.KeySize)
	vb := km.ValueBuf
	var kbuf, vbuf []byte
	if cmd == cmdLookupBatch || cmd == cmdLookupAndDeleteBatch {
		kbuf = make([]byte, int(count)*ks)
		vbuf = make([]byte, int(count)*vb)
	} else {
		count = uint32(len(keys))
		for _, k := range keys {
			kbuf = append(kbuf, k...)
		}
		for _, v := range values {
			vbuf = append(vbuf, v...)
		}
	}
	out := bytes.Repeat([]byte{kbSentinel}, max(tokenSize, 8))
	a := kbAttr{inBatch: kbPtr(in), outBatch: kbPtr(out), keys: kbPtr(kbuf), values: kbPtr(vbuf), count: count, mapFD: uint32(km.FD), elemFlags: elemFlags, flags: flags}
	_, _, e := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(unsafe.Pointer(&a)), unsafe.Sizeof(a))
	runtime.KeepAlive(in)
	runtime.KeepAlive(out)
	runtime.KeepAlive(kbuf)
	runtime.KeepAlive(vbuf)
	res := sim.BatchResult{Count: a.count}
	if !bytes.Equal(out[:tokenSize], bytes.Repeat([]byte{kbSentinel}, tokenSize)) {
		res.OutBatch = append([]byte(nil), out[:tokenSize]...)
	}
	errno := sim.Errno(e)
	if (cmd == cmdLookupBatch || cmd == cmdLookupAndDeleteBatch) && (errno == sim.OK || errno == sim.ENOENT || errno == sim.ENOSPC) {
		for i := 0; i < int(a.count) && (i+1)*ks <= len(kbuf); i++ {
			res.Keys = append(res.Keys, append([]byte(nil), kbuf[i*ks:(i+1)*ks]...))
			res.Values = append(res.Values, append([]byte(nil), vbuf[i*vb:(i+1)*vb]...))
		}
	}
	return res, errno
}

func batchResultString(r sim.BatchResult, e sim.Errno) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v count=%d out=", e, r.Count)
	if r.OutBatch == nil {
		b.WriteString("(not written)")
	} else {
		b.WriteString(hex.EncodeToString(r.OutBatch))
	}
	for i, k := range r.Keys {
		fmt.Fprintf(&b, " %x=%x", k, r.Values[i])
	}
	return b.String()
}

func batchResultsEqual(a sim.BatchResult, ae sim.Errno, b sim.BatchResult, be sim.Errno) bool {
	if ae != be || a.Count != b.Count || (a.OutBatch == nil) != (b.OutBatch == nil) || !bytes.Equal(a.OutBatch, b.OutBatch) {
		return false
	}
	if ae != sim.OK && ae != sim.ENOENT && ae != sim.ENOSPC {
		return true
	}
	if len(a.Keys) != len(b.Keys) || len(a.Values) != len(b.Values) {
		return false
	}
	for i := range a.Keys {
		if !bytes.Equal(a.Keys[i], b.Keys[i]) || !bytes.Equal(a.Values[i], b.Values[i]) {
			return false
		}
	}
	return true
}

// batchScenario drives one map on both sides.
type batchScenario struct {
	t     *testing.T
	r     *rand.Rand
	attr  sim.MapAttr
	km    *kernel.Map
	sm    *sim.Map
	pool  [][]byte
	vb    int
	token int // out_batch size: 4 for the hash family, key_size otherwise
	hash  bool
	log   []string
	calls int
	last  []byte // the last out_batch seen (both sides agree)
}

func (s *batchScenario) fail(format string, args ...any) {
	s.t.Helper()
	s.t.Fatalf("%s: %s\nhistory:\n  %s", s.name(), fmt.Sprintf(format, args...), strings.Join(s.log, "\n  "))
}

func (s *batchScenario) name() string {
	a := s.attr
	return fmt.Sprintf("%v key=%d value=%d max=%d flags=%s", a.Type, a.KeySize, a.ValueSize, a.MaxEntries, sim.FormatMapFlags(a.Flags))
}

func (s *batchScenario) value() []byte {
	v := make([]byte, s.vb)
	for i := range v {
		v[i] = byte(s.r.UintN(256))
	}
	return v
}

func (s *batchScenario) keys(n int) [][]byte {
	var ks [][]byte
	for i := 0; i < n; i++ {
		ks = append(ks, s.pool[s.r.IntN(len(s.pool))])
	}
	return ks
}

// presentKeys draws n keys, mostly ones the map holds now (the sim's
// walk, which the walks compare with the kernel's), some from the pool.
func (s *batchScenario) presentKeys(n int) [][]byte {
	have, _ := simWalkBatch(s.sm, int(s.attr.MaxEntries)*2+16)
	var ks [][]byte
	for i := 0; i < n; i++ {
		if len(have) > 0 && s.r.IntN(4) != 0 {
			ks = append(ks, have[s.r.IntN(len(have))])
		} else {
			ks = append(ks, s.pool[s.r.IntN(len(s.pool))])
		}
	}
	return ks
}

// count is small half the time, so that buckets overflow it (ENOSPC and
// partial batches).
func (s *batchScenario) count(maxCount int) uint32 {
	if s.r.IntN(2) == 0 {
		return uint32(s.r.IntN(4))
	}
	return uint32(s.r.IntN(maxCount))
}

func (s *batchScenario) elemFlags() uint64 {
	if s.r.IntN(25) == 0 {
		return []uint64{1, 2, 4, 8}[s.r.IntN(4)]
	}
	return 0
}

func (s *batchScenario) flags() uint64 {
	if s.r.IntN(25) == 0 {
		return 1
	}
	return 0
}

// inBatch picks a token: NULL, the last out_batch, or a random one.
func (s *batchScenario) inBatch() []byte {
	switch x := s.r.IntN(10); {
	case x < 3:
		return nil
	case x < 8 && s.last != nil:
		return s.last
	}
	if s.hash {
		nb := uint32(1)
		for nb < s.attr.MaxEntries {
			nb <<= 1
		}
		return binary.LittleEndian.AppendUint32(nil, uint32(s.r.IntN(int(nb)+3)))
	}
	if s.attr.Type == sim.MapArray || s.attr.Type == sim.MapPercpuArray {
		return binary.LittleEndian.AppendUint32(nil, uint32(s.r.IntN(int(s.attr.MaxEntries)+3)))
	}
	return s.pool[s.r.IntN(len(s.pool))]
}

func (s *batchScenario) lookup(del bool, in []byte, count uint32, ef, fl uint64) (sim.BatchResult, sim.Errno) {
	s.t.Helper()
	cmd, op := cmdLookupBatch, "lookup_batch"
	if del {
		cmd, op = cmdLookupAndDeleteBatch, "lookup_and_delete_batch"
	}
	kr, ke := kernelBatch(s.km, cmd, in, count, nil, nil, ef, fl, s.token)
	var sr sim.BatchResult
	var se sim.Errno
	if del {
		sr, se = s.sm.LookupAndDeleteBatch(in, count, ef, fl)
	} else {
		sr, se = s.sm.LookupBatch(in, count, ef, fl)
	}
	s.calls++
	inS := "NULL"
	if in != nil {
		inS = hex.EncodeToString(in)
	}
	s.log = append(s.log, fmt.Sprintf("%s in=%s count=%d elem_flags=%d flags=%d -> %s", op, inS, count, ef, fl, batchResultString(kr, ke)))
	if !batchResultsEqual(kr, ke, sr, se) {
		s.fail("%s differs\nkernel: %s\nsim:    %s", op, batchResultString(kr, ke), batchResultString(sr, se))
	}
	if kr.OutBatch != nil {
		s.last = kr.OutBatch
	}
	batchErrnoTally[op+" "+ke.String()]++
	return kr, ke
}

func (s *batchScenario) write(del bool, keys, vals [][]byte, ef, fl uint64) {
	s.t.Helper()
	cmd, op := cmdUpdateBatch, "update_batch"
	if del {
		cmd, op = cmdDeleteBatch, "delete_batch"
	}
	kr, ke := kernelBatch(s.km, cmd, nil, 0, keys, vals, ef, fl, s.token)
	var sr sim.BatchResult
	var se sim.Errno
	if del {
		sr, se = s.sm.DeleteBatch(keys, ef, fl)
	} else {
		sr, se = s.sm.UpdateBatch(keys, vals, ef, fl)
	}
	s.calls++
	var ks []string
	for _, k := range keys {
		ks = append(ks, hex.EncodeToString(k))
	}
	s.log = append(s.log, fmt.Sprintf("%s [%s] elem_flags=%d flags=%d -> %s", op, strings.Join(ks, " "), ef, fl, batchResultString(kr, ke)))
	if !batchResultsEqual(kr, ke, sr, se) {
		s.fail("%s differs\nkernel: %s\nsim:    %s", op, batchResultString(kr, ke), batchResultString(sr, se))
	}
	batchErrnoTally[op+" "+ke.String()]++
}

// batchErrnoTally counts the outcomes the random runs produced, to show
// that ENOSPC, partial batches and ENOENT ends were all exercised.
var batchErrnoTally = map[string]int{}

// walk compares the whole map: the get_next_key order and every value.
func (s *batchScenario) walk() {
	s.t.Helper()
	limit := int(s.attr.MaxEntries)*2 + 16
	kk, ke := s.km.Walk(limit)
	sk, se := simWalkBatch(s.sm, limit)
	s.calls++
	s.log = append(s.log, fmt.Sprintf("walk -> %v, %d keys", kernel.ToSim(ke), len(kk)))
	if kernel.ToSim(ke) != se || len(kk) != len(sk) {
		s.fail("walk differs: kernel %v %d keys, sim %v %d keys", ke, len(kk), se, len(sk))
	}
	for i := range kk {
		if !bytes.Equal(kk[i], sk[i]) {
			s.fail("walk differs at %d: kernel %x, sim %x", i, kk[i], sk[i])
		}
		kv, kve := s.km.Lookup(kk[i], 0)
		sv, sve := s.sm.Lookup(sk[i], 0)
		if kernel.ToSim(kve) != sve || (sve == sim.OK && !bytes.Equal(kv, sv)) {
			s.fail("value of %x: kernel %v %x, sim %v %x", kk[i], kve, kv, sve, sv)
		}
	}
}

func simWalkBatch(m *sim.Map, limit int) ([][]byte, sim.Errno) {
	var keys [][]byte
	var cur []byte
	for i := 0; i < limit; i++ {
		next, e := m.GetNextKey(cur)
		if e != sim.OK {
			return keys, e
		}
		cur = append([]byte(nil), next...)
		keys = append(keys, cur)
	}
	return keys, sim.E2BIG
}

// drain runs lookup (or lookup_and_delete) batches of step elements from
// NULL until they stop succeeding, as a user-space dump loop does.
func (s *batchScenario) drain(del bool, step uint32) {
	s.t.Helper()
	var in []byte
	for i := 0; i < 200; i++ {
		res, e := s.lookup(del, in, step, 0, 0)
		if e != sim.OK {
			return
		}
		in = res.OutBatch
	}
}

func batchKeyPool(r *rand.Rand, a sim.MapAttr) [][]byte {
	n := int(a.MaxEntries)*2 + 4
	seen := map[string]bool{}
	var pool [][]byte
	for tries := 0; len(pool) < n && tries < n*20; tries++ {
		var k []byte
		switch a.Type {
		case sim.MapArray, sim.MapPercpuArray:
			k = binary.LittleEndian.AppendUint32(nil, uint32(r.IntN(int(a.MaxEntries)+3)))
		case sim.MapLPMTrie:
			plen := uint32(r.IntN(33))
			if r.IntN(15) == 0 {
				plen = 33 // beyond the maximum: EINVAL on update
			}
			k = binary.LittleEndian.AppendUint32(nil, plen)
			k = append(k, 10, byte(r.IntN(4)), byte(r.IntN(4)<<6), byte(r.IntN(2)))
		default:
			k = make([]byte, a.KeySize)
			for i := range k {
				if r.IntN(3) == 0 {
					k[i] = byte(r.UintN(256))
				} else {
					k[i] = byte(r.UintN(4))
				}
			}
		}
		if bytes.Equal(k[:min(len(k), 4)], []byte{kbSentinel, kbSentinel, kbSentinel, kbSentinel}) {
			continue
		}
		if !seen[string(k)] {
			seen[string(k)] = true
			pool = append(pool, k)
		}
	}
	return pool
}

func randomBatchAttr(r *rand.Rand, t sim.MapType) sim.MapAttr {
	a := sim.MapAttr{Type: t, KeySize: 4, ValueSize: uint32(1 + r.IntN(24)), MaxEntries: uint32(1 + r.IntN(40))}
	switch t {
	case sim.MapHash, sim.MapPercpuHash:
		a.KeySize = []uint32{4, 8, 5}[r.IntN(3)]
		a.Flags = sim.FlagZeroSeed
		if r.IntN(2) == 0 {
			a.Flags |= sim.FlagNoPrealloc
		}
	case sim.MapLRUHash, sim.MapLRUPercpuHash:
		a.KeySize = []uint32{4, 8}[r.IntN(2)]
		a.Flags = sim.FlagZeroSeed
		if r.IntN(3) == 0 {
			a.Flags |= sim.FlagNoCommonLRU
		}
	case sim.MapLPMTrie:
		a.KeySize = 8
		a.Flags = sim.FlagNoPrealloc
	}
	switch r.IntN(25) {
	case 0:
		a.Flags |= sim.FlagRdonly
	case 1:
		a.Flags |= sim.FlagWronly
	}
	return a
}

func runBatchScenario(t *testing.T, seed uint64, ty sim.MapType) int {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, uint64(ty)))
	a := randomBatchAttr(r, ty)
	km, ke := kernel.CreateMap(kernel.AttrFromSim(a, 0))
	if ke != 0 {
		t.Fatalf("kernel create %+v: %v", a, ke)
	}
	defer km.Close()
	w := sim.NewWorld(sim.Config{PossibleCPUs: kernel.PossibleCPUs()})
	sm, se := w.CreateMap(a)
	if se != sim.OK {
		t.Fatalf("sim create %+v: %v", a, se)
	}
	hash := ty == sim.MapHash || ty == sim.MapPercpuHash || ty == sim.MapLRUHash || ty == sim.MapLRUPercpuHash
	a.MaxEntries = sm.MaxEntries // NO_COMMON_LRU rounds it
	s := &batchScenario{t: t, r: r, attr: a, km: km, sm: sm, pool: batchKeyPool(r, a), vb: sm.SyscallValueSize(), token: int(a.KeySize), hash: hash}
	if hash {
		s.token = 4
	}
	maxCount := int(a.MaxEntries) + 4
	n := 10 + r.IntN(40)
	for i := 0; i < n; i++ {
		switch x := r.IntN(100); {
		case x < 30:
			k := s.keys(r.IntN(10))
			var vs [][]byte
			for range k {
				vs = append(vs, s.value())
			}
			s.write(false, k, vs, s.elemFlags(), s.flags())
		case x < 42:
			s.write(true, s.presentKeys(r.IntN(6)), nil, s.elemFlags(), s.flags())
		case x < 65:
			s.lookup(false, s.inBatch(), s.count(maxCount), s.elemFlags(), s.flags())
		case x < 78:
			s.lookup(true, s.inBatch(), s.count(maxCount), s.elemFlags(), s.flags())
		case x < 86:
			s.drain(r.IntN(3) == 0, uint32(1+r.IntN(maxCount)))
		case x < 99:
			s.walk()
		case i < n*3/4 || r.IntN(3) != 0:
			s.walk()
		default:
			kf, sf := km.Freeze(), sm.Freeze()
			s.calls++
			s.log = append(s.log, fmt.Sprintf("freeze -> %v", kf))
			if kernel.ToSim(kf) != sf {
				s.fail("freeze: kernel %v, sim %v", kf, sf)
			}
		}
	}
	s.walk()
	return s.calls
}

// TestOracleBatch compares random batch sequences on zero_seed hashes
// (HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH), ARRAY, PERCPU_ARRAY and
// LPM_TRIE with the live kernel.
func TestOracleBatch(t *testing.T) {
	kernel.Require(t)
	// LRU updates take nodes from the current CPU's lists, and the sim
	// runs on CPU 0.
	kernel.PinCPU0(t)
	types := []sim.MapType{sim.MapHash, sim.MapPercpuHash, sim.MapLRUHash, sim.MapLRUPercpuHash, sim.MapArray, sim.MapPercpuArray, sim.MapLPMTrie}
	scenarios, calls := 0, 0
	for _, ty := range types {
		n := 150
		if testing.Short() {
			n = 20
		}
		for seed := uint64(0); seed < uint64(n); seed++ {
			calls += runBatchScenario(t, seed, ty)
			scenarios++
		}
	}
	var outcomes []string
	for k, v := range batchErrnoTally {
		outcomes = append(outcomes, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(outcomes)
	line := fmt.Sprintf("kernel oracle batch: %d scenarios, %d calls compared (%s)", scenarios, calls, strings.Join(outcomes, ", "))
	t.Log(line)
	if testing.Verbose() {
		fmt.Println("ORACLE " + line)
	}
}

// TestOracleBatchUnsupported checks the errno of every batch command on
// every type the simulator has (map-only probes, no programs), with and
// without fd permissions.
func TestOracleBatchUnsupported(t *testing.T) {
	kernel.Require(t)
	attrs := []sim.MapAttr{
		{Type: sim.MapHash, KeySize: 4, ValueSize: 4, MaxEntries: 4, Flags: sim.FlagZeroSeed},
		{Type: sim.MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		{Type: sim.MapPercpuArray, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		{Type: sim.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		{Type: sim.MapLPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 4, Flags: sim.FlagNoPrealloc},
		{Type: sim.MapQueue, ValueSize: 4, MaxEntries: 4},
		{Type: sim.MapStack, ValueSize: 4, MaxEntries: 4},
		{Type: sim.MapBloomFilter, ValueSize: 4, MaxEntries: 4},
		{Type: sim.MapRingbuf, MaxEntries: 4096},
	}
	compared := 0
	for _, base := range attrs {
		for _, fl := range []uint32{0, sim.FlagRdonly, sim.FlagWronly} {
			a := base
			a.Flags |= fl
			if a.Type == sim.MapRingbuf && fl != 0 {
				continue // ringbuf takes no access flags at create
			}
			km, ke := kernel.CreateMap(kernel.AttrFromSim(a, 0))
			if ke != 0 {
				t.Fatalf("kernel create %+v: %v", a, ke)
			}
			w := sim.NewWorld(sim.Config{PossibleCPUs: kernel.PossibleCPUs()})
			sm, se := w.CreateMap(a)
			if se != sim.OK {
				km.Close()
				t.Fatalf("sim create %+v: %v", a, se)
			}
			token := max(int(a.KeySize), 4)
			var keys, vals [][]byte
			for i := 0; i < 2; i++ {
				keys = append(keys, make([]byte, a.KeySize))
				vals = append(vals, make([]byte, sm.SyscallValueSize()))
			}
			for _, c := range []struct {
				cmd int
				run func() (sim.BatchResult, sim.Errno)
			}{
				{cmdLookupBatch, func() (sim.BatchResult, sim.Errno) { return sm.LookupBatch(nil, 2, 0, 0) }},
				{cmdLookupAndDeleteBatch, func() (sim.BatchResult, sim.Errno) { return sm.LookupAndDeleteBatch(nil, 2, 0, 0) }},
				{cmdUpdateBatch, func() (sim.BatchResult, sim.Errno) { return sm.UpdateBatch(keys, vals, 0, 0) }},
				{cmdDeleteBatch, func() (sim.BatchResult, sim.Errno) { return sm.DeleteBatch(keys, 0, 0) }},
			} {
				kr, ke := kernelBatch(km, c.cmd, nil, 2, keys, vals, 0, 0, token)
				sr, se := c.run()
				compared++
				if !batchResultsEqual(kr, ke, sr, se) {
					t.Errorf("%v flags=%s cmd %d: kernel %s, sim %s", a.Type, sim.FormatMapFlags(a.Flags), c.cmd, batchResultString(kr, ke), batchResultString(sr, se))
				}
			}
			km.Close()
		}
	}
	t.Logf("kernel oracle batch errnos: %d calls compared", compared)
}
