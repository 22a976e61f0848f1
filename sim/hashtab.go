package sim

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
)

// This file models kernel/bpf/hashtab.c for HASH, PERCPU_HASH, LRU_HASH and
// LRU_PERCPU_HASH (kernel-semantics §3, §4, §5.6), written from the
// algorithm description.
//
// Layout. Elements are numbered 0, 1, 2, ... in the order they are first
// needed; nothing is allocated for max_entries up front. Per element the
// table keeps the next index in its bucket chain, the stored 32-bit hash and
// a slot in a slab holding [key | value]. Slabs never move once allocated,
// so the value slice a program lookup returns stays live (writes through it
// change the map) however much the table grows. Buckets are chunks of
// int32 chain heads, allocated when first used, so a 2^27-bucket map costs
// a small directory until it holds elements.

const (
	htabChunkShift = 10 // buckets per directory chunk: 1024
	htabChunkSize  = 1 << htabChunkShift
	htabChunkMask  = htabChunkSize - 1

	// kmallocMaxSize is KMALLOC_MAX_SIZE (4 MiB with SLUB on x86-64) and
	// htabElemOverhead is sizeof(struct htab_elem): key_size + value_size
	// must stay below their difference (kernel-oracle §1: 4194256 → E2BIG).
	kmallocMaxSize   = 4 << 20
	htabElemOverhead = 48
	// pcpuMinUnitSize bounds a per-CPU value (PCPU_MIN_UNIT_SIZE).
	pcpuMinUnitSize = 32768
	// htabBucketSize is sizeof(struct bucket); n_buckets * 16 must fit in
	// a u32, so more than 2^27 buckets is E2BIG (kernel-oracle §1).
	htabBucketSize = 16
	// simTotalRAM stands in for totalram_pages(): vmalloc refuses any area
	// larger than the machine's RAM, which is the deterministic ENOMEM of
	// huge maps. The oracle host has 24 GiB. Below that the kernel's answer
	// depends on free memory, which a simulator cannot know.
	simTotalRAM = 24 << 30
)

// htabCreateFlags is HTAB_CREATE_FLAG_MASK.
const htabCreateFlags = FlagNoPrealloc | FlagNoCommonLRU | FlagNumaNode | FlagRdonly | FlagWronly |
	FlagRdonlyProg | FlagWronlyProg | FlagZeroSeed

func init() {
	for _, t := range []MapType{MapHash, MapPercpuHash, MapLRUHash, MapLRUPercpuHash} {
		registerMapType(t, mapType{allocCheck: htabAllocCheck, alloc: htabAlloc})
	}
}

// mapFlagsAccessOK is bpf_map_flags_access_ok: a program may not be both
// read-only and write-only.
func mapFlagsAccessOK(flags uint32) bool {
	return flags&(FlagRdonlyProg|FlagWronlyProg) != FlagRdonlyProg|FlagWronlyProg
}

// htabAllocCheck is htab_map_alloc_check, in the kernel's order.
func htabAllocCheck(a *MapAttr, w *World) (Errno, string) {
	percpu := a.Type == MapPercpuHash || a.Type == MapLRUPercpuHash
	lru := a.Type == MapLRUHash || a.Type == MapLRUPercpuHash
	percpuLRU := a.Flags&FlagNoCommonLRU != 0
	prealloc := a.Flags&FlagNoPrealloc == 0
	// BPF_F_ZERO_SEED needs CAP_SYS_ADMIN: the simulated user has it.
	if a.Flags&^htabCreateFlags != 0 {
		return EINVAL, fmt.Sprintf("flags %s are not allowed on a hash map (allowed: no_prealloc, no_common_lru, numa_node, rdonly/wronly(_prog), zero_seed)", FormatMapFlags(a.Flags&^htabCreateFlags))
	}
	if !mapFlagsAccessOK(a.Flags) {
		return EINVAL, "BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together"
	}
	if !lru && percpuLRU {
		return EINVAL, "BPF_F_NO_COMMON_LRU is only for LRU maps"
	}
	if lru && !prealloc {
		return ENOTSUPP, "LRU maps are always preallocated: BPF_F_NO_PREALLOC is not supported"
	}
	if a.Flags&FlagNumaNode != 0 && (percpu || percpuLRU) {
		return EINVAL, "BPF_F_NUMA_NODE with per-CPU values or per-CPU LRU lists"
	}
	if a.MaxEntries == 0 || a.KeySize == 0 || a.ValueSize == 0 {
		return EINVAL, "max_entries, key_size and value_size must all be non-zero"
	}
	if uint64(a.KeySize)+uint64(a.ValueSize) >= kmallocMaxSize-htabElemOverhead {
		return E2BIG, fmt.Sprintf("key_size + value_size = %d must be below KMALLOC_MAX_SIZE - sizeof(htab_elem) = %d",
			uint64(a.KeySize)+uint64(a.ValueSize), kmallocMaxSize-htabElemOverhead)
	}
	if percpu && uint64(roundUp64(uint64(a.ValueSize), 8)) > pcpuMinUnitSize {
		return E2BIG, fmt.Sprintf("per-CPU value of %d bytes (rounded to 8) exceeds PCPU_MIN_UNIT_SIZE %d", a.ValueSize, pcpuMinUnitSize)
	}
	return OK, ""
}

