package sim

import (
	"encoding/binary"
	"fmt"
	"sort"
)

// This file models kernel/bpf/map_in_map.c with the fd-map parts of
// arraymap.c and hashtab.c: BPF_MAP_TYPE_ARRAY_OF_MAPS and
// BPF_MAP_TYPE_HASH_OF_MAPS (kernel-semantics §7).
//
// An outer map is created with inner_map_fd naming a template map. The
// kernel copies the template's type, key_size, value_size, map_flags and
// max_entries into an "inner map meta" (CreateMap has resolved the fd into
// Map.Inner). Every map later stored must be compatible with it:
//
//	bpf_map_meta_equal: same map_type, key_size, value_size, map_flags
//	                    (without the fd-only RDONLY/WRONLY) and BTF record
//	                    (here: the spin-lock stand-in)
//	plus, for ARRAY and PERCPU_ARRAY templates (array_map_meta_equal): the
//	                    same max_entries, unless the template has BPF_F_INNER_MAP
//
// Other inner types do not compare max_entries at all: a HASH of any size
// fits a HASH template (this refines the one-line summary in §7). A live
// map-only probe on 6.18.44 confirmed both, and that an update of an existing
// HASH_OF_MAPS key is in place (the walk order does not change).
//
// User space writes a slot with the inner map's fd (4 bytes) and reads back
// the inner map's ID; programs get the inner map itself (ProgLookupInner).
// The outer map holds the inner map's ID, which is never reused in a World.

func init() {
	registerMapType(MapArrayOfMaps, mapType{
		// fd_array_map_alloc_check: value 4, no *_PROG flags, then the array checks.
		allocCheck: func(a *MapAttr, _ *World) (Errno, string) { return fdArrayAllocCheck(a) },
		alloc:      arrayOfMapsAlloc,
	})
	registerMapType(MapHashOfMaps, mapType{
		allocCheck: fdHtabAllocCheck,
		alloc:      hashOfMapsAlloc,
	})
}

// fdHtabAllocCheck is fd_htab_map_alloc_check.
func fdHtabAllocCheck(a *MapAttr, w *World) (Errno, string) {
	if a.ValueSize != 4 {
		return EINVAL, fmt.Sprintf("the value of a hash of maps is a 4-byte map fd, not %d bytes", a.ValueSize)
	}
	return htabAllocCheck(a, w)
}

// noInnerMapTypes have no map_meta_equal: they cannot be inner maps and
// creating an outer map with one as template gives ENOTSUPP.
var noInnerMapTypes = map[MapType]bool{
	MapProgArray: true, MapCgroupStorage: true, MapPercpuCgroupStorage: true, MapStructOps: true,
}

// metaAlloc is bpf_map_meta_alloc: checks on the template.
func metaAlloc(m *Map) (Errno, string) {
	if m.Inner == nil {
		return EINVAL, "a map-in-map needs inner_map_fd: the template for its inner maps"
	}
	if m.Inner.Inner != nil || isMapInMap(m.Inner.Type) {
		return EINVAL, "the template is itself a map-in-map: only one level of nesting is supported"
	}
	if noInnerMapTypes[m.Inner.Type] {
		return ENOTSUPP, fmt.Sprintf("a %v cannot be an inner map (no map_meta_equal)", m.Inner.Type)
	}
	return OK, ""
}

func isMapInMap(t MapType) bool { return t == MapArrayOfMaps || t == MapHashOfMaps }

