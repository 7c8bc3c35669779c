// Package memtest measures what a piece of code allocates, for the tests
// and benchmarks that bound the memory a hostile or large input costs.
package memtest

import "runtime"

// Allocated returns the bytes f allocates (the growth of the runtime's
// total allocation count while f runs, whatever is freed since).
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
