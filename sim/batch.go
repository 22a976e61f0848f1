package sim

import (
	"encoding/binary"
	"fmt"
)

// This file models the batch commands of bpf(2): BPF_MAP_LOOKUP_BATCH,
// BPF_MAP_LOOKUP_AND_DELETE_BATCH, BPF_MAP_UPDATE_BATCH and
// BPF_MAP_DELETE_BATCH (kernel-semantics §2.3 batch row, §4.6), written from
// the algorithm description and checked against Linux 6.18.
//
// The syscall layer (bpf_map_do_batch) checks the fd first: the lookup
// commands need read permission, the others write permission (a frozen map
// has none), lookup_and_delete needs both; a missing one is EPERM. Only
// then does it look for the type's batch operation: a type without one
// gives ENOTSUPP (524), whatever the other arguments are.
//
// Two implementations exist:
//
//   - The hash family (HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH,
//     HASH_OF_MAPS) has its own lookup and lookup_and_delete: the batch
//     token is a u32 bucket index and whole buckets are copied.
//   - The generic code (generic_map_{lookup,update,delete}_batch) walks
//     with get_next_key (the token is the last key returned) for lookups,
//     and does one update or delete per key, stopping at the first error.
//
// Which type has which operation (Linux 6.18, checked live):
//
//	type                lookup   lookup_and_delete  update   delete
//	hash family         hash     hash               generic  generic
//	hash_of_maps        hash     hash               generic  generic
//	array, percpu_array generic  -                  generic  -
//	array_of_maps       generic  -                  generic  -
//	lpm_trie            generic  -                  generic  generic
//	everything else     -        -                  -        -
//
// The count the kernel writes back is kept exactly: checks that fail
// before the batch code resets it to 0 (permissions, a missing operation,
// bad flags, count 0) leave the caller's count in place.

// BatchResult is what a batch command hands back to user space.
type BatchResult struct {
	// Keys and Values are the elements copied out by a lookup batch, in
	// the order the kernel copied them. Values use the syscall layout:
	// every CPU's copy, each round_up(value_size, 8) bytes, for per-CPU
	// maps; the inner map ID for map-in-map types.
	Keys   [][]byte
	Values [][]byte
	// Count is batch.count after the call: the number of elements
	// processed. A check that fails before the batch code starts leaves
	// the count the caller passed.
	Count uint32
	// OutBatch is out_batch as the kernel wrote it: a u32 bucket index
	// for the hash family, the last key for the generic lookup; nil when
	// the kernel did not write it.
	OutBatch []byte
}

type batchCmd int

const (
	batchLookup batchCmd = iota
	batchLookupAndDelete
	batchUpdate
	batchDelete
)

func (c batchCmd) op() string {
	return [...]string{"lookup_batch", "lookup_and_delete_batch", "update_batch", "delete_batch"}[c]
}

// batchImpl names the operation a map type has for a batch command:
// "hash", "generic" or "" (none: ENOTSUPP).
func (m *Map) batchImpl(c batchCmd) string {
	switch m.ops.(type) {
	case *Hashtab, *HashOfMaps:
		if c == batchLookup || c == batchLookupAndDelete {
			return "hash"
		}
		return "generic"
	case *Arraymap, *ArrayOfMaps:
		if c == batchLookup || c == batchUpdate {
			return "generic"
		}
	case *LPMTrie:
		if c != batchLookupAndDelete {
			return "generic"
		}
	}
	return ""
}

// batchEntry is bpf_map_do_batch: fd permissions, then the type's
// operation. It returns the implementation to run, or the errno.
func (m *Map) batchEntry(c batchCmd) (string, Errno) {
	op := c.op()
	read := c == batchLookup || c == batchLookupAndDelete
	write := c != batchLookup
	if read && !m.readable() {
		return "", m.fail(op, EPERM, "the fd is write-only (BPF_F_WRONLY): a lookup batch needs read permission")
	}
	if write && !m.writable() {
		if m.frozen {
			return "", m.fail(op, EPERM, "the map is frozen: user space may not write it")
		}
		return "", m.fail(op, EPERM, "the fd is read-only (BPF_F_RDONLY)")
	}
	impl := m.batchImpl(c)
	if impl == "" {
		return "", m.fail(op, ENOTSUPP, fmt.Sprintf("%v maps have no %s operation", m.Type, op))
	}
	return impl, OK
}

