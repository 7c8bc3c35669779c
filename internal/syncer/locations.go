package syncer

import "strings"

// isLocationKey reports whether a published entity's key (its ref in
// lower case) is a Location's. Published Locations are counted apart from
// the other entities: they are not entities of the catalog's model but
// places the Backstage catalog reads more entities from.
func isLocationKey(key string) bool { return strings.HasPrefix(key, "location:") }

// counts returns how many entities other than Locations, and how many
// Locations, the source publishes.
func (st *sourceState) counts() (entities, locations int) {
	for key := range st.entities {
		if isLocationKey(key) {
			locations++
		}
	}
	return len(st.entities) - locations, locations
}
