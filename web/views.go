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
		return el("section").Class("bp-maps").Body(
			el("h2").Text(a.t("maps")),
			el("p").Class("bp-muted").Text(a.t("noMaps")),
		)
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
	return el("article").Class(cls).DataSet("map", name).DataSet("type", m.Type.String()).
		Aria("label", a.t("map")+" "+name).Body(
		el("h3").Body(
			app.If(focus, el("span").Class("bp-marker").Aria("hidden", true).Text("▶ ")),
			el("code").Text(name),
			app.If(focus, el("span").Class("bp-sr").Text(" ("+a.t("usedByStep")+")")),
		),
		el("p").Class("bp-facts").Text(strings.Join(facts, " · ")),
		view,
	)
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
// maps show the first entries and a count.
func (a *App) genericMap(m *sim.Map, name string, st StepView, focus bool) app.UI {
	if m.KeySize == 0 || m.Type == sim.MapProgArray || m.Type == sim.MapArrayOfMaps || m.Type == sim.MapHashOfMaps {
		return el("p").Class("bp-muted").Text(a.t("noTableView"))
	}
	c := m.World().Clone()
	cm, ok := c.MapByID(m.ID)
	if !ok {
		return nil
	}
	type row struct{ k, v []byte }
	var rows []row
	var key []byte
	for len(rows) < genericLimit {
		next, e := cm.GetNextKey(key)
		if e != sim.OK {
			break
		}
		v, _ := cm.Lookup(next, 0)
		rows = append(rows, row{next, v})
		key = next
	}
	more := m.Len() - len(rows)
	return el("table").Class("bp-table").Body(
		el("caption").Class("bp-sr").Text(a.t("entriesOf")+" "+name),
		el("thead").Body(el("tr").Body(
			el("th").Attr("scope", "col").Text(a.t("key")),
			el("th").Attr("scope", "col").Text(a.t("value")),
		)),
		el("tbody").Body(app.Range(rows).Slice(func(i int) app.UI {
			cur := focus && stepTouches(st, rows[i].k)
			tr := el("tr").DataSet("key", hex.EncodeToString(rows[i].k))
			if cur {
				tr = tr.Class("bp-cur")
			}
			return tr.Body(
				el("td").Body(
					app.If(cur, el("span").Class("bp-marker").Aria("label", a.t("currentKey")).Text("▶ ")),
					el("code").Text(formatBytes(rows[i].k)),
				),
				el("td").Body(el("code").Text(formatBytes(rows[i].v))),
			)
		})),
		app.If(more > 0, el("tfoot").Body(el("tr").Body(
			el("td").Attr("colspan", 2).Text("+"+strconv.Itoa(more)+" "+a.t("moreEntries")),
		))),
	)
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
	it, ok := a.trace.(InsnTracer)
	if !ok {
		return nil
	}
	n := it.Insns(a.step)
	if n == 0 {
		return nil
	}
	insn := a.loc.Insn
	if insn <= 0 || insn > n {
		insn = n
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
