package sim

import (
	"encoding/binary"
	"fmt"
)

// This file models BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c;
// kernel-semantics §9).
//
// The data area is S = max_entries bytes. consumer_pos and producer_pos
// are free-running 64-bit positions, never masked; the byte for position p
// is data[p & (S-1)]. Each record is an 8-byte header {u32 len; u32 pg_off}
// followed by the payload, the whole rounded up to 8 bytes. Bit 31 of len is
// BUSY (reserved, not committed yet), bit 30 DISCARD. The kernel maps the
// data pages twice so that a record may run past the end; here a record's
// bytes simply wrap around.
//
// A reservation's payload lives in its own buffer until it is submitted or
// discarded, when it is copied into the ring: between reserve and submit
// the ring shows the BUSY header and the payload bytes as they were.

func init() {
	registerMapType(MapRingbuf, mapType{allocCheck: ringbufAllocCheck, alloc: ringbufAlloc})
}

// Ring buffer header bits and flags (UAPI).
const (
	RingBusyBit    uint32 = 1 << 31 // BPF_RINGBUF_BUSY_BIT
	RingDiscardBit uint32 = 1 << 30 // BPF_RINGBUF_DISCARD_BIT
	RingHdrSize           = 8       // BPF_RINGBUF_HDR_SZ

	RingNoWakeup    uint64 = 1 << 0 // BPF_RB_NO_WAKEUP
	RingForceWakeup uint64 = 1 << 1 // BPF_RB_FORCE_WAKEUP

	RingAvailData uint64 = 0 // BPF_RB_AVAIL_DATA
	RingRingSize  uint64 = 1 // BPF_RB_RING_SIZE
	RingConsPos   uint64 = 2 // BPF_RB_CONS_POS
	RingProdPos   uint64 = 3 // BPF_RB_PROD_POS

	ringPageSize = 4096
	// ringbufMaxDataSize is RINGBUF_MAX_DATA_SZ on x86-64: (2^32 - 2 pages)
	// pages, minus the header pages. About 64 GiB.
	ringbufMaxDataSize = uint64(1<<32-2)*ringPageSize - 4*ringPageSize
	// ringbufSimLimit is the largest data area the simulator allocates.
	ringbufSimLimit = 64 << 20
	// ringDataPage is the page offset of the data area inside struct
	// bpf_ringbuf (header pages before it); pg_off counts from the ring.
	ringDataPage = 3
)

// Ringbuf is the family state of a RINGBUF map.
type Ringbuf struct {
	m        *Map
	data     []byte
	mask     uint64
	consumer uint64
	producer uint64
	pending  uint64
}

// RingReservation is a reserved record: Pos is the position of its header,
// Size the payload size. The payload buffer is what a program writes.
type RingReservation struct {
	Pos     uint64
	Size    uint32
	Payload []byte
}

// RingRecord is one record read by the consumer.
type RingRecord struct {
	Pos  uint64 `json:"pos"`
	Data []byte `json:"data"`
}

// RingEvent reports a ring buffer operation and the positions after it.
type RingEvent struct {
	_ noCompare

	Map      string `json:"map"`
	Op       string `json:"op"` // reserve, submit, discard, output, consume, set_consumer
	Pos      uint64 `json:"pos"`
	Len      uint32 `json:"len"`
	Producer uint64 `json:"producer"`
	Consumer uint64 `json:"consumer"`
	Pending  uint64 `json:"pending"`
	Note     string `json:"note,omitempty"`
}

func (RingEvent) Kind() string { return "ringbuf.op" }
func (e RingEvent) String() string {
	s := fmt.Sprintf("ringbuf %s: %s at %d (len %d): producer %d, consumer %d, pending %d", e.Map, e.Op, e.Pos, e.Len, e.Producer, e.Consumer, e.Pending)
	if e.Note != "" {
		s += ": " + e.Note
	}
	return s
}