// innerCompatible is map_meta_equal of the template against a candidate.
func innerCompatible(meta, inner *Map) (bool, string) {
	switch {
	case meta.Type != inner.Type:
		return false, fmt.Sprintf("map type %v, the template is %v", inner.Type, meta.Type)
	case meta.KeySize != inner.KeySize:
		return false, fmt.Sprintf("key_size %d, the template has %d", inner.KeySize, meta.KeySize)
	case meta.ValueSize != inner.ValueSize:
		return false, fmt.Sprintf("value_size %d, the template has %d", inner.ValueSize, meta.ValueSize)
	case meta.Flags&^fdOnlyFlags != inner.Flags&^fdOnlyFlags:
		return false, fmt.Sprintf("map_flags %s, the template has %s", FormatMapFlags(inner.Flags&^fdOnlyFlags), FormatMapFlags(meta.Flags&^fdOnlyFlags))
	case meta.SpinLock != inner.SpinLock || meta.SpinLock && meta.SpinLockOff != inner.SpinLockOff:
		return false, "the values' special fields (bpf_spin_lock) differ from the template's"
	case (meta.Type == MapArray || meta.Type == MapPercpuArray) && meta.Flags&FlagInnerMap == 0 && meta.MaxEntries != inner.MaxEntries:
		return false, fmt.Sprintf("max_entries %d, the template array has %d (BPF_F_INNER_MAP would allow any size)", inner.MaxEntries, meta.MaxEntries)
	}
	return true, ""
}

// fdOnlyFlags belong to the fd, not the map: the kernel clears them from
// map->map_flags (bpf_map_flags_retain_permanent), so they never take part
// in the comparison.
const fdOnlyFlags = FlagRdonly | FlagWronly

// mapInMap is what both outer types share.
type mapInMap struct {
	m *Map
}

// innerFromFD is bpf_map_fd_get_ptr: the value is a map fd; it must name a
// map compatible with the template.
func (o mapInMap) innerFromFD(op string, value []byte) (*Map, Errno) {
	if len(value) < 4 {
		return nil, o.m.fail(op, EINVAL, "the value must be a 4-byte map fd")
	}
	fd := int(int32(binary.LittleEndian.Uint32(value)))
	inner, e := o.m.world.MapByFD(fd)
	if e == EBADF {
		return nil, o.m.fail(op, EBADF, fmt.Sprintf("fd %d is not open", fd))
	}
	if e != OK {
		return nil, o.m.fail(op, e, fmt.Sprintf("fd %d is not a map", fd))
	}
	if ok, why := innerCompatible(o.m.Inner, inner); !ok {
		return nil, o.m.fail(op, EINVAL, "the inner map does not match the template: "+why)
	}
	return inner, OK
}

func (o mapInMap) byID(id uint32) *Map {
	if id == 0 {
		return nil
	}
	inner, _ := o.m.world.MapByID(id)
	return inner
}

// InnerSwapEvent says which inner map a slot held before and after an update
// or delete: programs that look the slot up from now on see the new one.
type InnerSwapEvent struct {
	_ noCompare

	Map     string `json:"map"`
	Slot    string `json:"slot"` // the index or the key in hex
	OldID   uint32 `json:"old_id,omitempty"`
	OldName string `json:"old_name,omitempty"`
	NewID   uint32 `json:"new_id,omitempty"`
	NewName string `json:"new_name,omitempty"`
}

func (InnerSwapEvent) Kind() string { return "map_in_map.swap" }
func (e InnerSwapEvent) String() string {
	name := func(id uint32, n string) string {
		if id == 0 {
			return "(empty)"
		}
		return fmt.Sprintf("map %d %q", id, n)
	}
	return fmt.Sprintf("%s[%s]: inner map %s -> %s", e.Map, e.Slot, name(e.OldID, e.OldName), name(e.NewID, e.NewName))
}

func (o mapInMap) swapEvent(slot string, oldID, newID uint32) {
	if !o.m.world.Emitting() {
		return
	}
	ev := InnerSwapEvent{Map: o.m.Name, Slot: slot, OldID: oldID, NewID: newID}
	if m := o.byID(oldID); m != nil {
		ev.OldName = m.Name
	}
	if m := o.byID(newID); m != nil {
		ev.NewName = m.Name
	}
	o.m.emit(ev)
}

func idBytes(id uint32) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, id)
	return b
}

// ---- ARRAY_OF_MAPS ----

