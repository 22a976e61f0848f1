package sim

import (
	"fmt"
	"sort"
)

// This file models kernel/bpf/bloom_filter.c: BPF_MAP_TYPE_BLOOM_FILTER
// (kernel-semantics §2.2, kernel-oracle §5).
//
// A bloom filter is a bit array of nr_bits = 2^n bits and k hash functions.
// Hash function i of a value is jhash of the value's value_size bytes with
// seed hash_seed + i (jhash2 over u32 words when value_size is a multiple of
// 4, which gives the same number on a little-endian machine), and its bit is
// hash & (nr_bits - 1). Push sets the k bits; peek reports "maybe present"
// when all k bits are set and ENOENT otherwise. Nothing is ever removed.
//
// Sizing, as bloom_map_alloc does it, in u32 arithmetic:
//
//	k       = map_extra & 0xf, or 5 when that is 0 (map_extra >= 16: EINVAL)
//	nr_bits = max_entries * k, then nr_bits / 5 * 7   (7/5 ≈ 1/ln 2)
//	if either step overflows u32 or nr_bits > 2^31: 2^32 bits (mask 0xffffffff)
//	else if nr_bits <= 64 (BITS_PER_LONG): 64 bits
//	else round nr_bits up to a power of two
//
// hash_seed is the map's seed: random per map unless BPF_F_ZERO_SEED (0) or
// the simulator's seed= attribute fixes it, so with equal seeds the false
// positives are the kernel's.

const bloomCreateFlags = FlagNumaNode | FlagZeroSeed | bpfAccessMaskAll

func init() {
	registerMapType(MapBloomFilter, mapType{allocCheck: bloomAllocCheck, alloc: bloomAlloc})
}

// bloomAllocCheck is bloom_map_alloc_check (6.18): only the value size.
func bloomAllocCheck(a *MapAttr, w *World) (Errno, string) {
	if a.ValueSize > lpmKmallocMaxSize {
		return E2BIG, "value_size is above KMALLOC_MAX_SIZE (4 MiB)"
	}
	return OK, ""
}

// bloomAlloc is bloom_map_alloc: the attribute checks, then the sizing.
func bloomAlloc(m *Map) (mapOps, Errno, string) {
	switch {
	case m.KeySize != 0:
		return nil, EINVAL, "key_size must be 0: a bloom filter has no keys"
	case m.ValueSize == 0:
		return nil, EINVAL, "value_size is 0"
	case m.MaxEntries == 0:
		return nil, EINVAL, "max_entries is 0"
	case m.Flags&^bloomCreateFlags != 0:
		return nil, EINVAL, "flags outside NUMA_NODE, ZERO_SEED and the access flags"
	case !progFlagsAccessOK(m.Flags):
		return nil, EINVAL, "BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together"
	case m.MapExtra&^0xf != 0:
		return nil, EINVAL, "map_extra above 15: its low 4 bits are the number of hash functions"
	}
	k := uint32(m.MapExtra)
	if k == 0 {
		k = 5
	}
	mask, nbits := BloomBits(m.MaxEntries, k)
	if e, why := noSpinLock(m); e != OK {
		return nil, e, why
	}
	return &BloomFilter{m: m, nrHashes: k, mask: mask, nrBits: nbits, bits: map[uint32]struct{}{}}, OK, ""
}

// BloomBits is the kernel's bit-array sizing: the index mask and the number
// of bits (2^32 at most, hence uint64).
func BloomBits(maxEntries, nrHashes uint32) (mask uint32, nrBits uint64) {
	p := uint64(maxEntries) * uint64(nrHashes)
	if p > 0xffffffff {
		return 0xffffffff, 1 << 32
	}
	n := uint32(p) / 5
	q := uint64(n) * 7
	if q > 0xffffffff || q > 1<<31 {
		return 0xffffffff, 1 << 32
	}
	n = uint32(q)
	if n <= 64 {
		return 63, 64
	}
	r := uint64(1)
	for r < uint64(n) {
		r <<= 1
	}
	return uint32(r - 1), r
}

