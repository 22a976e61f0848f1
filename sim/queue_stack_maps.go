package sim

import (
	"fmt"
	"sort"
)

// This file models kernel/bpf/queue_stack_maps.c: BPF_MAP_TYPE_QUEUE and
// BPF_MAP_TYPE_STACK (kernel-semantics §8). Both keep values in a ring of
// size = max_entries + 1 slots with two indices: head (the next slot to
// write) and tail (the oldest element). The ring is empty when head == tail
// and full when head + 1 == tail (mod size), so one slot always stays unused.
//
// The syscall side maps onto the element commands with a NULL key:
// LOOKUP = peek, LOOKUP_AND_DELETE = pop, UPDATE = push. Programs use the
// push/pop/peek helpers (ProgPush, ProgPop, ProgPeek and the *Into forms that
// take the helper's value buffer). The bloom filter shares this interface:
// see bloom_filter.go.

const (
	qsCreateFlags = FlagNumaNode | bpfAccessMaskAll
)

func init() {
	for _, t := range []MapType{MapQueue, MapStack} {
		registerMapType(t, mapType{allocCheck: qsAllocCheck, alloc: qsAlloc})
	}
}

// qsAllocCheck is queue_stack_map_alloc_check.
func qsAllocCheck(a *MapAttr, w *World) (Errno, string) {
	switch {
	case a.MaxEntries == 0:
		return EINVAL, "max_entries is 0"
	case a.KeySize != 0:
		return EINVAL, "key_size must be 0: queues and stacks have no keys"
	case a.ValueSize == 0:
		return EINVAL, "value_size is 0"
	case a.Flags&^qsCreateFlags != 0:
		return EINVAL, "flags outside NUMA_NODE and the access flags (BPF_F_NO_PREALLOC is not allowed)"
	case !progFlagsAccessOK(a.Flags):
		return EINVAL, "BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together"
	case a.ValueSize > lpmKmallocMaxSize:
		return E2BIG, "value_size is above KMALLOC_MAX_SIZE (4 MiB)"
	}
	return OK, ""
}

func qsAlloc(m *Map) (mapOps, Errno, string) {
	// The ring is one vmalloc area of (max_entries + 1) * value_size bytes.
	// The kernel's limit is free memory (kernel-oracle §1); like the array
	// and hash models we refuse areas larger than the machine's RAM
	// (simTotalRAM). max_entries 0xffffffff would wrap the kernel's u32 ring
	// size to 0; the simulator refuses it as ENOMEM instead of modelling that.
	size := uint64(m.MaxEntries) + 1
	if size*uint64(m.ValueSize) > simTotalRAM || size > 0xffffffff {
		return nil, ENOMEM, fmt.Sprintf("%d slots of %d bytes do not fit in memory", size, m.ValueSize)
	}
	if e, why := noSpinLock(m); e != OK {
		return nil, e, why
	}
	return &QueueStack{m: m, size: uint32(size), slots: map[uint32][]byte{}}, OK, ""
}

// QueueStack is the state of a QUEUE or STACK map.
type QueueStack struct {
	m     *Map
	size  uint32 // max_entries + 1
	head  uint32
	tail  uint32
	slots map[uint32][]byte // slots ever written (sparse: max_entries may be huge)
}

func (q *QueueStack) stack() bool { return q.m.Type == MapStack }
func (q *QueueStack) empty() bool { return q.head == q.tail }
func (q *QueueStack) full() bool  { return (q.head+1)%q.size == q.tail }

func (q *QueueStack) count() int {
	return int((uint64(q.head) + uint64(q.size) - uint64(q.tail)) % uint64(q.size))
}

// ---- events ----

// QueueEvent is one step of a queue or stack operation: which slot was
// written or read and where head and tail are afterwards.
type QueueEvent struct {
	_ noCompare

	Map    string `json:"map"`
	Op     string `json:"op"`     // push, pop, peek, drop
	Action string `json:"action"` // write, read, drop_oldest
	Slot   uint32 `json:"slot"`
	Head   uint32 `json:"head"`
	Tail   uint32 `json:"tail"`
	Value  []byte `json:"value,omitempty"`
}