// ArrayOfMaps is the state of an ARRAY_OF_MAPS map: max_entries slots, each
// empty or holding an inner map.
type ArrayOfMaps struct {
	mapInMap
	max   uint32
	slots map[uint32]uint32 // index -> inner map ID; absent = empty
}

func arrayOfMapsAlloc(m *Map) (mapOps, Errno, string) {
	if e, why := metaAlloc(m); e != OK {
		return nil, e, why
	}
	if sz := arrayAllocSize(m, m.world.PossibleCPUs()); sz > simTotalRAM {
		return nil, ENOMEM, fmt.Sprintf("%d bytes of slots exceed the machine's memory", sz)
	}
	if e, why := noSpinLock(m); e != OK {
		return nil, e, why
	}
	return &ArrayOfMaps{mapInMap: mapInMap{m}, max: m.MaxEntries, slots: map[uint32]uint32{}}, OK, ""
}

func (a *ArrayOfMaps) index(op string, key []byte) (uint32, Errno) {
	if len(key) != 4 {
		return 0, a.m.fail(op, EINVAL, "the key is a 4-byte index")
	}
	return binary.LittleEndian.Uint32(key), OK
}

// lookup: the syscall returns the inner map's ID (bpf_fd_array_map_lookup_elem);
// a program gets the ID too here; programs that want the map use
// ProgLookupInner.
func (a *ArrayOfMaps) lookup(key []byte, src Source) ([]byte, Errno) {
	i, e := a.index("lookup", key)
	if e != OK {
		return nil, e
	}
	if i >= a.max {
		return nil, a.m.fail("lookup", ENOENT, fmt.Sprintf("index %d is beyond max_entries %d", i, a.max))
	}
	id, ok := a.slots[i]
	if !ok {
		return nil, a.m.fail("lookup", ENOENT, fmt.Sprintf("slot %d is empty", i))
	}
	return idBytes(id), OK
}

// update is bpf_fd_array_map_update_elem: flags, then index, then the fd.
func (a *ArrayOfMaps) update(key, value []byte, flags uint64, src Source) Errno {
	if src == Prog {
		return a.m.fail("update", EINVAL, "programs cannot update a map-in-map")
	}
	if flags != UpdateAny {
		return a.m.fail("update", EINVAL, "an fd array takes BPF_ANY only")
	}
	i, e := a.index("update", key)
	if e != OK {
		return e
	}
	if i >= a.max {
		return a.m.fail("update", E2BIG, fmt.Sprintf("index %d is beyond max_entries %d", i, a.max))
	}
	inner, e := a.innerFromFD("update", value)
	if e != OK {
		return e
	}
	old := a.slots[i]
	a.slots[i] = inner.ID
	a.swapEvent(fmt.Sprint(i), old, inner.ID)
	return OK
}

// delete is fd_array_map_delete_elem.
func (a *ArrayOfMaps) delete(key []byte, src Source) Errno {
	if src == Prog {
		return a.m.fail("delete", EINVAL, "programs cannot delete from a map-in-map")
	}
	i, e := a.index("delete", key)
	if e != OK {
		return e
	}
	if i >= a.max {
		return a.m.fail("delete", E2BIG, fmt.Sprintf("index %d is beyond max_entries %d", i, a.max))
	}
	old, ok := a.slots[i]
	if !ok {
		return a.m.fail("delete", ENOENT, fmt.Sprintf("slot %d is already empty", i))
	}
	delete(a.slots, i)
	a.swapEvent(fmt.Sprint(i), old, 0)
	return OK
}

// getNextKey is array_map_get_next_key: every index exists.
func (a *ArrayOfMaps) getNextKey(key []byte) ([]byte, Errno) {
	var next uint32
	if key != nil {
		i, e := a.index("next", key)
		if e != OK {
			return nil, e
		}
		if i < a.max {
			if i == a.max-1 {
				return nil, a.m.fail("next", ENOENT, "the last index")
			}
			next = i + 1
		}
	}
	return idBytes(next), OK
}