// BloomFilter is the state of one BLOOM_FILTER map. The bits are kept as a
// set of indices: a filter may have 2^32 bits.
type BloomFilter struct {
	m        *Map
	nrHashes uint32
	mask     uint32
	nrBits   uint64
	bits     map[uint32]struct{}
	pushes   int // values pushed, for the view (the kernel does not count)
}

// bitIndex is hash function i of a value.
func (b *BloomFilter) bitIndex(value []byte, i uint32) uint32 {
	return Jhash(value, b.m.Seed+i) & b.mask
}

// BloomEvent is one hash function applied to a value: the bit it names and
// whether it was already set (peek stops at the first clear bit).
type BloomEvent struct {
	_ noCompare

	Map   string `json:"map"`
	Op    string `json:"op"` // push or peek
	Hash  uint32 `json:"hash"`
	Seed  uint32 `json:"seed"`
	Bit   uint32 `json:"bit"`
	IsSet bool   `json:"was_set"`
}

func (BloomEvent) Kind() string { return "bloom.bit" }
func (e BloomEvent) String() string {
	state := "was clear"
	if e.IsSet {
		state = "was set"
	}
	verb := "set"
	if e.Op == "peek" {
		verb = "test"
	}
	return fmt.Sprintf("%s %s: hash %d (jhash seed %#x): %s bit %d, %s", e.Op, e.Map, e.Hash, e.Seed, verb, e.Bit, state)
}

func (b *BloomFilter) push(value []byte, flags uint64) Errno {
	if flags != UpdateAny {
		return b.m.fail("push", EINVAL, "a bloom filter push takes BPF_ANY only")
	}
	if len(value) < int(b.m.ValueSize) {
		return b.m.fail("push", EINVAL, "value is shorter than value_size")
	}
	v := value[:b.m.ValueSize]
	ev := b.m.world != nil && b.m.world.Emitting()
	for i := uint32(0); i < b.nrHashes; i++ {
		h := b.bitIndex(v, i)
		_, was := b.bits[h]
		b.bits[h] = struct{}{}
		if ev {
			b.m.emit(BloomEvent{Map: b.m.Name, Op: "push", Hash: i, Seed: b.m.Seed + i, Bit: h, IsSet: was})
		}
	}
	b.pushes++
	return OK
}

// peekInto is bloom_map_peek_elem: the value is the input.
func (b *BloomFilter) peekInto(value []byte) Errno {
	if len(value) < int(b.m.ValueSize) {
		return b.m.fail("peek", EINVAL, "value is shorter than value_size")
	}
	v := value[:b.m.ValueSize]
	ev := b.m.world != nil && b.m.world.Emitting()
	for i := uint32(0); i < b.nrHashes; i++ {
		h := b.bitIndex(v, i)
		_, set := b.bits[h]
		if ev {
			b.m.emit(BloomEvent{Map: b.m.Name, Op: "peek", Hash: i, Seed: b.m.Seed + i, Bit: h, IsSet: set})
		}
		if !set {
			if !ev {
				return ENOENT
			}
			return b.m.fail("peek", ENOENT, fmt.Sprintf("bit %d is clear: the value was never pushed", h))
		}
	}
	return OK
}

func (b *BloomFilter) popInto(buf []byte) Errno {
	return b.m.fail("pop", EOPNOTSUPP, "a bloom filter cannot pop")
}

// ---- mapOps ----

func (b *BloomFilter) lookup(key []byte, src Source) ([]byte, Errno) {
	// BPF_MAP_LOOKUP_ELEM on a bloom filter reads the value buffer as its
	// input; Map.Lookup has no input value, so it cannot express that.
	return nil, b.m.fail("lookup", EINVAL, "a bloom filter lookup tests a value: use PeekValue(value)")
}

