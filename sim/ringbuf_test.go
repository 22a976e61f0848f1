package sim

import (
	"encoding/binary"
	"testing"
)

func newRing(t *testing.T, size uint32) *Map {
	t.Helper()
	w := NewWorld(Config{})
	m, e := w.CreateMap(MapAttr{Name: "rb", Type: MapRingbuf, MaxEntries: size})
	if e != OK {
		t.Fatal(e)
	}
	return m
}

func ringHdr(m *Map, pos uint64) uint32 {
	r := m.Ringbuf()
	return binary.LittleEndian.Uint32(r.get(pos, 4))
}

// TestRingbufVector is the live 6.18 vector of kernel-semantics §9.4 (RB1).
func TestRingbufVector(t *testing.T) {
	m := newRing(t, 4096)
	r := m.Ringbuf()
	// 1. reserve 16 + submit -> producer 24; header[0] = len 16.
	res, e := m.RingReserve(16, 0)
	if e != OK {
		t.Fatal(e)
	}
	if h := ringHdr(m, 0); h != 16|RingBusyBit {
		t.Errorf("reserved header %#x, want BUSY|16", h)
	}
	if e := m.RingSubmit(res, make([]byte, 16)); e != OK {
		t.Fatal(e)
	}
	if r.producer != 24 || ringHdr(m, 0) != 16 {
		t.Fatalf("step 1: producer %d header %#x", r.producer, ringHdr(m, 0))
	}
	// 2. reserve 10 + discard -> producer 48; header[24].len = 0x4000000A.
	res, _ = m.RingReserve(10, 0)
	m.RingDiscard(res)
	if r.producer != 48 || ringHdr(m, 24) != 0x4000000A {
		t.Fatalf("step 2: producer %d header %#x", r.producer, ringHdr(m, 24))
	}
	// 3. output 3 bytes -> producer 64; header len 3; payload at +8.
	if e := m.RingOutput([]byte{1, 2, 3}, 0); e != OK {
		t.Fatal(e)
	}
	if r.producer != 64 || ringHdr(m, 48) != 3 || r.get(56, 3)[2] != 3 {
		t.Fatalf("step 3: producer %d header %#x", r.producer, ringHdr(m, 48))
	}
	// 4. 167 more reserves of 16 succeed (producer 4072); the next fails.
	n := 0
	for {
		res, e := m.RingReserve(16, 0)
		if e != OK {
			break
		}
		m.RingSubmit(res, nil)
		n++
	}
	if n != 167 || r.producer != 4072 {
		t.Fatalf("step 4: %d reserves, producer %d; want 167, 4072", n, r.producer)
	}
	// 5. output of 3 bytes (16 total) still fits -> 4088.
	if e := m.RingOutput([]byte{4, 5, 6}, 0); e != OK || r.producer != 4088 {
		t.Fatalf("step 5: %v producer %d", e, r.producer)
	}
	if e := m.RingOutput([]byte{4, 5, 6}, 0); e != EAGAIN {
		t.Errorf("output into a full ring: %v, want EAGAIN", e)
	}
	// 6. consumer := 24 -> reserve 16 succeeds (producer 4112); the header
	// at 4088 wraps.
	m.RingSetConsumer(24)
	res, e = m.RingReserve(16, 0)
	if e != OK || r.producer != 4112 || res.Pos != 4088 {
		t.Fatalf("step 6: %v producer %d pos %d", e, r.producer, res.Pos)
	}
	payload := []byte{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6}
	m.RingSubmit(res, payload)
	if got := r.get(4096, 16); got[0] != 9 || r.data[0] != 9 {
		t.Errorf("the wrapped payload starts at data[0]: %v", got)
	}
	// 7. consumer := 48 -> producer 4136.
	m.RingSetConsumer(48)
	if _, e := m.RingReserve(16, 0); e != OK || r.producer != 4136 {
		t.Fatalf("step 7: %v producer %d", e, r.producer)
	}
	// 8. reserve 4088 (len 4096) fails whenever anything is outstanding...
	if _, e := m.RingReserve(4088, 0); e == OK {
		t.Error("step 8: reserve 4088 succeeded")
	}
	// ... and on an empty ring a reserve of 4080 (len 4088) succeeds.
	e2 := newRing(t, 4096)
	if _, e := e2.RingReserve(4088, 0); e == OK {
		t.Error("reserve 4088 on an empty ring succeeded")
	}
	if _, e := e2.RingReserve(4080, 0); e != OK {
		t.Errorf("reserve 4080 on an empty ring: %v", e)
	}
}