func roundUp64(v, to uint64) uint64 { return (v + to - 1) / to * to }

// roundupPow2 is roundup_pow_of_two for 1 <= v <= 2^31.
func roundupPow2(v uint32) uint32 {
	if v <= 1 {
		return 1
	}
	return 1 << bits.Len32(v-1)
}

// htabAlloc is htab_map_alloc: the NO_COMMON_LRU rounding, the size limits,
// then the table and (for LRU) its lists.
func htabAlloc(m *Map) (mapOps, Errno, string) {
	w := m.world
	ncpu := w.PossibleCPUs()
	percpu := m.Type == MapPercpuHash || m.Type == MapLRUPercpuHash
	lru := m.Type == MapLRUHash || m.Type == MapLRUPercpuHash
	percpuLRU := m.Flags&FlagNoCommonLRU != 0
	prealloc := m.Flags&FlagNoPrealloc == 0
	if percpuLRU {
		// Every CPU gets the same number of nodes, at least one: round up
		// to a multiple of the CPU count, or down if that overflows.
		n := uint64(roundUp64(uint64(m.MaxEntries), uint64(ncpu)))
		if n > 0xffffffff {
			n = uint64(m.MaxEntries) / uint64(ncpu) * uint64(ncpu)
		}
		m.MaxEntries = uint32(n)
	}
	if m.MaxEntries > 1<<31 {
		return nil, E2BIG, fmt.Sprintf("max_entries %d exceeds 2^31", m.MaxEntries)
	}
	nb := roundupPow2(m.MaxEntries)
	if uint64(nb) > 0xffffffff/htabBucketSize {
		return nil, E2BIG, fmt.Sprintf("%d buckets of %d bytes overflow a u32 (at most 2^27 buckets)", nb, htabBucketSize)
	}
	if prealloc {
		// prealloc_init allocates max_entries (+ one spare per CPU for plain
		// HASH) elements in one area.
		elemSize := uint64(htabElemOverhead) + roundUp64(uint64(m.KeySize), 8)
		if percpu {
			elemSize += 8 // a pointer to the per-CPU value
		} else {
			elemSize += roundUp64(uint64(m.ValueSize), 8)
		}
		n := uint64(m.MaxEntries)
		if !percpu && !lru {
			n += uint64(ncpu)
		}
		if n*elemSize > simTotalRAM {
			return nil, ENOMEM, fmt.Sprintf("preallocating %d elements of %d bytes exceeds the machine's memory", n, elemSize)
		}
	}
	h := &Hashtab{
		m: m, percpu: percpu, prealloc: prealloc,
		ks: int(m.KeySize), vs: int(m.ValueSize), ncpu: ncpu,
		nBuckets: nb, bmask: nb - 1, max: int(m.MaxEntries),
	}
	h.stride = h.vs
	if percpu {
		h.stride = int(roundUp(m.ValueSize, 8))
		h.vb = h.stride * ncpu
	} else {
		h.vb = h.vs
	}
	h.eb = h.ks + h.vb
	// Slabs of about 32 KiB (at least one element, at most 1024), never
	// larger than the whole table needs.
	per := 32768 / h.eb
	if per < 1 {
		per = 1
	}
	if per > 1024 {
		per = 1024
	}
	if per > int(nb) {
		per = int(nb)
	}
	h.slabShift = uint(bits.Len(uint(per)) - 1)
	h.dir = make([][]int32, (uint64(nb)+htabChunkMask)>>htabChunkShift)
	h.chunkLen = make([]int32, len(h.dir))
	if e, why := spinLockCheck(m); e != OK {
		return nil, e, why
	}
	if lru {
		h.lru = newBPFLRU(h, percpuLRU, ncpu, m.MaxEntries, w.Knobs().LRUFixedTargetFree)
	}
	return h, OK, ""
}

// spinLockCheck is the part of map_check_btf that concerns the SpinLock
// stand-in for BTF, for the hash and array families. The kernel checks BTF
// after map_alloc, so this runs last in alloc: program access flags with a
// special field are EACCES, a lock in a type other than HASH or ARRAY (of
// these families) is EOPNOTSUPP, and the lock must be a 4-aligned u32
// inside the value.
func spinLockCheck(m *Map) (Errno, string) {
	if !m.SpinLock {
		return OK, ""
	}
	if m.Flags&(FlagRdonlyProg|FlagWronlyProg) != 0 {
		return EACCES, "a value with a bpf_spin_lock cannot be BPF_F_RDONLY_PROG or BPF_F_WRONLY_PROG"
	}
	if m.Type != MapHash && m.Type != MapArray {
		return EOPNOTSUPP, fmt.Sprintf("a %v value cannot hold a bpf_spin_lock", m.Type)
	}
	if m.SpinLockOff%4 != 0 || uint64(m.SpinLockOff)+4 > uint64(m.ValueSize) {
		return EINVAL, fmt.Sprintf("the bpf_spin_lock at offset %d must be 4-byte aligned inside the %d-byte value", m.SpinLockOff, m.ValueSize)
	}
	return OK, ""
}