func (QueueEvent) Kind() string { return "queue.slot" }
func (e QueueEvent) String() string {
	switch e.Action {
	case "drop_oldest":
		return fmt.Sprintf("%s %s: full with BPF_EXIST: drop the oldest element in slot %d (head %d, tail %d)", e.Op, e.Map, e.Slot, e.Head, e.Tail)
	case "write":
		return fmt.Sprintf("%s %s: write slot %d = %x (head %d, tail %d)", e.Op, e.Map, e.Slot, e.Value, e.Head, e.Tail)
	}
	return fmt.Sprintf("%s %s: read slot %d = %x (head %d, tail %d)", e.Op, e.Map, e.Slot, e.Value, e.Head, e.Tail)
}

func (q *QueueStack) event(op, action string, slot uint32, v []byte) {
	if q.m.world != nil && q.m.world.Emitting() {
		q.m.emit(QueueEvent{Map: q.m.Name, Op: op, Action: action, Slot: slot, Head: q.head, Tail: q.tail, Value: append([]byte(nil), v...)})
	}
}

// ---- the three operations ----

// push is queue_stack_map_push_elem.
func (q *QueueStack) push(value []byte, flags uint64) Errno {
	if flags&UpdateNoExist != 0 || flags > UpdateExist {
		return q.m.fail("push", EINVAL, "push takes BPF_ANY or BPF_EXIST only")
	}
	if len(value) < int(q.m.ValueSize) {
		return q.m.fail("push", EINVAL, "value is shorter than value_size")
	}
	if q.full() {
		if flags&UpdateExist == 0 {
			if q.m.world == nil || !q.m.world.Emitting() {
				return E2BIG
			}
			return q.m.fail("push", E2BIG, fmt.Sprintf("full (%d elements); BPF_EXIST would drop the oldest", q.count()))
		}
		old := q.tail
		q.tail = (q.tail + 1) % q.size
		q.event("push", "drop_oldest", old, q.slots[old])
		delete(q.slots, old)
	}
	v := append([]byte(nil), value[:q.m.ValueSize]...)
	slot := q.head
	q.slots[slot] = v
	q.head = (q.head + 1) % q.size
	q.event("push", "write", slot, v)
	return OK
}

// get is __queue_map_get / __stack_map_get: peek, or pop when del.
func (q *QueueStack) get(del bool) ([]byte, Errno) {
	op := "peek"
	if del {
		op = "pop"
	}
	if q.empty() {
		return nil, q.m.fail(op, ENOENT, "empty")
	}
	var slot uint32
	if q.stack() {
		slot = (q.head + q.size - 1) % q.size
	} else {
		slot = q.tail
	}
	v := q.slots[slot]
	if v == nil {
		v = make([]byte, q.m.ValueSize)
	}
	out := append([]byte(nil), v...)
	if del {
		if q.stack() {
			q.head = slot
		} else {
			q.tail = (q.tail + 1) % q.size
		}
		delete(q.slots, slot) // the kernel leaves the bytes; nobody can read them
	}
	q.event(op, "read", slot, out)
	return out, OK
}

// ---- mapOps ----

func (q *QueueStack) lookup(key []byte, src Source) ([]byte, Errno) {
	if src == Prog {
		// queue_stack_map_lookup_elem returns NULL; programs use peek.
		return nil, q.m.fail("lookup", ENOENT, "bpf_map_lookup_elem on a queue/stack returns NULL: use bpf_map_peek_elem")
	}
	return q.get(false)
}

func (q *QueueStack) update(key, value []byte, flags uint64, src Source) Errno {
	if src == Prog || key != nil {
		return q.m.fail("update", EINVAL, "queues and stacks are written with push (bpf_map_push_elem)")
	}
	return q.push(value, flags)
}

func (q *QueueStack) delete(key []byte, src Source) Errno {
	return q.m.fail("delete", EINVAL, "queues and stacks have no delete: use pop")
}

func (q *QueueStack) getNextKey(key []byte) ([]byte, Errno) {
	return nil, q.m.fail("next", EINVAL, "queues and stacks have no keys to iterate")
}

func (q *QueueStack) lookupAndDelete(key []byte, flags uint64) ([]byte, Errno) {
	if flags != 0 {
		return nil, q.m.fail("pop", EINVAL, "pop takes no flags")
	}
	return q.get(true)
}

func (q *QueueStack) clone(m *Map) mapOps {
	c := *q
	c.m = m
	c.slots = make(map[uint32][]byte, len(q.slots))
	for k, v := range q.slots {
		c.slots[k] = append([]byte(nil), v...)
	}
	return &c
}

