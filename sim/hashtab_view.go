package sim

// Read-only views of hash and LRU state for the UI and tests. The UI draws
// these and never recomputes placement or list order itself. Reach them
// through m.Ops().(*Hashtab). Every returned slice is a copy.

// HashElemView is one element of a bucket chain.
type HashElemView struct {
	Node  int    // element (and LRU node) number
	Key   []byte // key bytes
	Value []byte // the value as the syscall returns it (per-CPU: every CPU's copy, strided)
	Hash  uint32 // the stored jhash
	Ref   bool   // LRU reference bit (false for non-LRU maps)
}

// NBuckets is roundup_pow_of_two(max_entries).
func (h *Hashtab) NBuckets() uint32 { return h.nBuckets }

// Seed is the map's hashrnd.
func (h *Hashtab) Seed() uint32 { return h.m.Seed }

// Count is the number of elements in the buckets now.
func (h *Hashtab) Count() int { return h.n }

// Percpu reports whether values are kept per CPU.
func (h *Hashtab) Percpu() bool { return h.percpu }

// IsLRU reports whether the map is an LRU map.
func (h *Hashtab) IsLRU() bool { return h.lru != nil }

// BucketOf is the bucket a key hashes to (no events).
func (h *Hashtab) BucketOf(key []byte) uint32 {
	_, b := h.hashKey(key)
	return b
}

// Bucket returns bucket b's elements in chain order: newest first.
func (h *Hashtab) Bucket(b uint32) []HashElemView {
	if b >= h.nBuckets {
		return nil
	}
	var out []HashElemView
	for e := h.head(b); e >= 0; e = h.next[e] {
		v := HashElemView{Node: int(e), Key: append([]byte(nil), h.keyOf(e)...), Value: h.readValue(e), Hash: h.hash[e]}
		if h.lru != nil {
			v.Ref = h.lru.ref[h.lru.slot(e)]
		}
		out = append(out, v)
	}
	return out
}

// BucketLen is the chain length of bucket b.
func (h *Hashtab) BucketLen(b uint32) int {
	if b >= h.nBuckets {
		return 0
	}
	n := 0
	for e := h.head(b); e >= 0; e = h.next[e] {
		n++
	}
	return n
}

// BucketLens fills lens (grown to NBuckets if needed) with every bucket's
// chain length and returns it. It costs O(n_buckets + count) with no
// allocation when lens is big enough, so a 65,536-bucket heat map can be
// redrawn every step.
func (h *Hashtab) BucketLens(lens []uint32) []uint32 {
	if cap(lens) < int(h.nBuckets) {
		lens = make([]uint32, h.nBuckets)
	}
	lens = lens[:h.nBuckets]
	clear(lens)
	for ci, ch := range h.dir {
		if ch == nil || h.chunkLen[ci] == 0 {
			continue
		}
		base := ci << htabChunkShift
		for i, e := range ch {
			for ; e >= 0; e = h.next[e] {
				lens[base+i]++
			}
		}
	}
	return lens
}

// NonEmptyBuckets lists the buckets that hold elements, ascending.
func (h *Hashtab) NonEmptyBuckets() []uint32 {
	var out []uint32
	for ci, ch := range h.dir {
		if ch == nil || h.chunkLen[ci] == 0 {
			continue
		}
		for i, e := range ch {
			if e >= 0 {
				out = append(out, uint32(ci<<htabChunkShift+i))
			}
		}
	}
	return out
}

// LRUNodeView is one node on an LRU list.
type LRUNodeView struct {
	Node int    // element number
	Key  []byte // nil when the node holds no element (free lists)
	Ref  bool
	CPU  int // the node's cpu field (pending owner, or per-CPU list owner)
}

// LRUListsView is one set of global lists: the common LRU's, or one CPU's
// with BPF_F_NO_COMMON_LRU. Lists are newest (head) first.
type LRUListsView struct {
	CPU      int // -1 for the common lists
	Active   []LRUNodeView
	Inactive []LRUNodeView
	Free     []LRUNodeView
	// FreeUnused counts never-used nodes at the tail of Free (created lazily).
	FreeUnused int
	// Cursor is next_inactive_rotation as an index into Inactive; -1 means
	// the list head (the next rotation starts from the oldest node).
	Cursor int
}

// LRULocalView is one CPU's local lists of a common LRU.
type LRULocalView struct {
	CPU       int
	Free      []LRUNodeView
	Pending   []LRUNodeView
	NextSteal int
}

// LRUView is the whole LRU state.
type LRUView struct {
	Common     bool // false with BPF_F_NO_COMMON_LRU
	TargetFree int  // refill batch (common) or 4 (per-CPU lists)
	NrScans    int
	Lists      []LRUListsView // one (common) or one per CPU
	Locals     []LRULocalView // common LRU only
}

// LRU returns the LRU lists, or nil for a non-LRU map.
func (h *Hashtab) LRU() *LRUView {
	l := h.lru
	if l == nil {
		return nil
	}
	v := &LRUView{Common: !l.percpu, TargetFree: l.targetFree, NrScans: l.nrScans}
	if l.percpu {
		for c := range l.lists {
			v.Lists = append(v.Lists, h.lruListsView(&l.lists[c]))
		}
		return v
	}
	v.Lists = []LRUListsView{h.lruListsView(&l.common)}
	for c := range l.locals {
		loc := &l.locals[c]
		v.Locals = append(v.Locals, LRULocalView{CPU: c, Free: h.lruNodes(loc.freeSent), Pending: h.lruNodes(loc.pendSent), NextSteal: loc.nextSteal})
	}
	return v
}

// lruListsView is one set of active/inactive/free lists.
func (h *Hashtab) lruListsView(L *lruList) LRUListsView {
	l := h.lru
	lv := LRUListsView{CPU: L.owner, Active: h.lruNodes(L.sent[LRUActive]), Inactive: h.lruNodes(L.sent[LRUInactive]),
		Free: h.lruNodes(L.sent[LRUFree]), FreeUnused: L.virgin, Cursor: -1}
	i := 0
	for n := l.next[L.sent[LRUInactive]]; n != L.sent[LRUInactive]; n = l.next[n] {
		if n == L.cursor {
			lv.Cursor = i
		}
		i++
	}
	return lv
}

// lruNodes lists the nodes after sentinel sent, head first. (A method, not
// a closure: a closure called five times is inlined five times.)
func (h *Hashtab) lruNodes(sent int32) []LRUNodeView {
	l := h.lru
	var out []LRUNodeView
	for n := l.next[sent]; n != sent; n = l.next[n] {
		e := l.elem(n)
		nv := LRUNodeView{Node: int(e), Ref: l.ref[n], CPU: int(l.cpu[n])}
		if h.isLinked(e) {
			nv.Key = append([]byte(nil), h.keyOf(e)...)
		}
		out = append(out, nv)
	}
	return out
}
