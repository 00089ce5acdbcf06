package resultfile

import (
	"errors"
	"hash"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// writeAtomically writes r to dest through a temporary file in dest's folder, so that a
// reader of dest never sees a partial file, even when the download fails midway. Missing
// folders are created as mkdir -p does (0777 less the umask). A new dest gets the mode
// os.Create gives (0666 less the umask); a file replaced keeps its mode. h is fed the bytes
// written.
func writeAtomically(dest string, r io.Reader, h hash.Hash) (int64, error) {
	perm, replacing, err := modeOf(dest)
	if err != nil {
		return 0, err
	}
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return 0, err
	}
	tmp, err := createTemp(dir, filepath.Base(dest), perm)
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
	if err == nil && replacing {
		err = os.Chmod(tmp.Name(), perm) // the umask may have narrowed it
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	return n, err
}

// modeOf answers the permissions the file written to dest gets: those of the file it
// replaces (replacing), else 0666, which the umask narrows on creation.
func modeOf(dest string) (perm fs.FileMode, replacing bool, err error) {
	fi, err := os.Stat(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0o666, false, nil
	case err != nil:
		return 0, false, err
	}
	return fi.Mode().Perm(), true, nil
}

// createTemp creates a new file in dir, named after base, with perm less the umask (as
// os.Create does, unlike os.CreateTemp, whose files are 0600 whatever the umask).
func createTemp(dir, base string, perm fs.FileMode) (*os.File, error) {
	var err error
	for range 100 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		var f *os.File
		if f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm); !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, err
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