// Hashtab is the state of a HASH, PERCPU_HASH, LRU_HASH or LRU_PERCPU_HASH
// map. Views reach it through m.Ops().(*Hashtab); see hashtab_view.go.
type Hashtab struct {
	m        *Map
	percpu   bool
	prealloc bool
	lru      *bpfLRU // nil for HASH and PERCPU_HASH

	ks, vs int // key_size, value_size
	stride int // bytes per CPU copy: round_up(value_size, 8) for per-CPU maps
	vb     int // value bytes stored per element (stride * CPUs for per-CPU)
	eb     int // ks + vb
	ncpu   int
	max    int

	nBuckets uint32
	bmask    uint32
	dir      [][]int32 // bucket chain heads by chunk; nil chunk = all empty
	chunkLen []int32   // elements per chunk, to skip empty chunks

	// Per element.
	next   []int32
	hash   []uint32
	linked []bool // in a bucket now
	// small holds each element's key as an integer (smallKey) when
	// key_size is 4 or 8; it is nil for other key sizes (and until the
	// first element exists). findSmall compares it instead of the key
	// bytes in the slab, which is faster and touches less memory.
	small []uint64
	slabs [][]byte
	// slabShift: log2 of elements per slab
	slabShift uint

	free []int32 // unused element indexes (HASH, PERCPU_HASH)
	n    int     // elements in the buckets
}

func htabHex(b []byte) string { return hex.EncodeToString(b) }

// htabFailf is m.fail with a formatted reason that is only formatted when
// someone listens, so failing operations in bulk runs allocate nothing.
func htabFailf(m *Map, op string, e Errno, format string, args ...any) Errno {
	if !m.world.Emitting() {
		return e
	}
	return m.fail(op, e, fmt.Sprintf(format, args...))
}

// --- element storage ---

// mintElem creates a new element index.
func (h *Hashtab) mintElem() int32 {
	e := int32(len(h.next))
	h.next = append(h.next, -1)
	h.hash = append(h.hash, 0)
	h.linked = append(h.linked, false)
	if h.ks == 4 || h.ks == 8 {
		h.small = append(h.small, 0)
	}
	s := int(e) >> h.slabShift
	if s >= len(h.slabs) {
		h.slabs = append(h.slabs, make([]byte, h.eb<<h.slabShift))
	}
	return e
}

// setKey stores element e's key and hash.
func (h *Hashtab) setKey(e int32, key []byte, hv uint32) {
	copy(h.keyOf(e), key)
	h.hash[e] = hv
	if h.small != nil {
		h.small[e] = smallKey(key)
	}
}

// smallKey is a 4- or 8-byte key as a little-endian integer.
func smallKey(key []byte) uint64 {
	if len(key) == 8 {
		return binary.LittleEndian.Uint64(key)
	}
	return uint64(binary.LittleEndian.Uint32(key))
}

func (h *Hashtab) allocElem() int32 {
	if n := len(h.free); n > 0 {
		e := h.free[n-1]
		h.free = h.free[:n-1]
		return e
	}
	return h.mintElem()
}

func (h *Hashtab) elemBytes(e int32) []byte {
	off := (int(e) & (1<<h.slabShift - 1)) * h.eb
	return h.slabs[int(e)>>h.slabShift][off : off+h.eb : off+h.eb]
}

func (h *Hashtab) keyOf(e int32) []byte { return h.elemBytes(e)[:h.ks] }
func (h *Hashtab) valOf(e int32) []byte { return h.elemBytes(e)[h.ks:] }

func (h *Hashtab) isLinked(e int32) bool { return e >= 0 && int(e) < len(h.linked) && h.linked[e] }

// cpuVal is one CPU's copy of a per-CPU value, value_size bytes, live.
func (h *Hashtab) cpuVal(e int32, cpu int) []byte {
	v := h.valOf(e)
	return v[cpu*h.stride : cpu*h.stride+h.vs : cpu*h.stride+h.vs]
}

// --- buckets ---

func (h *Hashtab) head(b uint32) int32 {
	ch := h.dir[b>>htabChunkShift]
	if ch == nil {
		return -1
	}
	return ch[b&htabChunkMask]
}

func (h *Hashtab) setHead(b uint32, e int32) {
	ci := b >> htabChunkShift
	if h.dir[ci] == nil {
		n := uint32(htabChunkSize)
		if h.nBuckets < n {
			n = h.nBuckets
		}
		ch := make([]int32, n)
		for i := range ch {
			ch[i] = -1
		}
		h.dir[ci] = ch
	}
	h.dir[ci][b&htabChunkMask] = e
}

// linkHead puts element e at the head of bucket b (hlist_nulls_add_head).
func (h *Hashtab) linkHead(b uint32, e int32) {
	h.next[e] = h.head(b)
	h.setHead(b, e)
	h.linked[e] = true
	h.chunkLen[b>>htabChunkShift]++
	h.n++
}