// batchElemFlags is the elem_flags check every batch operation starts
// with: only BPF_F_LOCK, and only when the value holds a bpf_spin_lock.
func (m *Map) batchElemFlags(op string, elemFlags uint64) Errno {
	if elemFlags&^UpdateLock != 0 {
		return m.fail(op, EINVAL, fmt.Sprintf("elem_flags %#x: only BPF_F_LOCK is allowed", elemFlags))
	}
	if elemFlags&UpdateLock != 0 && !m.SpinLock {
		return m.fail(op, EINVAL, "BPF_F_LOCK but the value has no bpf_spin_lock")
	}
	return OK
}

// LookupBatch is BPF_MAP_LOOKUP_BATCH: up to count elements from where
// inBatch says (nil: NULL, the start). ENOENT means the walk reached the
// end; Count still says how many elements this call copied.
func (m *Map) LookupBatch(inBatch []byte, count uint32, elemFlags, flags uint64) (BatchResult, Errno) {
	return m.lookupBatch(batchLookup, inBatch, count, elemFlags, flags)
}

// LookupAndDeleteBatch is BPF_MAP_LOOKUP_AND_DELETE_BATCH: as LookupBatch,
// and every element copied is deleted.
func (m *Map) LookupAndDeleteBatch(inBatch []byte, count uint32, elemFlags, flags uint64) (BatchResult, Errno) {
	return m.lookupBatch(batchLookupAndDelete, inBatch, count, elemFlags, flags)
}

func (m *Map) lookupBatch(c batchCmd, inBatch []byte, count uint32, elemFlags, flags uint64) (BatchResult, Errno) {
	res := BatchResult{Count: count}
	impl, e := m.batchEntry(c)
	if e != OK {
		return res, e
	}
	if impl == "hash" {
		return m.htabBatch(c, inBatch, count, elemFlags, flags)
	}
	return m.genericLookupBatch(inBatch, count, elemFlags)
}

// UpdateBatch is BPF_MAP_UPDATE_BATCH: keys[i] is updated with values[i]
// (the syscall value layout) using elemFlags as the update flags, which
// may only be 0 or BPF_F_LOCK. It stops at the first error; Count is the
// number of elements updated before it. batch.flags is not checked.
func (m *Map) UpdateBatch(keys, values [][]byte, elemFlags, flags uint64) (BatchResult, Errno) {
	return m.writeBatch(batchUpdate, keys, values, elemFlags)
}

// DeleteBatch is BPF_MAP_DELETE_BATCH: every key is deleted in order; it
// stops at the first error (ENOENT for a missing key) and Count is the
// number deleted. batch.flags is not checked.
func (m *Map) DeleteBatch(keys [][]byte, elemFlags, flags uint64) (BatchResult, Errno) {
	return m.writeBatch(batchDelete, keys, nil, elemFlags)
}

// batchStart emits BatchStartEvent.
func (m *Map) batchStart(op, mode string, inBatch []byte, count uint32) {
	if m.world.Emitting() {
		in := "NULL"
		if inBatch != nil {
			in = htabHex(inBatch)
		}
		m.emit(BatchStartEvent{Map: m.Name, Op: op, Mode: mode, InBatch: in, Count: count})
	}
}

// batchStop emits BatchStopEvent (and ErrnoEvent for a failure) and
// returns the errno.
func (m *Map) batchStop(op string, res *BatchResult, e Errno, reason string) Errno {
	if !m.world.Emitting() {
		return e
	}
	ev := BatchStopEvent{Map: m.Name, Op: op, Count: res.Count, Errno: e, Name: e.String(), Reason: reason}
	if res.OutBatch != nil {
		ev.OutBatch = htabHex(res.OutBatch)
	}
	m.emit(ev)
	if e != OK {
		m.fail(op, e, reason)
	}
	return e
}

