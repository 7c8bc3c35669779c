package mapping

import (
	"fmt"
	"io"
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
//
// When the file cannot be written (its disk is full, say), the spool
// falls back to memory and nothing is lost: what was not written stays in
// its buffer, later entities keep their JSON, and what is on disk reads
// back as before. Broken says whether and why that happened.
type Spool struct {
	dir string
	mu  sync.Mutex
	f   spoolFile
	// buf holds what is not yet written, from offset flushed on.
	buf     []byte
	flushed int64
	broken  error
	// limit is how much the buffer gathers before it is written.
	limit int
}

// spoolFile is what a spool needs of its file (a test gives one that
// fails).
type spoolFile interface {
	io.WriterAt
	io.ReaderAt
	io.Closer
}

// spoolBuffer is how much a spool gathers before it writes.
const spoolBuffer = 256 << 10

// SpoolError is a failure of the entity spool's file, apart from the
// store's: it names the folder (TMPDIR) the spool is in.
type SpoolError struct {
	Dir string
	Err error
}

func (e *SpoolError) Error() string {
	return fmt.Sprintf("entity spool (TMPDIR %s): %v", e.Dir, e.Err)
}

func (e *SpoolError) Unwrap() error { return e.Err }

// NewSpool creates a spool in dir (os.TempDir() when ""). Its error is a
// *SpoolError.
func NewSpool(dir string) (*Spool, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "central-config-entities-*")
	if err != nil {
		return nil, &SpoolError{Dir: dir, Err: err}
	}
	if err := os.Remove(f.Name()); err != nil {
		_ = f.Close()
		return nil, &SpoolError{Dir: dir, Err: err}
	}
	return newSpool(dir, f, spoolBuffer), nil
}

func newSpool(dir string, f spoolFile, limit int) *Spool {
	return &Spool{dir: dir, f: f, buf: make([]byte, 0, limit), limit: limit}
}

// put appends b and returns where it starts. It fails once the spool is
// broken: the entity then keeps its JSON.
func (s *Spool) put(b []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != nil {
		return 0, s.broken
	}
	off := s.flushed + int64(len(s.buf))
	s.buf = append(s.buf, b...)
	if len(s.buf) >= s.limit {
		// On a failure the buffer stays, in memory, and serves reads.
		if _, err := s.f.WriteAt(s.buf, s.flushed); err != nil {
			s.broken = &SpoolError{Dir: s.dir, Err: err}
		} else {
			s.flushed += int64(len(s.buf))
			s.buf = s.buf[:0]
		}
	}
	return off, nil
}

// read returns the n bytes at off, from the buffer when they are not
// written yet, else from the file.
func (s *Spool) read(off int64, n int) ([]byte, error) {
	b := make([]byte, n)
	s.mu.Lock()
	if off >= s.flushed {
		copy(b, s.buf[off-s.flushed:])
		s.mu.Unlock()
		return b, nil
	}
	s.mu.Unlock()
	if _, err := s.f.ReadAt(b, off); err != nil {
		return nil, &SpoolError{Dir: s.dir, Err: fmt.Errorf("reading: %w", err)}
	}
	return b, nil
}

// Broken is the error that made the spool fall back to memory, or nil.
func (s *Spool) Broken() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.broken
}

// Close removes the spool. The entities of a Result that were spooled
// have no JSON after it, unless Result.Release kept it.
func (s *Spool) Close() error { return s.f.Close() }
