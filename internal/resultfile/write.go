package resultfile

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// destination is where a file is written, checked before the download starts.
type destination struct {
	path  string      // the file the rename replaces: the output path, its symlinks followed
	perm  fs.FileMode // the mode asked for, else that of the file replaced, else 0666, which the umask narrows
	exact bool        // the file written gets perm exactly, whatever the umask: a mode asked for, or a file replaced
}

// destinationOf checks an output path before anything is downloaded. A symlink is followed,
// as open(2) does: its target is replaced and the link stays. A folder, or any other file that
// is not a regular file, is refused with a *WriteError wrapping ErrOutputFolder or
// ErrOutputNotRegular; a path that cannot be examined, with a *WriteError too. mode is the
// file's mode, exactly; 0 keeps the mode of a file replaced, and gives a new one 0666 less
// the umask, as a shell's redirection does.
func destinationOf(outputPath string, mode fs.FileMode) (destination, error) {
	target, err := followLinks(outputPath)
	if err != nil {
		return destination{}, &WriteError{Path: outputPath, Err: err}
	}
	d := destination{path: target, perm: 0o666}
	if mode != 0 {
		d.perm, d.exact = mode.Perm(), true
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return d, nil
	case err != nil:
		return destination{}, &WriteError{Path: outputPath, Err: err}
	case !fi.Mode().IsRegular():
		return destination{}, &WriteError{Path: outputPath, Err: notAFile(outputPath, target, fi.IsDir())}
	case mode == 0:
		d.perm, d.exact = fi.Mode().Perm(), true
	}
	return d, nil
}

// notAFile says what an output path that is no regular file is: "<path> is a folder", or
// "<path> links to <target>, which is not a regular file".
func notAFile(path, target string, folder bool) error {
	what := ErrOutputNotRegular
	if folder {
		what = ErrOutputFolder
	}
	if target != path {
		return fmt.Errorf("%s links to %s, which %w", path, target, what)
	}
	return fmt.Errorf("%s %w", path, what)
}

// maxLinks bounds the symlinks followed, as the kernel's ELOOP does.
const maxLinks = 40

// followLinks answers the path p names once the symlinks of its last element are followed
// (the kernel follows those of its folders); p itself when it is not a symlink or does not
// exist. The target of a dangling link is answered: the file is created there.
func followLinks(p string) (string, error) {
	for range maxLinks {
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return p, nil // created there
		case err != nil:
			return "", err
		case fi.Mode()&fs.ModeSymlink == 0:
			return p, nil
		}
		target, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	return "", fmt.Errorf("more than %d symbolic links to follow", maxLinks)
}

// writeAtomically writes r to d.path as writeWith does, and to h.
func writeAtomically(d destination, r io.Reader, h hash.Hash) (int64, error) {
	var n int64
	err := writeWith(d, func(w io.Writer) error {
		var err error
		n, err = copyChunks(io.MultiWriter(w, h), r)
		return err
	})
	return n, err
}

// writeWith writes what fill writes to d.path through a temporary file in its folder, so
// that a reader never sees a partial file, even when fill fails midway. Missing folders are
// created as mkdir -p does (0777 less the umask); the file gets d.perm, less the umask unless
// d.exact. The temporary file is never more open than the file written: it is created with
// d.perm less the umask.
func writeWith(d destination, fill func(w io.Writer) error) error {
	dir := filepath.Dir(d.path)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	tmp, err := createTemp(dir, filepath.Base(d.path), d.perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	err = fill(&writebackFile{f: tmp})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && d.exact {
		err = os.Chmod(tmp.Name(), d.perm) // the umask may have narrowed it
	}
	if err == nil {
		err = os.Rename(tmp.Name(), d.path)
	}
	return err
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

// copyChunks copies r to w in large chunks (a download is read faster so).
func copyChunks(w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	for {
		m, rerr := r.Read(buf)
		if m > 0 {
			if _, err := w.Write(buf[:m]); err != nil {
				return n, err
			}
			n += int64(m)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// writebackFile writes to f, starting the writeback of each chunk as it is written, so that
// the fsync before the rename finds the file mostly on disk already.
type writebackFile struct {
	f                *os.File
	written, flushed int64 // bytes written to f; bytes whose writeback was started
}

func (w *writebackFile) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.flushed >= writebackChunk {
		startWriteback(w.f, w.flushed, w.written-w.flushed)
		w.flushed = w.written
	}
	return n, err
}
