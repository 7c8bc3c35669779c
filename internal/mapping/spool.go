package mapping

import (
	"bufio"
	"fmt"
	"os"
	"sync"
)

// Spool holds the JSON of the entities one run maps in a temporary file
// instead of the heap, from when each is hashed until the store has
// written it: a full sync of a large repository would otherwise hold the
// JSON of every entity at once (about 100 MB for 100k entities), and Go's
// garbage collector lets the heap grow to twice what is live. The file is
// unlinked as soon as it is created, so nothing is left behind, whatever
// ends the process. A Spool is safe for concurrent use.
type Spool struct {
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	size int64
}

// NewSpool creates a spool in dir (os.TempDir() when "").
func NewSpool(dir string) (*Spool, error) {
	f, err := os.CreateTemp(dir, "central-config-entities-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &Spool{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// put appends b and returns where it starts.
func (s *Spool) put(b []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(b); err != nil {
		return 0, err
	}
	off := s.size
	s.size += int64(len(b))
	return off, nil
}

// read returns the n bytes at off.
func (s *Spool) read(off int64, n int) ([]byte, error) {
	s.mu.Lock()
	err := s.w.Flush()
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("writing the entity spool: %w", err)
	}
	b := make([]byte, n)
	if _, err := s.f.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("reading the entity spool: %w", err)
	}
	return b, nil
}

// Close removes the spool. The entities of a Result that were spooled
// have no JSON after it, unless Result.Release kept it.
func (s *Spool) Close() error { return s.f.Close() }
