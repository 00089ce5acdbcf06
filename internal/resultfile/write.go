package resultfile

import (
	"hash"
	"io"
	"os"
	"path/filepath"
)

// writeAtomically writes r to dest through a temporary file in dest's folder (created with
// its parents when missing), so that a reader of dest never sees a partial file, even when
// the download fails midway. dest ends with mode 0644. h is fed the bytes written.
func writeAtomically(dest string, r io.Reader, h hash.Hash) (int64, error) {
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	n, err := copyWithWriteback(tmp, r, h)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	return n, err
}

// writebackChunk is how much is written before the kernel is asked to start writing it out.
const writebackChunk = 8 << 20

// copyWithWriteback copies r to f and to h, starting the writeback of each chunk as it is
// written, so that the fsync before the rename finds the file mostly on disk already.
func copyWithWriteback(f *os.File, r io.Reader, h hash.Hash) (int64, error) {
	buf := make([]byte, 1<<20)
	var n, flushed int64
	for {
		m, rerr := r.Read(buf)
		if m > 0 {
			if _, err := f.Write(buf[:m]); err != nil {
				return n, err
			}
			h.Write(buf[:m])
			n += int64(m)
			if n-flushed >= writebackChunk {
				startWriteback(f, flushed, n-flushed)
				flushed = n
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}