func (a *ArrayOfMaps) lookupAndDelete(key []byte, flags uint64) ([]byte, Errno) {
	return nil, a.m.fail("lookup_and_delete", ENOTSUPP, "lookup_and_delete is not supported for array_of_maps")
}

// count is the number of filled slots.
func (a *ArrayOfMaps) count() int { return len(a.slots) }

func (a *ArrayOfMaps) clone(m *Map) mapOps {
	c := &ArrayOfMaps{mapInMap: mapInMap{m}, max: a.max, slots: make(map[uint32]uint32, len(a.slots))}
	for k, v := range a.slots {
		c.slots[k] = v
	}
	return c
}

func (a *ArrayOfMaps) progInner(key []byte) (*Map, Errno) {
	if len(key) != 4 {
		return nil, EINVAL
	}
	i := binary.LittleEndian.Uint32(key)
	if i >= a.max {
		return nil, ENOENT
	}
	if m := a.byID(a.slots[i]); m != nil {
		return m, OK
	}
	return nil, ENOENT
}

// ---- HASH_OF_MAPS ----

// HashOfMaps is the state of a HASH_OF_MAPS map: a hash table (the HASH
// family's own code) whose values are inner map IDs.
type HashOfMaps struct {
	mapInMap
	h *Hashtab
}

func hashOfMapsAlloc(m *Map) (mapOps, Errno, string) {
	if e, why := metaAlloc(m); e != OK {
		return nil, e, why
	}
	ops, e, why := htabAlloc(m)
	if e != OK {
		return nil, e, why
	}
	if e, why := noSpinLock(m); e != OK {
		return nil, e, why
	}
	return &HashOfMaps{mapInMap: mapInMap{m}, h: ops.(*Hashtab)}, OK, ""
}

func (o *HashOfMaps) lookup(key []byte, src Source) ([]byte, Errno) {
	v, e := o.h.lookup(key, Syscall) // a copy: the 4-byte ID
	return v, e
}

// update is bpf_fd_htab_map_update_elem: the fd is resolved first; then the
// hash update runs in place (htab_map_update_elem_in_place), so replacing
// the inner map of an existing key keeps the key's place in its bucket.
func (o *HashOfMaps) update(key, value []byte, flags uint64, src Source) Errno {
	if src == Prog {
		return o.m.fail("update", EINVAL, "programs cannot update a map-in-map")
	}
	inner, e := o.innerFromFD("update", value)
	if e != OK {
		return e
	}
	if flags > UpdateExist {
		return o.m.fail("update", EINVAL, fmt.Sprintf("flags %#x: BPF_ANY, BPF_NOEXIST or BPF_EXIST only", flags))
	}
	if len(key) != int(o.m.KeySize) {
		return o.m.fail("update", EINVAL, "key is not key_size bytes")
	}
	el, _, b := o.h.locate(key)
	if el >= 0 {
		if flags == UpdateNoExist {
			return o.m.fail("update", EEXIST, "BPF_NOEXIST but the key exists")
		}
		v := o.h.valOf(el)
		old := binary.LittleEndian.Uint32(v)
		binary.LittleEndian.PutUint32(v, inner.ID)
		if o.m.world.Emitting() {
			o.m.emit(HashInPlaceEvent{Map: o.m.Name, Bucket: b, Key: htabHex(key)})
		}
		o.swapEvent(htabHex(key), old, inner.ID)
		return OK
	}
	if e := o.h.update(key, idBytes(inner.ID), flags, Syscall); e != OK {
		return e
	}
	o.swapEvent(htabHex(key), 0, inner.ID)
	return OK
}

func (o *HashOfMaps) delete(key []byte, src Source) Errno {
	if src == Prog {
		return o.m.fail("delete", EINVAL, "programs cannot delete from a map-in-map")
	}
	if len(key) != int(o.m.KeySize) {
		return o.m.fail("delete", EINVAL, "key is not key_size bytes")
	}
	var old uint32
	if el, _, _ := o.h.locate(key); el >= 0 {
		old = binary.LittleEndian.Uint32(o.h.valOf(el))
	}
	if e := o.h.delete(key, Syscall); e != OK {
		return e
	}
	o.swapEvent(htabHex(key), old, 0)
	return OK
}