// unlink removes element e from bucket b.
func (h *Hashtab) unlink(b uint32, e int32) bool {
	prev := int32(-1)
	for i := h.head(b); i >= 0; i = h.next[i] {
		if i == e {
			if prev < 0 {
				h.setHead(b, h.next[i])
			} else {
				h.next[prev] = h.next[i]
			}
			h.next[e] = -1
			h.linked[e] = false
			h.chunkLen[b>>htabChunkShift]--
			h.n--
			return true
		}
		prev = i
	}
	return false
}

func (h *Hashtab) hashKey(key []byte) (uint32, uint32) {
	hv := htabJhash(key, h.m.Seed)
	return hv, hv & h.bmask
}

// htabJhash is Jhash with the common 4- and 8-byte keys unrolled: one
// final mix of the words, no tail buffer. It returns exactly Jhash's value
// (TestHtabJhashFastPath).
func htabJhash(key []byte, seed uint32) uint32 {
	switch len(key) {
	case 4:
		iv := jhashInitval + 4 + seed
		return jhashFinal(iv+binary.LittleEndian.Uint32(key), iv, iv)
	case 8:
		iv := jhashInitval + 8 + seed
		return jhashFinal(iv+binary.LittleEndian.Uint32(key), iv+binary.LittleEndian.Uint32(key[4:]), iv)
	}
	return Jhash(key, seed)
}

// find walks bucket b for key, comparing the stored hash first and then
// the key bytes, as lookup_elem_raw does. With trace it emits each compare.
// Without trace, 4- and 8-byte keys take findSmall.
func (h *Hashtab) find(key []byte, hv, b uint32, trace bool) int32 {
	if !trace && h.small != nil && len(key) == h.ks {
		return h.findSmall(smallKey(key), b)
	}
	if !trace {
		// The hot path: locals instead of repeated field loads, and the
		// key compared in place in its slab.
		next, hashes, slabs := h.next, h.hash, h.slabs
		sh, eb, ks := h.slabShift, h.eb, h.ks
		mask := int32(1)<<sh - 1
		for i := h.head(b); i >= 0; i = next[i] {
			if hashes[i] != hv {
				continue
			}
			off := int(i&mask) * eb
			if string(slabs[i>>sh][off:off+ks]) == string(key) {
				return i
			}
		}
		return -1
	}
	pos := 0
	for i := h.head(b); i >= 0; i = h.next[i] {
		same := h.hash[i] == hv
		match := same && bytes.Equal(h.keyOf(i), key)
		h.m.emit(HashWalkEvent{Map: h.m.Name, Bucket: b, Pos: pos, Key: htabHex(h.keyOf(i)), Hash: h.hash[i], HashEqual: same, Match: match})
		if match {
			return i
		}
		pos++
	}
	return -1
}

// findSmall is find without trace for 4- and 8-byte keys, k being the key
// as smallKey gives it. It walks the same chain in the same order and
// returns the same element, but compares only h.small[i]: a stored hash is
// always the jhash of its stored key with the map's (fixed) seed, so equal
// keys have equal hashes and the hash compare cannot change the result.
func (h *Hashtab) findSmall(k uint64, b uint32) int32 {
	ch := h.dir[b>>htabChunkShift]
	if ch == nil {
		return -1
	}
	next, small := h.next, h.small
	for i := ch[b&htabChunkMask]; i >= 0; i = next[i] {
		if small[i] == k {
			return i
		}
	}
	return -1
}

// locate hashes key and finds its element, emitting hash.computed and the
// walk when someone listens.
func (h *Hashtab) locate(key []byte) (e int32, hv, b uint32) {
	hv, b = h.hashKey(key)
	trace := h.m.world.Emitting()
	if trace {
		h.m.emit(HashComputedEvent{Map: h.m.Name, Key: htabHex(key), Seed: h.m.Seed, Hash: hv, NBuckets: h.nBuckets, Bucket: b})
	}
	return h.find(key, hv, b, trace), hv, b
}

// --- value copies ---

// copyValueSkipLock is copy_map_value: the struct bpf_spin_lock inside a
// value is never overwritten by a copy.
func copyValueSkipLock(m *Map, dst, src []byte) {
	if !m.SpinLock || int(m.SpinLockOff)+4 > len(dst) {
		copy(dst, src)
		return
	}
	off := int(m.SpinLockOff)
	copy(dst[:off], src)
	if len(src) > off+4 {
		copy(dst[off+4:], src[off+4:])
	}
}

// clearLockField is check_and_init_map_value on a copy handed to user
// space: the lock reads back as zero.
func clearLockField(m *Map, v []byte) {
	if m.SpinLock && int(m.SpinLockOff)+4 <= len(v) {
		clear(v[m.SpinLockOff : m.SpinLockOff+4])
	}
}

// readValue copies an element's value out as the syscall returns it: every
// CPU's copy, each padded to round_up(value_size, 8), for per-CPU maps.
func (h *Hashtab) readValue(e int32) []byte {
	out := make([]byte, h.vb)
	copy(out, h.valOf(e))
	if !h.percpu {
		clearLockField(h.m, out)
	}
	return out
}