// htabBatch is the hash family's lookup (and lookup_and_delete) batch.
func (m *Map) htabBatch(c batchCmd, inBatch []byte, count uint32, elemFlags, flags uint64) (BatchResult, Errno) {
	op := c.op()
	res := BatchResult{Count: count}
	if e := m.batchElemFlags(op, elemFlags); e != OK {
		return res, e
	}
	if flags != 0 {
		return res, m.fail(op, EINVAL, fmt.Sprintf("flags %#x: the hash batch takes no flags", flags))
	}
	if count == 0 {
		return res, OK
	}
	res.Count = 0
	var h *Hashtab
	var hom *HashOfMaps
	switch o := m.ops.(type) {
	case *Hashtab:
		h = o
	case *HashOfMaps:
		h, hom = o.h, o
	}
	batch := uint32(0)
	if inBatch != nil {
		if len(inBatch) != 4 {
			return res, m.fail(op, EFAULT, fmt.Sprintf("in_batch is %d bytes: the hash batch token is a u32 bucket index", len(inBatch)))
		}
		batch = binary.LittleEndian.Uint32(inBatch)
	}
	if batch >= h.nBuckets {
		return res, m.fail(op, ENOENT, fmt.Sprintf("in_batch %d is not below n_buckets %d: nothing left", batch, h.nBuckets))
	}
	m.batchStart(op, "buckets", inBatch, count)
	var e Errno
	var reason string
	total := uint32(0)
	for {
		b := h.nextNonEmptyBucket(batch)
		if b >= h.nBuckets {
			// Past the last bucket: the walk is done.
			batch = h.nBuckets
			e, reason = ENOENT, fmt.Sprintf("past the last bucket (n_buckets %d): the walk is done", h.nBuckets)
			break
		}
		batch = b
		n := uint32(h.BucketLen(b))
		if n > count-total {
			if total == 0 {
				e, reason = ENOSPC, fmt.Sprintf("bucket %d holds %d elements, more than count %d, and nothing was copied yet", b, n, count)
			} else {
				reason = fmt.Sprintf("bucket %d holds %d elements, more than the %d left of count: resume from it", b, n, count-total)
			}
			break
		}
		var keys []string
		var elems []int32
		for el := h.head(b); el >= 0; el = h.next[el] {
			res.Keys = append(res.Keys, append([]byte(nil), h.keyOf(el)...))
			res.Values = append(res.Values, h.readValue(el))
			elems = append(elems, el)
			if m.world.Emitting() {
				keys = append(keys, htabHex(h.keyOf(el)))
			}
		}
		total += n
		if m.world.Emitting() {
			m.emit(BatchBucketEvent{Map: m.Name, Op: op, Bucket: b, Keys: keys, Total: total, Deleted: c == batchLookupAndDelete})
		}
		if c == batchLookupAndDelete {
			// The elements are unlinked under the bucket lock and freed
			// afterwards from a list built by pushing each one, so the
			// last of the chain is freed first (this orders LRU frees).
			for i := len(elems) - 1; i >= 0; i-- {
				el := elems[i]
				var id uint32
				if hom != nil {
					id = binary.LittleEndian.Uint32(h.valOf(el))
				}
				h.remove(el, b, "lookup_and_delete_batch")
				if hom != nil {
					hom.swapEvent(htabHex(res.Keys[len(res.Keys)-len(elems)+i]), id, 0)
				}
			}
		}
		batch++
		if batch >= h.nBuckets {
			e, reason = ENOENT, fmt.Sprintf("past the last bucket (n_buckets %d): the walk is done", h.nBuckets)
			break
		}
	}
	res.Count = total
	res.OutBatch = binary.LittleEndian.AppendUint32(nil, batch)
	if e == OK && reason == "" {
		reason = "count reached"
	}
	return res, m.batchStop(op, &res, e, reason)
}

