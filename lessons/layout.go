package lessons

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Layout describes value structs laid out on cache lines, for a lesson's
// diagram (lessons/content/NN-id/layout.json). The web view draws each
// struct as rows of LineSize bytes with its fields coloured by Access. It
// is a picture of offsets only: the simulator does not model caches.
type Layout struct {
	LineSize int      `json:"line_size"` // 64
	Structs  []Struct `json:"structs"`
}

// Struct is one C struct used as a map value.
type Struct struct {
	ID     string  `json:"id"`   // "mixed", referenced by the lesson text
	Name   string  `json:"name"` // "struct backend"
	Map    string  `json:"map"`  // the scenario map whose value it is
	Size   int     `json:"size"` // sizeof, = the map's value_size
	Fields []Field `json:"fields"`
}

// Field is one member. Access is "read-mostly", "written-cpu0",
// "written-cpu1", "written-any" or "padding".
type Field struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Size   int    `json:"size"`
	Access string `json:"access"`
}

var accessKinds = map[string]bool{"read-mostly": true, "written-cpu0": true, "written-cpu1": true, "written-any": true, "padding": true}

// Lines returns the cache lines (Offset/LineSize, relative to the start of
// the value) that field f touches.
func (l *Layout) Lines(f Field) (first, last int) {
	return f.Offset / l.LineSize, (f.Offset + f.Size - 1) / l.LineSize
}

func parseLayout(raw []byte) (*Layout, error) {
	var l Layout
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("layout.json: %w", err)
	}
	if l.LineSize <= 0 {
		return nil, fmt.Errorf("layout.json: line_size must be positive")
	}
	for _, s := range l.Structs {
		fields := append([]Field(nil), s.Fields...)
		sort.Slice(fields, func(i, j int) bool { return fields[i].Offset < fields[j].Offset })
		end := 0
		for _, f := range fields {
			if !accessKinds[f.Access] {
				return nil, fmt.Errorf("layout.json: %s.%s: unknown access %q", s.ID, f.Name, f.Access)
			}
			if f.Size <= 0 || f.Offset != end {
				return nil, fmt.Errorf("layout.json: %s.%s at %d: fields must tile the struct (expected offset %d)", s.ID, f.Name, f.Offset, end)
			}
			end = f.Offset + f.Size
		}
		if end != s.Size {
			return nil, fmt.Errorf("layout.json: %s: fields end at %d, size is %d", s.ID, end, s.Size)
		}
	}
	return &l, nil
}