// writeValue stores a value into element e. From the syscall a per-CPU
// value is the whole strided buffer (padding included, as
// copy_map_value_long does); from a program it is one CPU's value_size
// bytes: a new element (fresh) zeroes the other CPUs, an existing one
// changes only the current CPU's copy.
func (h *Hashtab) writeValue(e int32, value []byte, src Source, fresh bool) {
	dst := h.valOf(e)
	if !h.percpu {
		if fresh {
			clear(dst)
		}
		copyValueSkipLock(h.m, dst, value)
		return
	}
	if src == Syscall {
		copy(dst, value)
		return
	}
	// A program writes value_size bytes of the current CPU's slot; the
	// padding up to round_up(value_size, 8) keeps what it held. A new
	// element starts with every CPU zeroed.
	cpu := h.m.world.CPU()
	if fresh {
		clear(dst)
	}
	c := dst[cpu*h.stride : cpu*h.stride+h.vs]
	copy(c, value)
}

// --- mapOps ---

// keyOK guards the program side, which map.go does not check: the verifier
// guarantees key_size readable bytes, so anything else is a simulator
// caller's bug, refused rather than stored as a truncated key.
func (h *Hashtab) keyOK(op string, key []byte) bool {
	if len(key) == h.ks {
		return true
	}
	htabFailf(h.m, op, EINVAL, "key is %d bytes, key_size is %d", len(key), h.ks)
	return false
}

func (h *Hashtab) count() int { return h.n }

func (h *Hashtab) lookup(key []byte, src Source) ([]byte, Errno) {
	// The common case, kept short: a program lookup in a plain HASH map
	// (no per-CPU copies, no LRU ref bit) with a 4- or 8-byte key while
	// nobody listens, so there are no events and a miss is a silent
	// ENOENT. It returns exactly what lookupSlow returns.
	if src == Prog && h.small != nil && h.lru == nil && !h.percpu && len(key) == h.ks && !h.m.world.Emitting() {
		hv := htabJhash(key, h.m.Seed)
		e := h.findSmall(smallKey(key), hv&h.bmask)
		if e < 0 {
			return nil, ENOENT
		}
		off := int(e&(1<<h.slabShift-1))*h.eb + h.ks
		return h.slabs[e>>h.slabShift][off : off+h.vs : off+h.vs], OK
	}
	return h.lookupSlow(key, src)
}

func (h *Hashtab) lookupSlow(key []byte, src Source) ([]byte, Errno) {
	if !h.keyOK("lookup", key) {
		return nil, EINVAL
	}
	e, _, _ := h.locate(key)
	if e < 0 {
		return nil, h.m.fail("lookup", ENOENT, "no element with this key")
	}
	if src == Syscall {
		// Syscall lookups never set the LRU ref bit (map_lookup_elem_sys_only).
		return h.readValue(e), OK
	}
	if h.lru != nil {
		h.lru.setRef(e, "program lookup")
	}
	off := (int(e)&(1<<h.slabShift-1))*h.eb + h.ks
	if h.percpu {
		off += h.m.world.CPU() * h.stride
	}
	return h.slabs[int(e)>>h.slabShift][off : off+h.vs : off+h.vs], OK
}

// lookupPercpu is bpf_map_lookup_percpu_elem: NULL for a CPU that is not
// possible, else that CPU's live copy (setting the ref bit on LRU).
func (h *Hashtab) lookupPercpu(key []byte, cpu int) ([]byte, Errno) {
	if !h.percpu {
		return nil, h.m.fail("lookup_percpu", EINVAL, "bpf_map_lookup_percpu_elem needs a per-CPU map")
	}
	if cpu < 0 || cpu >= h.ncpu {
		return nil, ENOENT
	}
	if !h.keyOK("lookup_percpu", key) {
		return nil, EINVAL
	}
	e, _, _ := h.locate(key)
	if e < 0 {
		return nil, ENOENT
	}
	if h.lru != nil {
		h.lru.setRef(e, "program lookup_percpu")
	}
	return h.cpuVal(e, cpu), OK
}