// nextNonEmptyBucket is the first bucket at or after b that holds an
// element, or n_buckets; whole empty chunks are skipped.
func (h *Hashtab) nextNonEmptyBucket(b uint32) uint32 {
	for i := uint64(b); i < uint64(h.nBuckets); {
		ci := i >> htabChunkShift
		if h.chunkLen[ci] == 0 {
			i = (ci + 1) << htabChunkShift
			continue
		}
		if h.dir[ci][i&htabChunkMask] >= 0 {
			return uint32(i)
		}
		i++
	}
	return h.nBuckets
}

// genericLookupBatch is generic_map_lookup_batch: get_next_key from the
// token, then a syscall lookup of each key. A key whose lookup finds
// nothing (an empty map-in-map slot) is skipped. batch.flags is not
// checked.
func (m *Map) genericLookupBatch(inBatch []byte, count uint32, elemFlags uint64) (BatchResult, Errno) {
	op := batchLookup.op()
	res := BatchResult{Count: count}
	if e := m.batchElemFlags(op, elemFlags); e != OK {
		return res, e
	}
	if count == 0 {
		return res, OK
	}
	res.Count = 0
	if inBatch != nil && len(inBatch) != int(m.KeySize) {
		return res, m.fail(op, EFAULT, fmt.Sprintf("in_batch is %d bytes: the token is a key of key_size %d", len(inBatch), m.KeySize))
	}
	m.batchStart(op, "keys", inBatch, count)
	prev := inBatch
	var e Errno
	var reason string
	cp := uint32(0)
	for cp < count {
		key, ne := m.ops.getNextKey(prev)
		if ne != OK {
			e = ne
			if ne == ENOENT {
				reason = "get_next_key found no more keys: the walk is done"
			} else {
				reason = "get_next_key failed"
			}
			break
		}
		key = append([]byte(nil), key...)
		val, le := m.ops.lookup(key, Syscall)
		if le == ENOENT {
			if m.world.Emitting() {
				m.emit(BatchElemEvent{Map: m.Name, Op: op, Index: cp, Key: htabHex(key), Skipped: true})
			}
			prev = key
			continue
		}
		if le != OK {
			// The kernel gives up without writing the count or out_batch.
			res.Keys, res.Values = nil, nil
			return res, m.batchStop(op, &res, le, "a lookup failed")
		}
		res.Keys = append(res.Keys, key)
		res.Values = append(res.Values, append([]byte(nil), val...))
		if m.world.Emitting() {
			m.emit(BatchElemEvent{Map: m.Name, Op: op, Index: cp, Key: htabHex(key)})
		}
		cp++
		prev = key
	}
	res.Count = cp
	if cp > 0 {
		res.OutBatch = append([]byte(nil), prev...)
	}
	if e == OK {
		reason = "count reached"
	}
	return res, m.batchStop(op, &res, e, reason)
}

// writeBatch is generic_map_update_batch and generic_map_delete_batch.
func (m *Map) writeBatch(c batchCmd, keys, values [][]byte, elemFlags uint64) (BatchResult, Errno) {
	op := c.op()
	count := uint32(min(uint64(len(keys)), 0xffffffff))
	res := BatchResult{Count: count}
	if _, e := m.batchEntry(c); e != OK {
		return res, e
	}
	if e := m.batchElemFlags(op, elemFlags); e != OK {
		return res, e
	}
	if count == 0 {
		return res, OK
	}
	res.Count = 0
	m.batchStart(op, "keys", nil, count)
	vsize := m.SyscallValueSize()
	var e Errno
	reason := "every element processed"
	cp := uint32(0)
	for ; cp < count; cp++ {
		key := keys[cp]
		if len(key) != int(m.KeySize) {
			e, reason = EFAULT, fmt.Sprintf("key %d is %d bytes, key_size is %d", cp, len(key), m.KeySize)
			break
		}
		if c == batchUpdate {
			if int(cp) >= len(values) || len(values[cp]) != vsize {
				e, reason = EFAULT, fmt.Sprintf("value %d is missing or not %d bytes", cp, vsize)
				break
			}
			e = m.ops.update(key, values[cp], elemFlags, Syscall)
		} else {
			e = m.ops.delete(key, Syscall)
		}
		if e != OK {
			reason = fmt.Sprintf("element %d (key %s) failed: the batch stops there", cp, htabHex(key))
			break
		}
		if m.world.Emitting() {
			m.emit(BatchElemEvent{Map: m.Name, Op: op, Index: cp, Key: htabHex(key)})
		}
	}
	res.Count = cp
	return res, m.batchStop(op, &res, e, reason)
}

