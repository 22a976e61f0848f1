package web

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func init() { familyViews = append(familyViews, hashView) }

// maxDrawnBuckets is the largest table drawn bucket by bucket; bigger maps
// get an occupancy summary plus the buckets this step touched.
const maxDrawnBuckets = 64

// hashMarks is what the step's events say about one hash map.
type hashMarks struct {
	computed *sim.HashComputedEvent
	walked   map[string]string // key hex -> "=" (match), "≈" (same hash) or "≠"
	inserted map[string]bool
	moved    map[string]bool
	inplace  map[string]bool
	unlinked []sim.HashUnlinkEvent
	restart  *sim.HashRestartEvent
	buckets  map[uint32]bool // buckets the step touched
}

func collectHashMarks(evs []sim.Event, mapName string) hashMarks {
	hm := hashMarks{walked: map[string]string{}, inserted: map[string]bool{}, moved: map[string]bool{},
		inplace: map[string]bool{}, buckets: map[uint32]bool{}}
	for _, e := range evs {
		switch e := e.(type) {
		case sim.HashComputedEvent:
			if e.Map == mapName {
				c := e
				hm.computed = &c
				hm.buckets[e.Bucket] = true
			}
		case sim.HashWalkEvent:
			if e.Map == mapName {
				m := "≠"
				if e.Match {
					m = "="
				} else if e.HashEqual {
					m = "≈"
				}
				hm.walked[e.Key] = m
				hm.buckets[e.Bucket] = true
			}
		case sim.HashInsertEvent:
			if e.Map == mapName {
				hm.inserted[e.Key] = true
				hm.buckets[e.Bucket] = true
			}
		case sim.HashMoveEvent:
			if e.Map == mapName {
				hm.moved[e.Key] = true
				hm.buckets[e.Bucket] = true
			}
		case sim.HashInPlaceEvent:
			if e.Map == mapName {
				hm.inplace[e.Key] = true
				hm.buckets[e.Bucket] = true
			}
		case sim.HashUnlinkEvent:
			if e.Map == mapName {
				hm.unlinked = append(hm.unlinked, e)
				hm.buckets[e.Bucket] = true
			}
		case sim.HashRestartEvent:
			if e.Map == mapName {
				r := e
				hm.restart = &r
			}
		}
	}
	return hm
}

// hashView draws hash, per-CPU hash, LRU and hash-of-maps tables: the
// hash computation of the current key, every bucket's chain (newest first),
// what the step did to it, and the LRU lists for LRU maps.
func hashView(a *App, m *sim.Map, name string, st StepView, focus bool) app.UI {
	h, ok := m.Ops().(*sim.Hashtab)
	if !ok {
		return nil
	}
	var hm hashMarks
	if focus {
		hm = collectHashMarks(st.Events, m.Name)
	}
	parts := []app.UI{a.hashCalc(h, hm), a.hashFill(m, h)}
	if h.NBuckets() <= maxDrawnBuckets {
		parts = append(parts, a.hashBuckets(m, name, h, hm, nil))
	} else {
		parts = append(parts, a.hashOccupancy(m, name, h, hm))
	}
	parts = append(parts, a.hashChanges(hm))
	if focus {
		parts = append(parts, a.iterationView(name, m))
	}
	if lru := h.LRU(); lru != nil {
		parts = append(parts, a.lruView(m, name, lru, st, focus))
	}
	return app.Div().Class("bp-hash").DataSet("buckets", h.NBuckets()).Body(parts...)
}

// hashCalc shows key bytes, seed, jhash, the mask and the bucket.
func (a *App) hashCalc(h *sim.Hashtab, hm hashMarks) app.UI {
	c := hm.computed
	if c == nil {
		return nil
	}
	text := fmt.Sprintf("%s  %s\nseed (hashrnd)  %#08x\njhash(%s, key_size, seed) = %#08x\n%#08x & (n_buckets-1 = %d) = %s %d",
		a.t("keyBytes"), spaced(c.Key), c.Seed, a.t("key"), c.Hash, c.Hash, c.NBuckets-1, a.t("bucket"), c.Bucket)
	var d htmlDoc
	return d.elem("pre", text, "id", "bp-hashcalc", "class", "bp-calc", "data-bucket", strconv.FormatUint(uint64(c.Bucket), 10),
		"data-hash", strconv.FormatUint(uint64(c.Hash), 10), "aria-label", a.t("hashCalc")).UI()
}