func (h *Hashtab) update(key, value []byte, flags uint64, src Source) Errno {
	if !h.keyOK("update", key) {
		return EINVAL
	}
	if h.lru != nil {
		return h.lruUpdate(key, value, flags, src)
	}
	m := h.m
	if h.percpu {
		if flags > UpdateExist {
			return htabFailf(m, "update", EINVAL, "flags %#x: a per-CPU hash takes BPF_ANY, BPF_NOEXIST or BPF_EXIST", flags)
		}
	} else {
		if flags&^UpdateLock > UpdateExist {
			return htabFailf(m, "update", EINVAL, "flags %#x: only BPF_ANY, BPF_NOEXIST, BPF_EXIST and BPF_F_LOCK exist", flags)
		}
		if flags&UpdateLock != 0 && !m.SpinLock {
			return m.fail("update", EINVAL, "BPF_F_LOCK but the value has no bpf_spin_lock")
		}
	}
	op := flags &^ UpdateLock
	e, hv, b := h.locate(key)
	if e >= 0 && op == UpdateNoExist {
		return m.fail("update", EEXIST, "BPF_NOEXIST but the key exists")
	}
	if e < 0 && op == UpdateExist {
		return m.fail("update", ENOENT, "BPF_EXIST but the key does not exist")
	}
	if e >= 0 && (flags&UpdateLock != 0 || h.percpu) {
		// BPF_F_LOCK copies under the element's lock, and per-CPU values
		// are updated in place: the element keeps its place in the bucket.
		h.writeValue(e, value, src, false)
		if m.world.Emitting() {
			m.emit(HashInPlaceEvent{Map: m.Name, Bucket: b, Key: htabHex(key)})
		}
		return OK
	}
	if e < 0 && h.n >= h.max {
		return htabFailf(m, "update", E2BIG, "the map is full: %d of max_entries %d", h.n, h.max)
	}
	n := h.allocElem()
	h.setKey(n, key, hv)
	h.writeValue(n, value, src, true)
	// The new element goes to the head of the bucket before the old one is
	// unlinked, so a replaced key moves to the head.
	h.linkHead(b, n)
	if e >= 0 {
		h.unlink(b, e)
		h.free = append(h.free, e)
		if m.world.Emitting() {
			m.emit(HashMoveEvent{Map: m.Name, Bucket: b, Key: htabHex(key)})
		}
	} else if m.world.Emitting() {
		m.emit(HashInsertEvent{Map: m.Name, Bucket: b, Key: htabHex(key), Count: h.n})
	}
	return OK
}

// lruUpdate is htab_lru_map_update_elem and its per-CPU twin: the node is
// popped (possibly evicting) BEFORE the existence check.
func (h *Hashtab) lruUpdate(key, value []byte, flags uint64, src Source) Errno {
	m := h.m
	if flags > UpdateExist {
		return htabFailf(m, "update", EINVAL, "flags %#x: an LRU map takes BPF_ANY, BPF_NOEXIST or BPF_EXIST (no BPF_F_LOCK)", flags)
	}
	cpu := m.world.CPU()
	hv, b := h.hashKey(key)
	if m.world.Emitting() {
		m.emit(HashComputedEvent{Map: m.Name, Key: htabHex(key), Seed: m.Seed, Hash: hv, NBuckets: h.nBuckets, Bucket: b})
	}
	if m.world.Knobs().LRUUpdateNoEvict {
		if old := h.find(key, hv, b, false); old >= 0 {
			return h.lruUpdateExistingNoEvict(old, key, value, flags, src, b)
		}
	}
	node := int32(-1)
	if !(h.percpu && flags == UpdateExist) {
		n := h.lru.popFree(cpu)
		if n < 0 {
			return m.fail("update", ENOMEM, "no free LRU node could be found or evicted")
		}
		node = h.lru.elem(n)
	}
	old := h.find(key, hv, b, m.world.Emitting())
	var errno Errno
	var why string
	switch {
	case old >= 0 && flags == UpdateNoExist:
		errno, why = EEXIST, "BPF_NOEXIST but the key exists"
	case old < 0 && flags == UpdateExist:
		errno, why = ENOENT, "BPF_EXIST but the key does not exist (an LRU update pops a node first, which may have evicted it)"
	}
	if errno != OK {
		if node >= 0 {
			h.lru.pushFree(node)
		}
		return m.fail("update", errno, why)
	}
	if h.percpu && old >= 0 {
		h.lru.setRef(old, "update of an existing key")
		h.writeValue(old, value, src, false)
		if m.world.Emitting() {
			m.emit(HashInPlaceEvent{Map: m.Name, Bucket: b, Key: htabHex(key)})
		}
		if node >= 0 {
			h.lru.pushFree(node)
		}
		return OK
	}
	h.setKey(node, key, hv)
	h.writeValue(node, value, src, true)
	h.linkHead(b, node)
	if old >= 0 {
		h.lru.setRef(node, "update replacing an existing key")
		h.unlink(b, old)
		h.lru.pushFree(old)
		if m.world.Emitting() {
			m.emit(HashMoveEvent{Map: m.Name, Bucket: b, Key: htabHex(key)})
		}
	} else if m.world.Emitting() {
		m.emit(HashInsertEvent{Map: m.Name, Bucket: b, Key: htabHex(key), Count: h.n})
	}
	return OK
}

// lruUpdateExistingNoEvict models the proposed fix (Knobs.LRUUpdateNoEvict):
// an update of an existing key takes no node from the free lists, so it
// never evicts. LRU_HASH still moves the key to the bucket head with a fresh
// (pending) position and its ref bit set; LRU_PERCPU updates in place.
func (h *Hashtab) lruUpdateExistingNoEvict(old int32, key, value []byte, flags uint64, src Source, b uint32) Errno {
	m := h.m
	if flags == UpdateNoExist {
		return m.fail("update", EEXIST, "BPF_NOEXIST but the key exists")
	}
	if !h.percpu {
		h.lru.takeForReuse(m.world.CPU(), old)
		h.unlink(b, old)
		h.linkHead(b, old)
		if m.world.Emitting() {
			m.emit(HashMoveEvent{Map: m.Name, Bucket: b, Key: htabHex(key)})
		}
	}
	h.lru.setRef(old, "update of an existing key")
	h.writeValue(old, value, src, false)
	return OK
}