// BatchStartEvent: a batch command passed its checks and starts. Mode is
// "buckets" (the hash family's token is a bucket index) or "keys".
type BatchStartEvent struct {
	_ noCompare

	Map     string `json:"map"`
	Op      string `json:"op"`
	Mode    string `json:"mode"`
	InBatch string `json:"in_batch"` // hex, or NULL
	Count   uint32 `json:"count"`
}

func (BatchStartEvent) Kind() string { return "batch.start" }
func (e BatchStartEvent) String() string {
	return fmt.Sprintf("%s %s: start at in_batch %s, count %d (token: %s)", e.Op, e.Map, e.InBatch, e.Count, map[bool]string{true: "bucket index", false: "last key"}[e.Mode == "buckets"])
}

// BatchBucketEvent: a hash batch copied one whole bucket (and deleted it,
// for lookup_and_delete). Total is the count so far.
type BatchBucketEvent struct {
	_ noCompare

	Map     string   `json:"map"`
	Op      string   `json:"op"`
	Bucket  uint32   `json:"bucket"`
	Keys    []string `json:"keys"`
	Total   uint32   `json:"total"`
	Deleted bool     `json:"deleted"`
}

func (BatchBucketEvent) Kind() string { return "batch.bucket" }
func (e BatchBucketEvent) String() string {
	verb := "copied"
	if e.Deleted {
		verb = "copied and deleted"
	}
	return fmt.Sprintf("%s %s: bucket %d %s (%d keys %v), %d so far", e.Op, e.Map, e.Bucket, verb, len(e.Keys), e.Keys, e.Total)
}

// BatchElemEvent: the generic batch code processed element Index (for a
// lookup, Skipped means the key had no value and was passed over).
type BatchElemEvent struct {
	_ noCompare

	Map     string `json:"map"`
	Op      string `json:"op"`
	Index   uint32 `json:"index"`
	Key     string `json:"key"`
	Skipped bool   `json:"skipped,omitempty"`
}

func (BatchElemEvent) Kind() string { return "batch.elem" }
func (e BatchElemEvent) String() string {
	if e.Skipped {
		return fmt.Sprintf("%s %s: key %s has no value: skipped", e.Op, e.Map, e.Key)
	}
	return fmt.Sprintf("%s %s: element %d: key %s", e.Op, e.Map, e.Index, e.Key)
}

// BatchStopEvent: why a batch stopped, the count written back and the
// out_batch token (empty when not written).
type BatchStopEvent struct {
	_ noCompare

	Map      string `json:"map"`
	Op       string `json:"op"`
	Count    uint32 `json:"count"`
	OutBatch string `json:"out_batch,omitempty"`
	Errno    Errno  `json:"-"`
	Name     string `json:"errno"`
	Reason   string `json:"reason"`
}

func (BatchStopEvent) Kind() string { return "batch.stop" }
func (e BatchStopEvent) String() string {
	out := "not written"
	if e.OutBatch != "" {
		out = e.OutBatch
	}
	return fmt.Sprintf("%s %s: %s, count %d, out_batch %s (%s)", e.Op, e.Map, e.Name, e.Count, out, e.Reason)
}
