//go:build unix

package hunt

import (
	"io"
	"os"
	"syscall"
)

// openLogFile opens a log file of an offline copy with plain system calls.
// os.Open registers every file with the runtime's poller (four fcntl and an
// epoll_ctl that fails for a regular file), which for a hundred thousand
// small log files costs more system calls than reading them.
func openLogFile(p string) (io.ReadCloser, error) {
	for {
		fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: p, Err: err}
		}
		return rawFile(fd), nil
	}
}

type rawFile int

func (f rawFile) Read(b []byte) (int, error) {
	for {
		n, err := syscall.Read(int(f), b)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f rawFile) Close() error { return syscall.Close(int(f)) }