// lruDelete is htab_lru_map_delete_node: the LRU frees a node by removing
// its element from the hash (eviction). False if it is not in the hash.
func (h *Hashtab) lruDelete(e int32, reason string) bool {
	if !h.isLinked(e) {
		return false
	}
	_, b := h.hashKey(h.keyOf(e))
	if h.m.world.Emitting() {
		h.m.emit(LRUEvictEvent{Map: h.m.Name, Node: int(e), Key: htabHex(h.keyOf(e)), Reason: reason})
	}
	h.unlink(b, e)
	if h.m.world.Emitting() {
		h.m.emit(HashUnlinkEvent{Map: h.m.Name, Bucket: b, Key: htabHex(h.keyOf(e)), Why: "evicted: " + reason})
	}
	return true
}

// remove unlinks an element and frees it (push_free for LRU).
func (h *Hashtab) remove(e int32, b uint32, why string) {
	h.unlink(b, e)
	if h.m.world.Emitting() {
		h.m.emit(HashUnlinkEvent{Map: h.m.Name, Bucket: b, Key: htabHex(h.keyOf(e)), Why: why})
	}
	if h.lru != nil {
		h.lru.pushFree(e)
	} else {
		h.free = append(h.free, e)
	}
}

func (h *Hashtab) delete(key []byte, src Source) Errno {
	if !h.keyOK("delete", key) {
		return EINVAL
	}
	e, _, b := h.locate(key)
	if e < 0 {
		return h.m.fail("delete", ENOENT, "no element with this key")
	}
	h.remove(e, b, "delete")
	return OK
}

func (h *Hashtab) lookupAndDelete(key []byte, flags uint64) ([]byte, Errno) {
	if !h.keyOK("lookup_and_delete", key) {
		return nil, EINVAL
	}
	if flags&^UpdateLock != 0 || (flags&UpdateLock != 0 && !h.m.SpinLock) {
		return nil, h.m.fail("lookup_and_delete", EINVAL, "flags other than BPF_F_LOCK, or BPF_F_LOCK without a bpf_spin_lock")
	}
	e, _, b := h.locate(key)
	if e < 0 {
		return nil, h.m.fail("lookup_and_delete", ENOENT, "no element with this key")
	}
	v := h.readValue(e)
	h.remove(e, b, "lookup_and_delete")
	return v, OK
}

// getNextKey is htab_map_get_next_key: the next element in the same bucket,
// else the head of the next non-empty bucket. A key that is not in the map
// restarts the walk from the first bucket (§4.5).
func (h *Hashtab) getNextKey(key []byte) ([]byte, Errno) {
	start := uint32(0)
	if key != nil {
		if !h.keyOK("next", key) {
			return nil, EINVAL
		}
		e, _, b := h.locate(key)
		if e >= 0 {
			if n := h.next[e]; n >= 0 {
				return append([]byte(nil), h.keyOf(n)...), OK
			}
			start = b + 1
		} else if h.m.world.Emitting() {
			h.m.emit(HashRestartEvent{Map: h.m.Name, Key: htabHex(key)})
		}
	}
	for b := uint64(start); b < uint64(h.nBuckets); {
		ci := b >> htabChunkShift
		if h.chunkLen[ci] == 0 {
			b = (ci + 1) << htabChunkShift
			continue
		}
		if e := h.dir[ci][b&htabChunkMask]; e >= 0 {
			return append([]byte(nil), h.keyOf(e)...), OK
		}
		b++
	}
	return nil, h.m.fail("next", ENOENT, "no more elements")
}

func (h *Hashtab) clone(m *Map) mapOps {
	c := *h
	c.m = m
	c.dir = make([][]int32, len(h.dir))
	for i, ch := range h.dir {
		if ch != nil {
			c.dir[i] = append([]int32(nil), ch...)
		}
	}
	c.chunkLen = append([]int32(nil), h.chunkLen...)
	c.next = append([]int32(nil), h.next...)
	c.hash = append([]uint32(nil), h.hash...)
	c.linked = append([]bool(nil), h.linked...)
	if h.small != nil {
		c.small = append([]uint64(nil), h.small...)
	}
	c.free = append([]int32(nil), h.free...)
	c.slabs = make([][]byte, len(h.slabs))
	for i, s := range h.slabs {
		c.slabs[i] = append([]byte(nil), s...)
	}
	if h.lru != nil {
		c.lru = h.lru.clone(&c)
	}
	return &c
}