// ---- view ----

// QueueSlot is one written slot of the ring.
type QueueSlot struct {
	Index uint32 `json:"index"`
	Value []byte `json:"value"`
	Live  bool   `json:"live"` // between tail and head
}

// QueueView is the ring as the UI draws it.
type QueueView struct {
	Size  uint32      `json:"size"` // max_entries + 1
	Head  uint32      `json:"head"`
	Tail  uint32      `json:"tail"`
	Len   int         `json:"len"`
	Stack bool        `json:"stack"`
	Slots []QueueSlot `json:"slots"` // live slots, oldest first
}

// View returns the live elements, oldest first.
func (q *QueueStack) View() QueueView {
	v := QueueView{Size: q.size, Head: q.head, Tail: q.tail, Len: q.count(), Stack: q.stack()}
	idx := make([]uint32, 0, len(q.slots))
	for i := range q.slots {
		idx = append(idx, i)
	}
	// Oldest first: distance from tail.
	sort.Slice(idx, func(a, b int) bool {
		return (idx[a]+q.size-q.tail)%q.size < (idx[b]+q.size-q.tail)%q.size
	})
	for _, i := range idx {
		v.Slots = append(v.Slots, QueueSlot{Index: i, Value: append([]byte(nil), q.slots[i]...), Live: true})
	}
	return v
}

// ---- the program helpers (bpf_map_push_elem, _pop_elem, _peek_elem) ----

// valueStack is a map family reached through the push/pop/peek helpers.
type valueStack interface {
	push(value []byte, flags uint64) Errno
	popInto(buf []byte) Errno
	peekInto(buf []byte) Errno
}

func (q *QueueStack) popInto(buf []byte) Errno  { return q.getInto(buf, true) }
func (q *QueueStack) peekInto(buf []byte) Errno { return q.getInto(buf, false) }

// getInto copies into the helper's buffer; on an empty map the buffer is
// zero-filled, as the kernel does.
func (q *QueueStack) getInto(buf []byte, del bool) Errno {
	v, e := q.get(del)
	for i := range buf {
		buf[i] = 0
	}
	if e == OK {
		copy(buf, v)
	}
	return e
}

// ProgPush is bpf_map_push_elem: push onto a queue or stack, or add a value
// to a bloom filter. Other map types give EINVAL (the verifier would refuse).
func (m *Map) ProgPush(value []byte, flags uint64) Errno {
	s, ok := m.ops.(valueStack)
	if !ok {
		return m.fail("push", EINVAL, "bpf_map_push_elem needs a queue, stack or bloom filter")
	}
	return s.push(value, flags)
}

// ProgPop is bpf_map_pop_elem on a queue or stack. A bloom filter gives
// EOPNOTSUPP.
func (m *Map) ProgPop() ([]byte, Errno) {
	buf := make([]byte, m.ValueSize)
	if e := m.ProgPopInto(buf); e != OK {
		return nil, e
	}
	return buf, OK
}

// ProgPeek is bpf_map_peek_elem on a queue or stack. A bloom filter needs
// the value to test: use ProgPeekInto.
func (m *Map) ProgPeek() ([]byte, Errno) {
	if _, ok := m.ops.(*BloomFilter); ok {
		return nil, m.fail("peek", EINVAL, "a bloom filter peek tests a value: use ProgPeekInto(value)")
	}
	buf := make([]byte, m.ValueSize)
	if e := m.ProgPeekInto(buf); e != OK {
		return nil, e
	}
	return buf, OK
}

// ProgPopInto is the helper's exact contract: the element is copied into
// buf (zero-filled when the map is empty).
func (m *Map) ProgPopInto(buf []byte) Errno {
	s, ok := m.ops.(valueStack)
	if !ok {
		return m.fail("pop", EINVAL, "bpf_map_pop_elem needs a queue or stack")
	}
	return s.popInto(buf)
}

// ProgPeekInto is bpf_map_peek_elem with the helper's buffer: queues and
// stacks copy their next element into buf (zero-filled when empty); a bloom
// filter tests whether buf may be in the set (OK) or surely is not (ENOENT).
func (m *Map) ProgPeekInto(buf []byte) Errno {
	s, ok := m.ops.(valueStack)
	if !ok {
		return m.fail("peek", EINVAL, "bpf_map_peek_elem needs a queue, stack or bloom filter")
	}
	return s.peekInto(buf)
}
