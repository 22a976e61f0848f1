package web

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/bpfplay/bpfplay/sim"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// maxIterShown bounds the keys listed one by one.
const maxIterShown = 256

// iterationView shows a get_next_key walk: the cursor (the key passed in),
// the keys returned so far and repeats after a restart. It reads only the
// trace's recorded results: for a `walk` statement its Keys, for `next`
// statements the keys the earlier `next` steps of the same walk returned.
// The same view serves LPM's post-order walk.
func (a *App) iterationView(name string, m *sim.Map) app.UI {
	st, ok := a.current()
	if !ok || st.Map != name || (st.Op != "next" && st.Op != "walk") {
		return nil
	}
	var keys [][]byte
	cursor := ""
	restarted := false
	for _, e := range st.Events {
		if r, ok := e.(sim.HashRestartEvent); ok && r.Map == m.Name {
			restarted = true
		}
	}
	if st.Op == "walk" {
		keys = st.Keys
	} else {
		f := strings.Fields(st.Text)
		if len(f) >= 3 && !strings.HasPrefix(f[2], "=>") {
			cursor = f[2]
		} else {
			cursor = "NULL"
		}
		// Earlier next steps of this walk, back to the one that started it.
		for j := a.step; j >= 0; j-- {
			sj := a.trace.Step(j)
			if sj.Op != "next" || sj.Map != name {
				continue
			}
			if sj.Errno == sim.OK && sj.Key != nil {
				keys = append([][]byte{sj.Key}, keys...)
			}
			if f := strings.Fields(sj.Text); len(f) < 3 || strings.HasPrefix(f[2], "=>") {
				break // `next name`: the walk started here
			}
		}
	}
	seen := map[string]int{}
	var hexes []string
	items := make([]app.UI, 0, min(len(keys), maxIterShown))
	for i, k := range keys {
		h := hex.EncodeToString(k)
		hexes = append(hexes, h)
		_, dup := seen[h]
		if len(items) >= maxIterShown && !dup {
			if !dup {
				seen[h] = i
			}
			continue // summarised below; repeats are always listed
		}
		li := el("li").DataSet("key", h)
		if first, dup := seen[h]; dup {
			li = li.DataSet("repeat", "1").Class("bp-repeat").Body(
				el("code").Text(shortBytes(k)),
				app.Text(" ↻ "+a.t("repeatOf")+" #"+strconv.Itoa(first+1)),
			)
		} else {
			seen[h] = i
			li = li.Body(el("code").Text(shortBytes(k)))
		}
		items = append(items, li)
	}
	hidden := len(keys) - len(items)
	dataKeys := strings.Join(hexes, " ")
	if len(keys) > 4096 {
		dataKeys = ""
	}
	status := ""
	if st.Errno == sim.ENOENT {
		status = a.t("walkDone")
	}
	return el("section").ID("bp-iter").Class("bp-iter").DataSet("keys", dataKeys).
		Aria("label", a.t("iteration")).Body(
		el("h4").Text(a.t("iteration")),
		app.If(cursor != "", el("p").Body(app.Text(a.t("cursor")+": "), el("code").Text(cursor))),
		app.If(restarted, el("p").ID("bp-iter-restart").Class("bp-error").Text("↻ "+a.t("restarted"))),
		el("p").Text(a.t("keysSoFar")+" ("+strconv.Itoa(len(keys))+"):"),
		el("ol").Class("bp-iter-keys").Body(items...),
		app.If(hidden > 0, el("p").Class("bp-muted").Text("+"+strconv.Itoa(hidden)+" "+a.t("moreKeys"))),
		app.If(status != "", el("p").Class("bp-muted").Text(status)),
	)
}

// keyLabel shows an LPM key as its prefix (prefixlen in host order, data in
// network order, as the trie reads it) and other keys as numbers or hex.
func keyLabel(m *sim.Map, k []byte) string {
	if m.Type == sim.MapLPMTrie && len(k) > 4 {
		return sim.LPMPrefix(k[4:], binary.LittleEndian.Uint32(k[:4]))
	}
	return shortBytes(k)
}