// ProgLookupPercpu is bpf_map_lookup_percpu_elem from a program: the live
// copy of cpu's value, or nil and ENOENT when the key is missing or cpu is
// not a possible CPU. It serves PERCPU_HASH, LRU_PERCPU_HASH (where it sets
// the ref bit) and PERCPU_ARRAY.
func (m *Map) ProgLookupPercpu(key []byte, cpu int) ([]byte, Errno) {
	type percpuLooker interface {
		lookupPercpu(key []byte, cpu int) ([]byte, Errno)
	}
	if p, ok := m.ops.(percpuLooker); ok {
		if len(key) != int(m.KeySize) {
			return nil, htabFailf(m, "lookup_percpu", EFAULT, "key is %d bytes, key_size is %d", len(key), m.KeySize)
		}
		return p.lookupPercpu(key, cpu)
	}
	return nil, m.fail("lookup_percpu", EINVAL, "bpf_map_lookup_percpu_elem needs a per-CPU map")
}

// --- events ---

// HashComputedEvent: the key was hashed and its bucket chosen.
type HashComputedEvent struct {
	_ noCompare

	Map      string `json:"map"`
	Key      string `json:"key"`
	Seed     uint32 `json:"seed"`
	Hash     uint32 `json:"hash"`
	NBuckets uint32 `json:"n_buckets"`
	Bucket   uint32 `json:"bucket"`
}

func (HashComputedEvent) Kind() string { return "hash.computed" }
func (e HashComputedEvent) String() string {
	return fmt.Sprintf("%s: jhash(key %s, seed %#08x) = %#08x; %#08x & (%d-1) = bucket %d",
		e.Map, e.Key, e.Seed, e.Hash, e.Hash, e.NBuckets, e.Bucket)
}

// HashWalkEvent: one element of a bucket chain compared with the key.
type HashWalkEvent struct {
	_ noCompare

	Map       string `json:"map"`
	Bucket    uint32 `json:"bucket"`
	Pos       int    `json:"pos"`
	Key       string `json:"key"`
	Hash      uint32 `json:"hash"`
	HashEqual bool   `json:"hash_equal"`
	Match     bool   `json:"match"`
}

func (HashWalkEvent) Kind() string { return "hash.walk" }
func (e HashWalkEvent) String() string {
	switch {
	case e.Match:
		return fmt.Sprintf("%s: bucket %d[%d]: key %s matches", e.Map, e.Bucket, e.Pos, e.Key)
	case e.HashEqual:
		return fmt.Sprintf("%s: bucket %d[%d]: key %s has the same hash but different bytes", e.Map, e.Bucket, e.Pos, e.Key)
	}
	return fmt.Sprintf("%s: bucket %d[%d]: key %s: hash %#08x differs", e.Map, e.Bucket, e.Pos, e.Key, e.Hash)
}

// HashInsertEvent: a new element linked at the head of its bucket.
type HashInsertEvent struct {
	_ noCompare

	Map    string `json:"map"`
	Bucket uint32 `json:"bucket"`
	Key    string `json:"key"`
	Count  int    `json:"count"`
}

func (HashInsertEvent) Kind() string { return "hash.insert" }
func (e HashInsertEvent) String() string {
	return fmt.Sprintf("%s: key %s inserted at the head of bucket %d (%d elements)", e.Map, e.Key, e.Bucket, e.Count)
}

// HashMoveEvent: a replacing update linked a new element at the bucket head
// and unlinked the old one, so the key moved to the head.
type HashMoveEvent struct {
	_ noCompare

	Map    string `json:"map"`
	Bucket uint32 `json:"bucket"`
	Key    string `json:"key"`
}

func (HashMoveEvent) Kind() string { return "hash.move" }
func (e HashMoveEvent) String() string {
	return fmt.Sprintf("%s: key %s replaced: the new element is at the head of bucket %d, the old one unlinked", e.Map, e.Key, e.Bucket)
}

// HashInPlaceEvent: an existing element's value was rewritten where it is
// (per-CPU maps, BPF_F_LOCK); its bucket position did not change.
type HashInPlaceEvent struct {
	_ noCompare

	Map    string `json:"map"`
	Bucket uint32 `json:"bucket"`
	Key    string `json:"key"`
}

func (HashInPlaceEvent) Kind() string { return "hash.inplace" }
func (e HashInPlaceEvent) String() string {
	return fmt.Sprintf("%s: key %s updated in place in bucket %d", e.Map, e.Key, e.Bucket)
}

// HashUnlinkEvent: an element left its bucket (delete, eviction).
type HashUnlinkEvent struct {
	_ noCompare

	Map    string `json:"map"`
	Bucket uint32 `json:"bucket"`
	Key    string `json:"key"`
	Why    string `json:"why"`
}

func (HashUnlinkEvent) Kind() string { return "hash.unlink" }
func (e HashUnlinkEvent) String() string {
	return fmt.Sprintf("%s: key %s unlinked from bucket %d (%s)", e.Map, e.Key, e.Bucket, e.Why)
}

// HashRestartEvent: get_next_key was given a key that is not in the map,
// so it returns the first key again.
type HashRestartEvent struct {
	_ noCompare

	Map string `json:"map"`
	Key string `json:"key"`
}

func (HashRestartEvent) Kind() string { return "hash.restart" }
func (e HashRestartEvent) String() string {
	return fmt.Sprintf("%s: get_next_key: key %s is not in the map, so the walk restarts from the first bucket", e.Map, e.Key)
}
