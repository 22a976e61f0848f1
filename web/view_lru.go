package web

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// lruView draws the LRU lists of an LRU hash map as the simulator keeps
// them: active, inactive (with the rotation cursor) and free, newest first,
// per-CPU local free/pending lists, ref bits, and this step's evictions with
// their reason.
func (a *App) lruView(m *sim.Map, name string, v *sim.LRUView, st StepView, focus bool) app.UI {
	var evicted []sim.LRUEvictEvent
	var notes []string
	moved := map[int]string{}
	if focus {
		for _, e := range st.Events {
			switch e := e.(type) {
			case sim.LRUEvictEvent:
				if e.Map == m.Name {
					evicted = append(evicted, e)
				}
			case sim.LRUShrinkEvent:
				if e.Map == m.Name {
					notes = append(notes, e.String())
				}
			case sim.LRURotateEvent:
				if e.Map == m.Name {
					notes = append(notes, e.String())
				}
			case sim.LRURefillEvent:
				if e.Map == m.Name {
					notes = append(notes, e.String())
				}
			case sim.LRUMoveEvent:
				if e.Map == m.Name {
					moved[e.Node] = e.From + "→" + e.To
				}
			}
		}
	}
	var d htmlDoc
	d.open("section", "id", "bp-lru-"+m.Name, "class", "bp-lru", "aria-label", a.t("lruLists")+" "+name).
		elem("p", fmt.Sprintf("target_free %d · nr_scans %d · %s", v.TargetFree, v.NrScans,
			ternary(v.Common, a.t("lruCommon"), a.t("lruPerCPU"))), "class", "bp-legend").
		open("div")
	for _, l := range v.Lists {
		title := a.t("lruLists")
		if l.CPU >= 0 {
			title += " · CPU " + strconv.Itoa(l.CPU)
		}
		d.elem("h4", title)
		a.lruRow(&d, m, "active", a.t("lruActive"), l.Active, -1, moved)
		a.lruRow(&d, m, "inactive", a.t("lruInactive"), l.Inactive, l.Cursor, moved)
		a.lruRow(&d, m, "free", a.t("lruFree"), l.Free, -1, moved)
		if l.FreeUnused > 0 {
			d.elem("p", fmt.Sprintf(a.t("lruUnused"), l.FreeUnused), "class", "bp-legend")
		}
	}
	for _, loc := range v.Locals {
		if len(loc.Free) == 0 && len(loc.Pending) == 0 {
			continue
		}
		d.elem("h4", a.t("lruLocal")+" · CPU "+strconv.Itoa(loc.CPU))
		a.lruRow(&d, m, "local-free-"+strconv.Itoa(loc.CPU), a.t("lruLocalFree"), loc.Free, -1, moved)
		a.lruRow(&d, m, "local-pending-"+strconv.Itoa(loc.CPU), a.t("lruPending"), loc.Pending, -1, moved)
	}
	d.close("div")
	if len(evicted) > 0 {
		var evKeys []string
		for _, e := range evicted {
			evKeys = append(evKeys, e.Key)
		}
		d.open("div", "id", "bp-evicted", "class", "bp-error", "data-keys", strings.Join(evKeys, " ")).
			elem("strong", fmt.Sprintf(a.t("evictedBatch"), len(evicted))).
			open("ul")
		for _, e := range evicted {
			d.elem("li", fmt.Sprintf("✗ %s %s (node %d): %s", a.t("key"), spaced(e.Key), e.Node, e.Reason), "data-key", e.Key)
		}
		d.close("ul").close("div")
	}
	if len(notes) > 0 {
		d.open("ul", "class", "bp-legend")
		for _, n := range notes {
			d.elem("li", n)
		}
		d.close("ul")
	}
	return d.elem("p", a.t("lruLegend"), "class", "bp-legend").close("section").UI()
}

// lruRow draws one list, head (newest) first, into d. cursor is the
// rotation cursor's index in the list (-1: none).
func (a *App) lruRow(out *htmlDoc, m *sim.Map, id, title string, nodes []sim.LRUNodeView, cursor int, moved map[int]string) {
	const boxW, boxH, left, maxDrawn = 92, 34, 90, 48
	shown := nodes
	if len(shown) > maxDrawn {
		shown = shown[:maxDrawn]
	}
	width := left + len(shown)*(boxW+6) + 40
	if width < 300 {
		width = 300
	}
	d := newSVG(width, boxH+22, title)
	d.text(2, 22, title, "fill", colText)
	var keys []string
	for i, n := range shown {
		x := left + i*(boxW+6)
		k := hex.EncodeToString(n.Key)
		keys = append(keys, k)
		fill := colBox
		if n.Key == nil {
			fill = colInactiv
		}
		mark := ""
		if _, ok := moved[n.Node]; ok {
			fill, mark = colNew, "↔"
		}
		d.open("g", "data-node", strconv.Itoa(n.Node), "data-key", k, "data-ref", ternary(n.Ref, "1", "0"))
		if mv, ok := moved[n.Node]; ok {
			d.title(mv)
		}
		d.rect(x, 6, boxW, boxH, fill, colLine, "rx", "3")
		label := "n" + strconv.Itoa(n.Node)
		if n.Key != nil {
			label = shortBytes(n.Key)
		}
		d.text(x+4, 20, clip(mark+label, 12), "fill", colText)
		sub := ""
		if n.Ref {
			sub = "R=1"
		} else {
			sub = "R=0"
		}
		d.text(x+4, 34, sub, "fill", colMuted, "font-size", "10")
		if i == cursor {
			d.text(x+boxW-18, 34, "⇢", "fill", colWarn)
			d.rect(x-2, 4, boxW+4, boxH+4, "none", colWarn, "stroke-dasharray", "4 2")
		}
		d.close("g")
	}
	if len(nodes) == 0 {
		d.text(left, 26, "∅", "fill", colMuted)
	}
	if len(nodes) > len(shown) {
		d.text(left+len(shown)*(boxW+6), 26, "+"+strconv.Itoa(len(nodes)-len(shown)), "fill", colMuted)
	}
	if cursor == -1 && id == "inactive" && len(nodes) > 0 {
		d.text(width-34, 26, "⇢head", "fill", colWarn, "font-size", "10")
	}
	// data-keys is trimmed as go-app trimmed attribute values (free lists
	// have only empty keys).
	out.open("div", "data-list", id, "data-keys", strings.TrimSpace(strings.Join(keys, " ")))
	d.writeTo(out, "")
	out.close("div")
}
