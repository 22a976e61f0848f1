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
// The same view serves LPM's post-order walk. It is nil when this step is
// not a walk of the map.
func (a *App) iterationView(name string, m *sim.Map) app.UI {
	var d htmlDoc
	if !a.iterationHTML(&d, name, m) {
		return nil
	}
	return d.UI()
}

// iterationHTML writes the iteration view into out as one static fragment,
// for views that embed it in their own fragment. It returns false (writing
// nothing) when this step is not a walk of the map.
func (a *App) iterationHTML(out *htmlDoc, name string, m *sim.Map) bool {
	st, ok := a.current()
	if !ok || st.Map != name || (st.Op != "next" && st.Op != "walk") {
		return false
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
	var items htmlDoc
	shown := 0
	for i, k := range keys {
		h := hex.EncodeToString(k)
		hexes = append(hexes, h)
		first, dup := seen[h]
		if shown >= maxIterShown && !dup {
			seen[h] = i
			continue // summarised below; repeats are always listed
		}
		shown++
		if dup {
			items.open("li", "data-key", h, "data-repeat", "1", "class", "bp-repeat").
				elem("code", shortBytes(k)).text(" ↻ " + a.t("repeatOf") + " #" + strconv.Itoa(first+1)).close("li")
		} else {
			seen[h] = i
			items.open("li", "data-key", h).elem("code", shortBytes(k)).close("li")
		}
	}
	hidden := len(keys) - shown
	dataKeys := strings.Join(hexes, " ")
	if len(keys) > 4096 {
		dataKeys = ""
	}
	d := out
	d.open("section", "id", "bp-iter", "class", "bp-iter", "data-keys", dataKeys, "aria-label", a.t("iteration")).
		elem("h4", a.t("iteration"))
	if cursor != "" {
		d.open("p").text(a.t("cursor")+": ").elem("code", cursor).close("p")
	}
	if restarted {
		d.elem("p", "↻ "+a.t("restarted"), "id", "bp-iter-restart", "class", "bp-error")
	}
	d.elem("p", a.t("keysSoFar")+" ("+strconv.Itoa(len(keys))+"):")
	d.open("ol", "class", "bp-iter-keys").b.WriteString(items.b.String())
	d.close("ol")
	if hidden > 0 {
		d.elem("p", "+"+strconv.Itoa(hidden)+" "+a.t("moreKeys"), "class", "bp-muted")
	}
	if st.Errno == sim.ENOENT {
		d.elem("p", a.t("walkDone"), "class", "bp-muted")
	}
	d.close("section")
	return true
}

// keyLabel shows an LPM key as its prefix (prefixlen in host order, data in
// network order, as the trie reads it) and other keys as numbers or hex.
func keyLabel(m *sim.Map, k []byte) string {
	if m.Type == sim.MapLPMTrie && len(k) > 4 {
		return sim.LPMPrefix(k[4:], binary.LittleEndian.Uint32(k[:4]))
	}
	return shortBytes(k)
}
