package github

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/central-config/central-config/internal/source"
)

// maxLinkHops bounds symlink chains, which also catches loops.
const maxLinkHops = 8

// archive is what one pass over a GitHub tarball learnt.
type archive struct {
	files    map[string][]byte // kept regular files
	tooLarge map[string]int64  // kept regular files over the size limit, not read: their size
	regular  map[string]bool   // every regular file, kept or not
	links    map[string]string // symlink path -> target as written
}

// readArchive reads a gzip-compressed tarball as GitHub serves it: one
// top-level folder named owner-repo-sha7, which is stripped. It stops with
// ErrArchiveTooLarge once more than maxBytes were decompressed, so a
// compression bomb costs at most maxBytes of reading. Files larger than
// maxFileBytes are streamed past, not read.
func readArchive(r io.Reader, maxBytes, maxFileBytes int64, keep func(string) bool) (*archive, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("archive is not gzip-compressed: %w", err)
	}
	defer func() { _ = zr.Close() }()
	tr := tar.NewReader(&capReader{r: zr, left: maxBytes, max: maxBytes})
	a := &archive{files: map[string][]byte{}, tooLarge: map[string]int64{}, regular: map[string]bool{}, links: map[string]string{}}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return a, nil
		}
		if err != nil {
			return nil, archiveErr(err)
		}
		p, ok := stripTop(hdr.Name)
		if !ok {
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			a.regular[p] = true
			switch {
			case !keep(p):
			case hdr.Size > maxFileBytes:
				// tr.Next skips the content in small reads.
				a.tooLarge[p] = hdr.Size
			default:
				content := make([]byte, hdr.Size)
				if _, err := io.ReadFull(tr, content); err != nil {
					return nil, archiveErr(err)
				}
				a.files[p] = content
			}
		case tar.TypeSymlink:
			a.links[p] = hdr.Linkname
		}
	}
}

func archiveErr(err error) error {
	if errors.Is(err, ErrArchiveTooLarge) {
		return err
	}
	return fmt.Errorf("reading archive: %w", err)
}

// stripTop drops the top-level folder and refuses names that are not
// clean relative paths, which GitHub never produces but a proxy might.
func stripTop(name string) (string, bool) {
	_, rest, ok := strings.Cut(name, "/")
	rest = strings.TrimSuffix(rest, "/")
	if !ok || rest == "" || !fs.ValidPath(rest) {
		return "", false
	}
	return rest, true
}

// capReader fails once more than max bytes have been read.
type capReader struct {
	r         io.Reader
	left, max int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// Probe one byte: an archive of exactly max bytes is fine.
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("%w: it unpacks to more than %s (MaxArchiveBytes); raise the limit or split the repository",
				ErrArchiveTooLarge, humanBytes(c.max))
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// resolve follows the symlink at linkPath to a regular file. Any folder on
// the way may itself be a symlink, as in the checked-out tree. It returns
// the file's path and every path the chain went through (for Changed), or
// a message for a FileProblem.
func (a *archive) resolve(linkPath string) (target string, chain []string, problem string) {
	p := linkPath
	for hops := 0; ; {
		chain = append(chain, p)
		parts := strings.Split(p, "/")
		followed := false
		for i := 1; i <= len(parts); i++ {
			prefix := strings.Join(parts[:i], "/")
			to, ok := a.links[prefix]
			if !ok {
				continue
			}
			if hops++; hops > maxLinkHops {
				return "", chain, fmt.Sprintf("symlink chain from %s is longer than %d links (a loop?); not followed", linkPath, maxLinkHops)
			}
			next, err := source.ResolveLink(prefix, to)
			if err != nil {
				return "", chain, fmt.Sprintf("symlink %s -> %s points outside the repository; not followed", prefix, to)
			}
			if prefix != p {
				chain = append(chain, prefix)
			}
			p = path.Join(append([]string{next}, parts[i:]...)...)
			followed = true
			break
		}
		if !followed {
			break
		}
	}
	if !a.regular[p] {
		return "", chain, fmt.Sprintf("symlink %s -> %s: %q is not a file in the repository at this revision", linkPath, a.links[linkPath], p)
	}
	return p, chain, ""
}