// spaced groups hex in bytes: "01000000" -> "01 00 00 00".
func spaced(h string) string {
	var parts []string
	for i := 0; i+2 <= len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, " ")
}

// hashFill shows count / max_entries; at max_entries a new key gets E2BIG.
func (a *App) hashFill(m *sim.Map, h *sim.Hashtab) app.UI {
	n, max := h.Count(), int(m.MaxEntries)
	label := fmt.Sprintf("%s %d / max_entries %d · n_buckets %d", a.t("elements"), n, max, h.NBuckets())
	if n >= max && max > 0 {
		if h.IsLRU() {
			label += " · " + a.t("fullLRU")
		} else {
			label += " · " + a.t("fullE2BIG")
		}
	}
	var d htmlDoc
	return d.elem("p", label, "class", "bp-legend", "id", "bp-fill-"+m.Name).UI()
}

// hashBuckets draws each bucket (or only the listed ones) as a row: the
// bucket number, then its chain from head (newest) to tail.
func (a *App) hashBuckets(m *sim.Map, name string, h *sim.Hashtab, hm hashMarks, only []uint32) app.UI {
	var d htmlDoc
	a.writeHashBuckets(&d, m, name, h, hm, only)
	return d.UI()
}

// writeHashBuckets writes hashBuckets' fragment into out, so that
// hashOccupancy can nest it in its own fragment.
func (a *App) writeHashBuckets(out *htmlDoc, m *sim.Map, name string, h *sim.Hashtab, hm hashMarks, only []uint32) {
	var rows []uint32
	if only != nil {
		rows = only
	} else {
		for b := uint32(0); b < h.NBuckets(); b++ {
			rows = append(rows, b)
		}
	}
	chains := make([][]sim.HashElemView, len(rows))
	maxLen := 1
	for i, b := range rows {
		chains[i] = h.Bucket(b)
		if len(chains[i]) > maxLen {
			maxLen = len(chains[i])
		}
	}
	const rowH, boxW, boxH, left = 30, 150, 24, 70
	percpu := h.Percpu()
	width := left + maxLen*(boxW+16) + 10
	if width < 420 {
		width = 420
	}
	height := len(rows)*rowH + 24
	d := newSVG(width, height, fmt.Sprintf("%s %s: %d %s", a.t("bucketsOf"), name, h.NBuckets(), a.t("buckets")))
	d.text(4, 14, a.t("bucket"), "fill", colMuted)
	d.text(left, 14, a.t("headNewest")+" →", "fill", colMuted)
	for i, b := range rows {
		y := 22 + i*rowH
		cur := hm.buckets[b]
		var keys []string
		for _, e := range chains[i] {
			keys = append(keys, hex.EncodeToString(e.Key))
		}
		d.open("g", "data-bucket", strconv.Itoa(int(b)), "data-keys", strings.Join(keys, " "))
		if cur {
			d.rect(0, y-2, width, rowH-2, colCur, "none")
			d.text(2, y+16, "▶", "fill", colAccent)
		}
		d.text(16, y+16, "b"+strconv.Itoa(int(b)), "fill", colText)
		if len(chains[i]) == 0 {
			d.text(left, y+16, "∅ "+a.t("empty"), "fill", colMuted)
		}
		for j, e := range chains[i] {
			x := left + j*(boxW+16)
			kh := hex.EncodeToString(e.Key)
			fill, mark := colBox, ""
			switch {
			case hm.inserted[kh]:
				fill, mark = colNew, "+"+a.t("new")
			case hm.moved[kh]:
				fill, mark = colNew, "↑"+a.t("moved")
			case hm.inplace[kh]:
				fill, mark = colMatch, "✎"
			}
			if w, ok := hm.walked[kh]; ok && mark == "" {
				mark = w
				if w == "=" {
					fill = colMatch
				}
			}
			if j > 0 {
				d.line(x-16, y+boxH/2, x, y+boxH/2, colLine, "marker-end", "")
				d.text(x-12, y+boxH/2-2, "→", "fill", colLine, "font-size", "10")
			}
			d.open("g", "data-key", kh, "data-node", strconv.Itoa(e.Node))
			d.title(fmt.Sprintf("%s %s · hash %#08x · %s %s", a.t("key"), spaced(kh), e.Hash, a.t("value"), hex.EncodeToString(e.Value)))
			d.rect(x, y, boxW, boxH, fill, colLine, "rx", "3")
			label := shortBytes(e.Key) + " : " + valueText(e.Value, m, percpu)
			if e.Ref {
				label = "R " + label
			}
			if mark != "" {
				label = mark + " " + label
			}
			d.text(x+4, y+16, clip(label, 21), "fill", colText)
			d.close("g")
		}
		d.close("g")
	}
	out.open("div")
	d.writeTo(out, "bp-buckets-"+m.Name)
	out.elem("p", a.t("hashLegend"), "class", "bp-legend").close("div")
}