func (b *BloomFilter) update(key, value []byte, flags uint64, src Source) Errno {
	if src == Prog || key != nil {
		return b.m.fail("update", EINVAL, "programs add to a bloom filter with bpf_map_push_elem")
	}
	return b.push(value, flags)
}

func (b *BloomFilter) delete(key []byte, src Source) Errno {
	return b.m.fail("delete", EOPNOTSUPP, "nothing can be removed from a bloom filter")
}

func (b *BloomFilter) getNextKey(key []byte) ([]byte, Errno) {
	return nil, b.m.fail("next", EOPNOTSUPP, "a bloom filter cannot be iterated")
}

func (b *BloomFilter) lookupAndDelete(key []byte, flags uint64) ([]byte, Errno) {
	// The syscall supports lookup_and_delete only for hashes, queues and
	// stacks; everything else is ENOTSUPP before the map is asked.
	return nil, b.m.fail("lookup_and_delete", ENOTSUPP, "lookup_and_delete is not supported for bloom filters")
}

// count is the number of pushes so far (a bloom filter has no element count;
// the kernel reports none).
func (b *BloomFilter) count() int { return b.pushes }

func (b *BloomFilter) clone(m *Map) mapOps {
	c := *b
	c.m = m
	c.bits = make(map[uint32]struct{}, len(b.bits))
	for k := range b.bits {
		c.bits[k] = struct{}{}
	}
	return &c
}

// PeekValue is BPF_MAP_LOOKUP_ELEM from user space on a bloom filter, where
// the value buffer is the input: OK when the value may be in the set, ENOENT
// when it surely is not. On a queue or stack it is an ordinary peek whose
// result is copied into value.
func (m *Map) PeekValue(value []byte, flags uint64) Errno {
	if flags&^UpdateLock != 0 {
		return m.fail("lookup", EINVAL, "unknown lookup flags")
	}
	if !m.readable() {
		return m.fail("lookup", EPERM, "the fd is write-only (BPF_F_WRONLY)")
	}
	if flags&UpdateLock != 0 && !m.SpinLock {
		return m.fail("lookup", EINVAL, "BPF_F_LOCK but the value has no bpf_spin_lock")
	}
	if len(value) != int(m.ValueSize) {
		return m.fail("lookup", EFAULT, fmt.Sprintf("value is %d bytes, value_size is %d", len(value), m.ValueSize))
	}
	switch o := m.ops.(type) {
	case *BloomFilter:
		return o.peekInto(value)
	case *QueueStack:
		v, e := o.get(false)
		if e == OK {
			copy(value, v)
		}
		return e
	}
	return m.fail("lookup", EINVAL, "PeekValue needs a bloom filter, queue or stack")
}

// ---- view ----

// BloomView is the bit array as the UI draws it.
type BloomView struct {
	NrBits   uint64   `json:"nr_bits"`
	Mask     uint32   `json:"mask"`
	NrHashes uint32   `json:"nr_hashes"`
	Seed     uint32   `json:"seed"`
	Pushes   int      `json:"pushes"`
	SetBits  []uint32 `json:"set_bits"` // ascending
}

// View returns the sizing and the set bits.
func (b *BloomFilter) View() BloomView {
	v := BloomView{NrBits: b.nrBits, Mask: b.mask, NrHashes: b.nrHashes, Seed: b.m.Seed, Pushes: b.pushes}
	for k := range b.bits {
		v.SetBits = append(v.SetBits, k)
	}
	sort.Slice(v.SetBits, func(i, j int) bool { return v.SetBits[i] < v.SetBits[j] })
	return v
}

// BitIndexes are the k bits a value maps to (for lessons).
func (b *BloomFilter) BitIndexes(value []byte) []uint32 {
	if len(value) < int(b.m.ValueSize) {
		return nil
	}
	out := make([]uint32, b.nrHashes)
	for i := range out {
		out[i] = b.bitIndex(value[:b.m.ValueSize], uint32(i))
	}
	return out
}
