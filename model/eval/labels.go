package eval

import "strings"

// MatchLabel finds the classes a folder of a labelled photo set stands for,
// so people can name folders as they would ("tabby" for "tabby, tabby
// cat"). Matching ignores case and surrounding spaces and tries, in turn,
// the full label, its first synonym, then any synonym; it returns every
// class that matches at the first level with a match (more than one means
// the name is ambiguous, e.g. ImageNet's two "crane"s), or nil.
func MatchLabel(name string, labels []string) []int {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return nil
	}
	for level := 0; level < 3; level++ {
		var found []int
		for i, l := range labels {
			syns := strings.Split(l, ",")
			switch level {
			case 0:
				syns = []string{l}
			case 1:
				syns = syns[:1]
			}
			for _, s := range syns {
				if strings.ToLower(strings.TrimSpace(s)) == name {
					found = append(found, i)
					break
				}
			}
		}
		if found != nil {
			return found
		}
	}
	return nil
}