// valueText is the value as a number or hex; per-CPU maps show each CPU's
// copy in brackets.
func valueText(v []byte, m *sim.Map, percpu bool) string {
	if percpu {
		stride := m.PercpuValueSize()
		if stride > 0 && len(v) >= stride {
			var parts []string
			for off := 0; off+stride <= len(v); off += stride {
				parts = append(parts, shortBytes(v[off:off+int(m.ValueSize)]))
			}
			return "[" + strings.Join(parts, " ") + "]"
		}
	}
	return shortBytes(v)
}

// hashOccupancy summarises a big table: how many buckets hold 0, 1, 2...
// elements, a strip of bucket groups, and the buckets this step touched
// drawn in full.
func (a *App) hashOccupancy(m *sim.Map, name string, h *sim.Hashtab, hm hashMarks) app.UI {
	lens := h.BucketLens(nil)
	hist := map[uint32]int{}
	var longest uint32
	for _, l := range lens {
		hist[l]++
		if l > longest {
			longest = l
		}
	}
	const cells = 256
	group := (len(lens) + cells - 1) / cells
	sums := make([]int, cells)
	maxSum := 1
	for i, l := range lens {
		sums[i/group] += int(l)
	}
	for _, s := range sums {
		if s > maxSum {
			maxSum = s
		}
	}
	d := newSVG(cells*3+10, 50, fmt.Sprintf("%s %s", a.t("occupancy"), name))
	for i, s := range sums {
		hgt := 1 + s*40/maxSum
		d.rect(5+i*3, 45-hgt, 3, hgt, colAccent, "none")
	}
	var histParts []string
	for l := uint32(0); l <= longest; l++ {
		if hist[l] > 0 {
			histParts = append(histParts, fmt.Sprintf("%d×%d", hist[l], l))
		}
	}
	var touched []uint32
	for b := range hm.buckets {
		touched = append(touched, b)
	}
	sortU32(touched)
	var out htmlDoc
	out.open("div", "id", "bp-occupancy-"+m.Name, "class", "bp-agg").
		elem("p", fmt.Sprintf("%s: %s (%s)", a.t("chainLengths"), strings.Join(histParts, ", "), a.t("bucketsXlen")))
	d.writeTo(&out, "")
	out.elem("p", fmt.Sprintf(a.t("stripLegend"), group), "class", "bp-legend")
	if len(touched) > 0 {
		a.writeHashBuckets(&out, m, name, h, hm, touched)
	}
	return out.close("div").UI()
}

func sortU32(s []uint32) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// hashChanges lists removals (which the bucket rows can no longer show).
func (a *App) hashChanges(hm hashMarks) app.UI {
	if len(hm.unlinked) == 0 && hm.restart == nil {
		return nil
	}
	var d htmlDoc
	d.open("ul", "class", "bp-changes")
	for _, u := range hm.unlinked {
		d.elem("li", fmt.Sprintf("✗ %s %s %s %d (%s)", a.t("key"), spaced(u.Key), a.t("leftBucket"), u.Bucket, u.Why),
			"data-unlinked", u.Key)
	}
	if r := hm.restart; r != nil {
		d.elem("li", "↻ "+fmt.Sprintf(a.t("restartNote"), spaced(r.Key)), "id", "bp-restart")
	}
	return d.close("ul").UI()
}
