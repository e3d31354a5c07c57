package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// outputFile is a file a command writes: a report (-o), a snapshot
// (--save-snapshot), a report per format (--output-dir), keys, a plan.
// Every command checks all its outputs with checkOutputs before its first
// AWS call, so that a typo in a path costs nothing, and writes each one with
// write, so that one that fails never stops the others being written.
//
// A regular file is written to a temporary file beside it and renamed over
// it once complete: a reader never sees half a report, and a failed run
// leaves the old one. Anything else (a symbolic link, a device such as
// /dev/stdout, a named pipe) is written in place, through the link: a
// rename would replace the link or the device with a plain file.
type outputFile struct {
	flag   string // how errors name it: "--output"
	path   string // "" or "-": standard output
	stdout io.Writer
	// perm of a new file (a replaced file keeps its own) and of the
	// folders made for it.
	perm, dirPerm fs.FileMode
	// inPlace: write through the path, no temporary file.
	inPlace bool
	checked bool
}

// newOutput is the output a flag names; "" and "-" are standard output.
func newOutput(g *globals, flag, path string) *outputFile {
	return &outputFile{flag: flag, path: path, stdout: g.stdout, perm: 0o644, dirPerm: 0o755}
}

// toStdout reports whether the output goes to standard output.
func (o *outputFile) toStdout() bool { return o.path == "" || o.path == "-" }

// name is what messages call the output: the flag and the path.
func (o *outputFile) name() string { return o.flag + " " + o.path }

// check makes sure the output can be written: an existing folder, a
// symbolic link to nothing or a socket are refused; missing parent folders
// are created; the folder of a regular file must take a new file (for the
// rename), else the file itself must be writable in place.
func (o *outputFile) check() error {
	if o.toStdout() {
		return nil
	}
	err := o.inspect()
	if err != nil {
		return usageError("%s: %s", o.name(), pathProblem(err))
	}
	o.checked = true
	return nil
}

func (o *outputFile) inspect() error {
	fi, err := os.Lstat(o.path)
	if errors.Is(err, fs.ErrNotExist) {
		dir := filepath.Dir(o.path)
		if err := os.MkdirAll(dir, o.dirPerm); err != nil {
			return err
		}
		return probeFolder(dir)
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		o.inPlace = true
		if fi, err = os.Stat(o.path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return errors.New("a symbolic link to a file that does not exist")
			}
			return err
		}
	}
	switch mode := fi.Mode(); {
	case mode.IsDir():
		return errors.New("is a folder, not a file")
	case mode&fs.ModeSocket != 0:
		return errors.New("is a socket, not a file")
	case mode&fs.ModeNamedPipe != 0:
		// Opening a pipe to check it would wait for its reader.
		o.inPlace = true
		return nil
	case !mode.IsRegular():
		o.inPlace = true
		return probeOpen(o.path)
	}
	o.perm = fi.Mode().Perm()
	if o.inPlace {
		return probeOpen(o.path)
	}
	if err := probeFolder(filepath.Dir(o.path)); err != nil {
		// No new file in the folder, but the file itself may be
		// writable: write it in place.
		if probeOpen(o.path) == nil {
			o.inPlace = true
			return nil
		}
		return err
	}
	return nil
}

// probeFolder checks that dir takes a new file.
func probeFolder(dir string) error {
	f, err := os.CreateTemp(dir, ".trailseal-check-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// probeOpen checks that an existing file opens for writing, without
// changing it.
func probeOpen(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// pathProblem is the reason of a file error without the path, which the
// message already names.
func pathProblem(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, fs.ErrNotExist) || strings.Contains(pe.Err.Error(), "not a directory") {
			return pe.Err.Error() + " (a part of the path is missing or not a folder)"
		}
		return pe.Err.Error()
	}
	return err.Error()
}

// write writes the output with fn, buffered. A regular file is replaced
// only once fn and every write succeeded.
func (o *outputFile) write(fn func(io.Writer) error) error {
	if o.toStdout() {
		return fn(o.stdout)
	}
	if !o.checked {
		if err := o.check(); err != nil {
			return err
		}
	}
	var err error
	if o.inPlace {
		err = o.writeInPlace(fn)
	} else {
		err = o.writeAndRename(fn)
	}
	if err != nil {
		return fmt.Errorf("write %s: %s", o.name(), pathProblem(err))
	}
	return nil
}

// writeBytes writes data to the output.
func (o *outputFile) writeBytes(data []byte) error {
	return o.write(func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func (o *outputFile) writeInPlace(fn func(io.Writer) error) error {
	f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, o.perm)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = fn(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (o *outputFile) writeAndRename(fn func(io.Writer) error) error {
	dir, base := filepath.Split(o.path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if err := fn(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Chmod(o.perm); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	done = true
	if err := os.Rename(tmp.Name(), o.path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// checkOutputs checks every output before any AWS call and reports every
// bad one, in one line. Two outputs naming the same file are refused: the
// second would overwrite the first.
func checkOutputs(outs ...*outputFile) error {
	var problems []string
	seen := map[string]string{}
	for _, o := range outs {
		if o == nil || o.toStdout() {
			continue
		}
		if abs, err := filepath.Abs(o.path); err == nil {
			if other, dup := seen[abs]; dup {
				problems = append(problems, fmt.Sprintf("%s and %s name the same file", other, o.name()))
				continue
			}
			seen[abs] = o.name()
		}
		if err := o.check(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return usageError("%s", strings.Join(problems, "; "))
	}
	return nil
}

// joinErrors joins the errors of writes that went on after one another
// failed into one error of one line; nil when all succeeded. A single
// error is returned as it is, so that its exit code stays.
func joinErrors(errs ...error) error {
	var msgs []string
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if first == nil {
			first = err
		}
		msgs = append(msgs, err.Error())
	}
	switch len(msgs) {
	case 0:
		return nil
	case 1:
		return first
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}
