//go:build linux

package kernel

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ring is a user-space view of a BPF ring buffer through mmap: page 0 is
// consumer_pos (read-write); from the next page on, producer_pos and then
// the data area mapped twice (read-only), so records that wrap read as one
// piece.
type Ring struct {
	Size uint64 // the data size S (max_entries)
	cons []byte
	prod []byte
}

// MmapRing maps a RINGBUF map.
func MmapRing(m *Map) (*Ring, error) {
	page := unix.Getpagesize()
	cons, err := unix.Mmap(m.FD, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap consumer page: %w", err)
	}
	size := uint64(m.MaxEntries)
	prod, err := unix.Mmap(m.FD, int64(page), page+2*int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		unix.Munmap(cons)
		return nil, fmt.Errorf("mmap producer and data pages: %w", err)
	}
	return &Ring{Size: size, cons: cons, prod: prod}, nil
}

// Close unmaps the ring.
func (r *Ring) Close() error {
	err1 := unix.Munmap(r.cons)
	err2 := unix.Munmap(r.prod)
	if err1 != nil {
		return err1
	}
	return err2
}

// Consumer is consumer_pos.
func (r *Ring) Consumer() uint64 {
	return atomic.LoadUint64((*uint64)(unsafe.Pointer(&r.cons[0])))
}

// Producer is producer_pos.
func (r *Ring) Producer() uint64 {
	return atomic.LoadUint64((*uint64)(unsafe.Pointer(&r.prod[0])))
}

// SetConsumer writes consumer_pos, as a consumer does after reading.
func (r *Ring) SetConsumer(pos uint64) {
	atomic.StoreUint64((*uint64)(unsafe.Pointer(&r.cons[0])), pos)
}

// Read returns n bytes at free-running position pos (n <= Size).
func (r *Ring) Read(pos uint64, n int) []byte {
	page := uint64(unix.Getpagesize())
	off := page + pos&(r.Size-1)
	return append([]byte(nil), r.prod[off:off+uint64(n)]...)
}

// RingRecord is one record header (and payload) in the ring.
type RingRecord struct {
	Pos   uint64
	Len   uint32 // the header's len word, BUSY and DISCARD bits included
	PgOff uint32
	Data  []byte // the payload (len bits 0..29)
}

// Records walks the records from consumer_pos to producer_pos.
func (r *Ring) Records() []RingRecord {
	var out []RingRecord
	prod := r.Producer()
	for pos, n := r.Consumer(), uint64(0); pos < prod && n <= r.Size/8; n++ {
		h := r.Read(pos, 8)
		l := binary.LittleEndian.Uint32(h)
		size := l &^ (1<<31 | 1<<30)
		if uint64(size) > r.Size {
			break
		}
		out = append(out, RingRecord{Pos: pos, Len: l, PgOff: binary.LittleEndian.Uint32(h[4:]), Data: r.Read(pos+8, int(size))})
		pos += (uint64(size) + 8 + 7) &^ 7
	}
	return out
}
