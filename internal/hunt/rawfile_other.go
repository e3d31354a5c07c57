//go:build !unix

package hunt

import (
	"io"
	"os"
)

// openLogFile opens a log file of an offline copy.
func openLogFile(p string) (io.ReadCloser, error) { return os.Open(p) }