func ringbufAllocCheck(a *MapAttr, w *World) (Errno, string) {
	if a.Flags&^FlagNumaNode != 0 {
		return EINVAL, fmt.Sprintf("flags %s are not allowed on a ring buffer (only numa_node in 6.18)", FormatMapFlags(a.Flags&^FlagNumaNode))
	}
	if a.KeySize != 0 || a.ValueSize != 0 {
		return EINVAL, fmt.Sprintf("a ring buffer has key_size 0 and value_size 0 (got %d and %d)", a.KeySize, a.ValueSize)
	}
	s := a.MaxEntries
	if s == 0 || s&(s-1) != 0 || s%ringPageSize != 0 {
		return EINVAL, fmt.Sprintf("max_entries %d must be a power of two and a multiple of the page size (4096)", s)
	}
	if uint64(s) > ringbufMaxDataSize {
		return E2BIG, "max_entries is above RINGBUF_MAX_DATA_SZ"
	}
	return OK, ""
}

func ringbufAlloc(m *Map) (mapOps, Errno, string) {
	if m.MaxEntries > ringbufSimLimit {
		return nil, ENOMEM, fmt.Sprintf("max_entries %d: the simulator allocates at most %d bytes of ring", m.MaxEntries, ringbufSimLimit)
	}
	return &Ringbuf{m: m, data: make([]byte, m.MaxEntries), mask: uint64(m.MaxEntries) - 1}, OK, ""
}

func (r *Ringbuf) lookup(key []byte, src Source) ([]byte, Errno) {
	return nil, r.m.fail("lookup", ENOTSUPP, "ring buffers have no elements: use reserve/submit and the consumer")
}
func (r *Ringbuf) update(key, value []byte, flags uint64, src Source) Errno {
	return r.m.fail("update", ENOTSUPP, "ring buffers have no elements: use reserve/submit and the consumer")
}
func (r *Ringbuf) delete(key []byte, src Source) Errno {
	return r.m.fail("delete", ENOTSUPP, "ring buffers have no elements")
}
func (r *Ringbuf) getNextKey(key []byte) ([]byte, Errno) {
	return nil, r.m.fail("next", ENOTSUPP, "ring buffers have no keys")
}
func (r *Ringbuf) lookupAndDelete(key []byte, flags uint64) ([]byte, Errno) {
	return nil, r.m.fail("lookup_and_delete", ENOTSUPP, "ring buffers have no elements")
}

// count is the number of records between the consumer and the producer.
func (r *Ringbuf) count() int {
	n := 0
	for pos := r.consumer; pos < r.producer && n <= len(r.data); n++ {
		l := r.hdrLen(pos) &^ (RingBusyBit | RingDiscardBit)
		pos += uint64(roundUp(l+RingHdrSize, 8))
	}
	return n
}

func (r *Ringbuf) clone(m *Map) mapOps {
	c := *r
	c.m = m
	c.data = append([]byte(nil), r.data...)
	return &c
}

func (r *Ringbuf) put(pos uint64, b []byte) {
	for i, c := range b {
		r.data[(pos+uint64(i))&r.mask] = c
	}
}

func (r *Ringbuf) get(pos uint64, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = r.data[(pos+uint64(i))&r.mask]
	}
	return out
}

func (r *Ringbuf) hdrLen(pos uint64) uint32 { return binary.LittleEndian.Uint32(r.get(pos, 4)) }

func (r *Ringbuf) setHdr(pos uint64, l uint32) {
	var h [8]byte
	binary.LittleEndian.PutUint32(h[:4], l)
	binary.LittleEndian.PutUint32(h[4:], uint32(ringDataPage+(pos&r.mask)/ringPageSize))
	r.put(pos, h[:])
}

func (r *Ringbuf) event(op string, pos uint64, l uint32, note string) {
	if r.m.world.sink != nil {
		r.m.emit(RingEvent{Map: r.m.Name, Op: op, Pos: pos, Len: l, Producer: r.producer, Consumer: r.consumer, Pending: r.pending, Note: note})
	}
}

