package lessons

import (
	"encoding/json"
	"fmt"
)

// Status values of the topic index.
const (
	StatusSimulated    = "simulated"     // the simulator implements it; lessons run it
	StatusNotSimulated = "not simulated" // named by the seeds; no lesson pretends to run it
	StatusExplained    = "explained"     // a concept taught in text and scenario, not a map type
)

// Topic is one entry of lessons/topics.json: a seed topic or a map type and
// the lessons that teach it.
type Topic struct {
	ID string `json:"id"` // "hash", "001 §哈希表映射", "map-create"
	// Kind is "map_type" (ID is the kernel name without BPF_MAP_TYPE_),
	// "seed" (a seed section) or "concept".
	Kind   string `json:"kind"`
	Status string `json:"status"`
	// InSeeds says whether the seed documents name this map type.
	InSeeds bool     `json:"in_seeds,omitempty"`
	Lessons []string `json:"lessons"`
	// Note says what is and is not shown, by language ("en", "zh-CN").
	Note map[string]string `json:"note"`
}

// Topics returns the index from lessons/topics.json.
func Topics() ([]Topic, error) {
	raw, err := content.ReadFile("topics.json")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Topics []Topic `json:"topics"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("topics.json: %w", err)
	}
	return doc.Topics, nil
}
