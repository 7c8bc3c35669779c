package syncer

import "strings"

// isLocationKey reports whether a published entity's key (its ref in
// lower case) is a Location's. Published Locations are counted apart from
// the other entities: they are not entities of the catalog's model but
// places the Backstage catalog reads more entities from.
func isLocationKey(key string) bool { return strings.HasPrefix(key, "location:") }

// counts returns how many entities other than Locations, and how many
// Locations, the source publishes.
func (pub *Published) counts() (entities, locations int) {
	return len(pub.entities) - pub.locations, pub.locations
}
