package web

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// familyView draws one map family's internals. Each family file registers
// one; it returns nil for maps it does not draw.
// focus says whether the current step acted on this map.
type familyView func(a *App, m *sim.Map, name string, st StepView, focus bool) app.UI

var familyViews []familyView

// genericLimit is how many entries the generic table lists before it
// summarises the rest.
const genericLimit = 64

// renderMaps draws every map of the World after the current step.
func (a *App) renderMaps(w *sim.World, maps []NamedMap, st StepView) app.UI {
	if w == nil {
		return nil
	}
	if len(maps) == 0 {
		var d htmlDoc
		return d.open("section", "class", "bp-maps").
			elem("h2", a.t("maps")).
			elem("p", a.t("noMaps"), "class", "bp-muted").
			close("section").UI()
	}
	focus := st.Map
	return el("section").ID("bp-maps").Class("bp-maps").Aria("label", a.t("maps")).Body(
		el("h2").Text(a.t("maps")),
		app.Range(maps).Slice(func(i int) app.UI {
			return a.renderMap(maps[i].Map, maps[i].Name, st, maps[i].Name == focus)
		}),
	)
}

func (a *App) renderMap(m *sim.Map, name string, st StepView, focus bool) app.UI {
	var view app.UI
	for _, fv := range familyViews {
		if view = fv(a, m, name, st, focus); view != nil {
			break
		}
	}
	if view == nil {
		view = a.genericMap(m, name, st, focus)
	}
	cls := "bp-map"
	if focus {
		cls += " bp-focus"
	}
	facts := []string{
		a.t("type") + " " + m.Type.String(),
		a.t("key") + " " + strconv.Itoa(int(m.KeySize)) + "B",
		a.t("value") + " " + strconv.Itoa(int(m.ValueSize)) + "B",
		"max_entries " + strconv.Itoa(int(m.MaxEntries)),
		a.t("entries") + " " + strconv.Itoa(m.Len()),
	}
	if m.Flags != 0 {
		facts = append(facts, "flags "+sim.FormatMapFlags(m.Flags))
	}
	if isHashFamily(m.Type) {
		facts = append(facts, "seed 0x"+strconv.FormatUint(uint64(m.Seed), 16))
	}
	if m.IsPercpu() {
		facts = append(facts, "CPUs "+strconv.Itoa(m.World().PossibleCPUs()))
	}
	if m.Frozen() {
		facts = append(facts, a.t("frozen"))
	}
	// The heading and the facts are static: one HTML fragment each (the
	// family view beside them may have handlers, so the article stays go-app).
	var h, p htmlDoc
	h.open("h3")
	if focus {
		h.elem("span", "▶ ", "class", "bp-marker", "aria-hidden", "true")
	}
	h.elem("code", name)
	if focus {
		h.elem("span", " ("+a.t("usedByStep")+")", "class", "bp-sr")
	}
	h.close("h3")
	p.elem("p", strings.Join(facts, " · "), "class", "bp-facts")
	return el("article").Class(cls).DataSet("map", name).DataSet("type", m.Type.String()).
		Aria("label", a.t("map")+" "+name).Body(h.UI(), p.UI(), view)
}

func isHashFamily(t sim.MapType) bool {
	switch t {
	case sim.MapHash, sim.MapPercpuHash, sim.MapLRUHash, sim.MapLRUPercpuHash, sim.MapHashOfMaps:
		return true
	}
	return false
}

// genericMap lists entries through the syscall side of a clone of the World
// (get_next_key + lookup), which leaves the trace's World untouched. Big
// maps show the first entries and a count. Static markup: one HTML
// fragment (see htmlDoc), not a go-app tree per row.
func (a *App) genericMap(m *sim.Map, name string, st StepView, focus bool) app.UI {
	if m.KeySize == 0 || m.Type == sim.MapProgArray || m.Type == sim.MapArrayOfMaps || m.Type == sim.MapHashOfMaps {
		var d htmlDoc
		return d.elem("p", a.t("noTableView"), "class", "bp-muted").UI()
	}
	c := m.World().Clone()
	cm, ok := c.MapByID(m.ID)
	if !ok {
		return nil
	}
	var d htmlDoc
	d.open("table", "class", "bp-table").
		elem("caption", a.t("entriesOf")+" "+name, "class", "bp-sr").
		open("thead").open("tr").
		elem("th", a.t("key"), "scope", "col").
		elem("th", a.t("value"), "scope", "col").
		close("tr").close("thead").
		open("tbody")
	n := 0
	var key []byte
	for n < genericLimit {
		next, e := cm.GetNextKey(key)
		if e != sim.OK {
			break
		}
		v, _ := cm.Lookup(next, 0)
		n++
		key = next
		kh := hex.EncodeToString(next)
		if focus && stepTouches(st, next) {
			d.open("tr", "data-key", kh, "class", "bp-cur").open("td").
				elem("span", "▶ ", "class", "bp-marker", "aria-label", a.t("currentKey"))
		} else {
			d.open("tr", "data-key", kh).open("td")
		}
		d.elem("code", formatBytes(next)).close("td").
			open("td").elem("code", formatBytes(v)).close("td").close("tr")
	}
	d.close("tbody")
	if more := m.Len() - n; more > 0 {
		d.open("tfoot").open("tr").
			elem("td", "+"+strconv.Itoa(more)+" "+a.t("moreEntries"), "colspan", "2").
			close("tr").close("tfoot")
	}
	return d.close("table").UI()
}

// formatBytes shows bytes as hex, with the little-endian number for 1, 2, 4
// and 8-byte values (what a u32/u64 key or value reads as on x86).
func formatBytes(b []byte) string {
	if b == nil {
		return "—"
	}
	h := hex.EncodeToString(b)
	if len(h) > 64 {
		h = h[:64] + "…"
	}
	switch len(b) {
	case 1, 2, 4, 8:
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		return strconv.FormatUint(v, 10) + "  (" + h + ")"
	}
	return h
}

// renderProgram draws the interpreter state when the step ran a program
// and the trace supports instruction stepping.
func (a *App) renderProgram() app.UI {
	it, insn, n, ok := a.shownInsn()
	if !ok {
		return nil
	}
	mv, ok := it.MachineAt(a.step, insn)
	if !ok {
		return nil
	}
	return a.programView(mv, insn, n)
}

// stepTouches reports whether the step's result names key k.
func stepTouches(st StepView, k []byte) bool {
	if st.Key != nil && string(st.Key) == string(k) {
		return true
	}
	return false
}

// formatKeys lists keys as the scenario language prints them.
func formatKeys(keys [][]byte) string {
	const maxShown = 64
	parts := make([]string, 0, min(len(keys), maxShown+1))
	for i, k := range keys {
		if i == maxShown {
			parts = append(parts, "… (+"+strconv.Itoa(len(keys)-maxShown)+")")
			break
		}
		parts = append(parts, shortBytes(k))
	}
	return strings.Join(parts, " ")
}

// shortBytes is the little-endian number for 1/2/4/8-byte values, else hex.
func shortBytes(b []byte) string {
	switch len(b) {
	case 1, 2, 4, 8:
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		return strconv.FormatUint(v, 10)
	}
	return hex.EncodeToString(b)
}
