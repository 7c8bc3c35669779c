package memtest

import "testing"

var sink []byte

func TestAllocatedCountsWhatFAllocates(t *testing.T) {
	const size = 8 << 20
	if got := Allocated(func() { sink = make([]byte, size) }); got < size || got > 2*size {
		t.Fatalf("allocating %d bytes counted %d", size, got)
	}
	sink = nil
	if got := Allocated(func() {}); got > 64<<10 {
		t.Fatalf("allocating nothing counted %d bytes", got)
	}
}