// reserve is __bpf_ringbuf_reserve after the flag check.
func (r *Ringbuf) reserve(size uint64) (RingReservation, string) {
	if size > 0xffffffff/4 {
		return RingReservation{}, fmt.Sprintf("size %d is above UINT_MAX/4", size)
	}
	l := (size + RingHdrSize + 7) &^ 7
	if l > uint64(len(r.data)) {
		return RingReservation{}, fmt.Sprintf("a record of %d bytes does not fit in a %d-byte ring", l, len(r.data))
	}
	// Move pending_pos past records that are no longer BUSY.
	for r.pending < r.producer {
		h := r.hdrLen(r.pending)
		if h&RingBusyBit != 0 {
			break
		}
		r.pending += uint64(roundUp((h&^RingDiscardBit)+RingHdrSize, 8))
	}
	next := r.producer + l
	if next-r.consumer > r.mask {
		return RingReservation{}, fmt.Sprintf("producer %d + %d - consumer %d = %d > %d: the ring is full", r.producer, l, r.consumer, next-r.consumer, r.mask)
	}
	if next-r.pending > r.mask {
		return RingReservation{}, fmt.Sprintf("producer %d + %d - pending %d = %d > %d: an older record is still BUSY", r.producer, l, r.pending, next-r.pending, r.mask)
	}
	pos := r.producer
	r.setHdr(pos, uint32(size)|RingBusyBit)
	r.producer = next
	return RingReservation{Pos: pos, Size: uint32(size), Payload: make([]byte, size)}, ""
}

// RingReserve is bpf_ringbuf_reserve. A failure returns ENOMEM for a full
// ring (the helper returns NULL) and EINVAL for bad flags.
func (m *Map) RingReserve(size uint64, flags uint64) (RingReservation, Errno) {
	r, ok := m.ops.(*Ringbuf)
	if !ok {
		return RingReservation{}, m.fail("ringbuf_reserve", EINVAL, "not a ring buffer")
	}
	if flags != 0 {
		return RingReservation{}, m.fail("ringbuf_reserve", EINVAL, "bpf_ringbuf_reserve takes no flags: NULL")
	}
	res, why := r.reserve(size)
	if why != "" {
		return res, m.fail("ringbuf_reserve", ENOMEM, why+": NULL")
	}
	r.event("reserve", res.Pos, res.Size, "header BUSY")
	return res, OK
}

// commit is bpf_ringbuf_commit: copy the payload, clear BUSY (and set
// DISCARD when discarding).
func (r *Ringbuf) commit(res RingReservation, payload []byte, discard bool) Errno {
	if res.Pos >= r.producer || r.producer-res.Pos > uint64(len(r.data)) {
		return r.m.fail("ringbuf_submit", EINVAL, fmt.Sprintf("no reservation at position %d", res.Pos))
	}
	h := r.hdrLen(res.Pos)
	if h&RingBusyBit == 0 || h&^RingBusyBit != res.Size {
		return r.m.fail("ringbuf_submit", EINVAL, fmt.Sprintf("the record at %d is not a BUSY reservation of %d bytes", res.Pos, res.Size))
	}
	if len(payload) > int(res.Size) {
		payload = payload[:res.Size]
	}
	r.put(res.Pos+RingHdrSize, payload)
	nl := res.Size
	op := "submit"
	if discard {
		nl |= RingDiscardBit
		op = "discard"
	}
	r.setHdr(res.Pos, nl)
	note := "BUSY cleared"
	if discard {
		note = "BUSY cleared, DISCARD set"
	}
	if r.consumer&r.mask == res.Pos&r.mask {
		note += "; the consumer waits at this record: wake-up"
	}
	r.event(op, res.Pos, nl, note)
	return OK
}

// RingSubmit is bpf_ringbuf_submit: the payload is copied into the ring
// and the record committed.
func (m *Map) RingSubmit(res RingReservation, payload []byte) Errno {
	r, ok := m.ops.(*Ringbuf)
	if !ok {
		return m.fail("ringbuf_submit", EINVAL, "not a ring buffer")
	}
	return r.commit(res, payload, false)
}

// RingDiscard is bpf_ringbuf_discard.
func (m *Map) RingDiscard(res RingReservation) Errno {
	r, ok := m.ops.(*Ringbuf)
	if !ok {
		return m.fail("ringbuf_discard", EINVAL, "not a ring buffer")
	}
	return r.commit(res, res.Payload, true)
}

// RingOutput is bpf_ringbuf_output: reserve, copy and submit in one go.
// It returns EINVAL for flags other than NO_WAKEUP|FORCE_WAKEUP and EAGAIN
// when the record does not fit (the helper returns -EAGAIN).
func (m *Map) RingOutput(data []byte, flags uint64) Errno {
	r, ok := m.ops.(*Ringbuf)
	if !ok {
		return m.fail("ringbuf_output", EINVAL, "not a ring buffer")
	}
	if flags&^(RingNoWakeup|RingForceWakeup) != 0 {
		return m.fail("ringbuf_output", EINVAL, "flags other than BPF_RB_NO_WAKEUP|BPF_RB_FORCE_WAKEUP")
	}
	res, why := r.reserve(uint64(len(data)))
	if why != "" {
		return m.fail("ringbuf_output", EAGAIN, why)
	}
	r.put(res.Pos+RingHdrSize, data)
	r.setHdr(res.Pos, res.Size)
	r.event("output", res.Pos, res.Size, "")
	return OK
}