func (o *HashOfMaps) getNextKey(key []byte) ([]byte, Errno) { return o.h.getNextKey(key) }

func (o *HashOfMaps) lookupAndDelete(key []byte, flags uint64) ([]byte, Errno) {
	return nil, o.m.fail("lookup_and_delete", ENOTSUPP, "lookup_and_delete is not supported for hash_of_maps")
}

func (o *HashOfMaps) count() int { return o.h.count() }

func (o *HashOfMaps) clone(m *Map) mapOps {
	return &HashOfMaps{mapInMap: mapInMap{m}, h: o.h.clone(m).(*Hashtab)}
}

// Hashtab exposes the underlying hash table (buckets) to views.
func (o *HashOfMaps) Hashtab() *Hashtab { return o.h }

func (o *HashOfMaps) progInner(key []byte) (*Map, Errno) {
	if len(key) != int(o.m.KeySize) {
		return nil, EINVAL
	}
	el, _, _ := o.h.locate(key)
	if el < 0 {
		return nil, ENOENT
	}
	if m := o.byID(binary.LittleEndian.Uint32(o.h.valOf(el))); m != nil {
		return m, OK
	}
	return nil, ENOENT
}

// ---- program side and view ----

// ProgLookupInner is bpf_map_lookup_elem on a map-in-map from a program: the
// inner map, or nil and ENOENT for an empty slot or a missing key (EINVAL
// when m is not a map-in-map).
func (m *Map) ProgLookupInner(key []byte) (*Map, Errno) {
	type inner interface {
		progInner(key []byte) (*Map, Errno)
	}
	o, ok := m.ops.(inner)
	if !ok {
		return nil, m.fail("lookup", EINVAL, "not a map-in-map")
	}
	return o.progInner(key)
}

// InnerSlot is one filled slot of an outer map.
type InnerSlot struct {
	Key       []byte `json:"key"`
	InnerID   uint32 `json:"inner_id"`
	InnerName string `json:"inner_name"`
}

// MapInMapView lists the filled slots (index order for arrays, walk order
// for hashes) and the template.
type MapInMapView struct {
	Template string      `json:"template"`
	Slots    []InnerSlot `json:"slots"`
}

func (o mapInMap) template() string {
	t := o.m.Inner
	return fmt.Sprintf("%v key %d value %d max %d flags %s", t.Type, t.KeySize, t.ValueSize, t.MaxEntries, FormatMapFlags(t.Flags))
}

func (o mapInMap) slot(key []byte, id uint32) InnerSlot {
	s := InnerSlot{Key: append([]byte(nil), key...), InnerID: id}
	if m := o.byID(id); m != nil {
		s.InnerName = m.Name
	}
	return s
}

// View returns the filled slots in index order.
func (a *ArrayOfMaps) View() MapInMapView {
	v := MapInMapView{Template: a.template()}
	idx := make([]uint32, 0, len(a.slots))
	for i := range a.slots {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(x, y int) bool { return idx[x] < idx[y] })
	for _, i := range idx {
		v.Slots = append(v.Slots, a.slot(idBytes(i), a.slots[i]))
	}
	return v
}

// View returns the keys in get_next_key order (bucket order, newest first
// within a bucket), without emitting events.
func (o *HashOfMaps) View() MapInMapView {
	v := MapInMapView{Template: o.template()}
	h := o.h
	for b := uint32(0); b < h.nBuckets; {
		ci := b >> htabChunkShift
		if h.dir[ci] == nil {
			b = (ci + 1) << htabChunkShift
			if b == 0 {
				break
			}
			continue
		}
		for el := h.head(b); el >= 0; el = h.next[el] {
			v.Slots = append(v.Slots, o.slot(h.keyOf(el), binary.LittleEndian.Uint32(h.valOf(el))))
		}
		b++
		if b == 0 {
			break
		}
	}
	return v
}