func TestRingbufConsumeAndQuery(t *testing.T) {
	m := newRing(t, 4096)
	m.RingOutput([]byte("abc"), 0)
	res, _ := m.RingReserve(4, 0)
	m.RingDiscard(res)
	busy, _ := m.RingReserve(5, 0)
	m.RingOutput([]byte("after"), 0)
	if got := m.RingQuery(RingAvailData); got != 16+16+16+16 {
		t.Errorf("avail %d", got)
	}
	if got := m.RingQuery(RingRingSize); got != 4096 {
		t.Errorf("size %d", got)
	}
	if got := m.RingQuery(99); got != 0 {
		t.Errorf("unknown query %d", got)
	}
	recs := m.RingConsume()
	// The consumer skips the discarded record and stops at the BUSY one.
	if len(recs) != 1 || string(recs[0].Data) != "abc" || m.RingQuery(RingConsPos) != 32 {
		t.Fatalf("recs %+v consumer %d", recs, m.RingQuery(RingConsPos))
	}
	m.RingSubmit(busy, []byte("hello"))
	recs = m.RingConsume()
	if len(recs) != 2 || string(recs[0].Data) != "hello" || string(recs[1].Data) != "after" {
		t.Fatalf("recs %+v", recs)
	}
	if _, e := m.RingReserve(8, 1); e == OK {
		t.Error("reserve with flags succeeded")
	}
	if e := m.RingOutput([]byte{1}, 4); e != EINVAL {
		t.Errorf("output with flag 4: %v", e)
	}
	if e := m.RingOutput([]byte{1}, RingNoWakeup|RingForceWakeup); e != OK {
		t.Errorf("output with wakeup flags: %v", e)
	}
	v := m.Ringbuf().View()
	if v.Size != 4096 || v.Consumer != 64 || v.Producer != 80 || len(v.Records) != 1 {
		t.Errorf("view %+v", v)
	}
}

func TestRingbufCreateAndSyscalls(t *testing.T) {
	w := NewWorld(Config{})
	cases := []struct {
		a    MapAttr
		want Errno
	}{
		{MapAttr{Name: "a", Type: MapRingbuf, MaxEntries: 4096}, OK},
		{MapAttr{Name: "b", Type: MapRingbuf, MaxEntries: 4096 * 3}, EINVAL},
		{MapAttr{Name: "c", Type: MapRingbuf, MaxEntries: 2048}, EINVAL},
		{MapAttr{Name: "d", Type: MapRingbuf, MaxEntries: 4096, KeySize: 4}, EINVAL},
		{MapAttr{Name: "e", Type: MapRingbuf, MaxEntries: 4096, ValueSize: 4}, EINVAL},
		{MapAttr{Name: "f", Type: MapRingbuf, MaxEntries: 4096, Flags: FlagNoPrealloc}, EINVAL},
		{MapAttr{Name: "g", Type: MapRingbuf, MaxEntries: 4096, Flags: FlagNumaNode}, OK},
		{MapAttr{Name: "h", Type: MapRingbuf, MaxEntries: 0}, EINVAL},
	}
	for _, c := range cases {
		if _, e := w.CreateMap(c.a); e != c.want {
			t.Errorf("%+v: %v, want %v", c.a, e, c.want)
		}
	}
	m, _ := w.MapByID(1)
	if _, e := m.Lookup(nil, 0); e != ENOTSUPP {
		t.Errorf("lookup %v", e)
	}
	if e := m.Update(nil, nil, 0); e != ENOTSUPP {
		t.Errorf("update %v", e)
	}
	if e := m.Delete(nil); e != ENOTSUPP {
		t.Errorf("delete %v", e)
	}
	if _, e := m.GetNextKey(nil); e != ENOTSUPP {
		t.Errorf("next %v", e)
	}
	// Clones are independent.
	m.RingOutput([]byte{1}, 0)
	c := w.Clone()
	cm, _ := c.MapByID(1)
	cm.RingOutput([]byte{2}, 0)
	if m.RingQuery(RingProdPos) != 16 || cm.RingQuery(RingProdPos) != 32 {
		t.Error("clone shares the ring")
	}
}