// RingQuery is bpf_ringbuf_query.
func (m *Map) RingQuery(flags uint64) uint64 {
	r, ok := m.ops.(*Ringbuf)
	if !ok {
		return 0
	}
	switch flags {
	case RingAvailData:
		return r.producer - r.consumer
	case RingRingSize:
		return uint64(len(r.data))
	case RingConsPos:
		return r.consumer
	case RingProdPos:
		return r.producer
	}
	return 0
}

// RingConsume is what user space (libbpf's ring_buffer__consume) does:
// read records from consumer_pos, skip discarded ones, stop at the first
// BUSY one, and advance consumer_pos past what it read.
func (m *Map) RingConsume() []RingRecord {
	r, ok := m.ops.(*Ringbuf)
	if !ok {
		return nil
	}
	var out []RingRecord
	start := r.consumer
	for r.consumer < r.producer {
		h := r.hdrLen(r.consumer)
		if h&RingBusyBit != 0 {
			break
		}
		l := h &^ RingDiscardBit
		if h&RingDiscardBit == 0 {
			out = append(out, RingRecord{Pos: r.consumer, Data: r.get(r.consumer+RingHdrSize, int(l))})
		}
		r.consumer += uint64(roundUp(l+RingHdrSize, 8))
	}
	r.event("consume", start, 0, fmt.Sprintf("%d records read", len(out)))
	return out
}

// RingSetConsumer writes consumer_pos as user space may through its
// read-write mapping of the consumer page.
func (m *Map) RingSetConsumer(pos uint64) Errno {
	r, ok := m.ops.(*Ringbuf)
	if !ok {
		return m.fail("ringbuf_consumer", EINVAL, "not a ring buffer")
	}
	r.consumer = pos
	r.event("set_consumer", pos, 0, "")
	return OK
}

// RingHeaderView is one record header as the UI draws it.
type RingHeaderView struct {
	Pos     uint64 `json:"pos"`
	Offset  uint64 `json:"offset"` // pos & mask
	Len     uint32 `json:"len"`    // payload size (flag bits removed)
	Busy    bool   `json:"busy"`
	Discard bool   `json:"discard"`
	PgOff   uint32 `json:"pg_off"`
	Data    []byte `json:"data"`
}

// RingbufView is the ring's state for the UI.
type RingbufView struct {
	Size     uint64           `json:"size"`
	Consumer uint64           `json:"consumer"`
	Producer uint64           `json:"producer"`
	Pending  uint64           `json:"pending"`
	Records  []RingHeaderView `json:"records"` // from consumer to producer
}

// View walks the records between the consumer and the producer.
func (r *Ringbuf) View() RingbufView {
	v := RingbufView{Size: uint64(len(r.data)), Consumer: r.consumer, Producer: r.producer, Pending: r.pending}
	for pos, n := r.consumer, 0; pos < r.producer && n <= len(r.data)/8; n++ {
		raw := r.get(pos, 8)
		h := binary.LittleEndian.Uint32(raw)
		l := h &^ (RingBusyBit | RingDiscardBit)
		if uint64(l) > uint64(len(r.data)) {
			break
		}
		v.Records = append(v.Records, RingHeaderView{
			Pos: pos, Offset: pos & r.mask, Len: l, Busy: h&RingBusyBit != 0, Discard: h&RingDiscardBit != 0,
			PgOff: binary.LittleEndian.Uint32(raw[4:]), Data: r.get(pos+RingHdrSize, int(l)),
		})
		pos += uint64(roundUp(l+RingHdrSize, 8))
	}
	return v
}

// Data returns a copy of the data area (for hex views).
func (r *Ringbuf) Data() []byte { return append([]byte(nil), r.data...) }

// Ringbuf returns the family state of a RINGBUF map, or nil.
func (m *Map) Ringbuf() *Ringbuf {
	r, _ := m.ops.(*Ringbuf)
	return r
}
