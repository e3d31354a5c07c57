package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Postgres is a throwaway PostgreSQL cluster on loopback, created with
// initdb in a temporary directory and run with pg_ctl. Tests that need a
// real server (the history store's suite) start one and create a database
// per test in it.
type Postgres struct {
	// URL connects as the cluster's superuser to the "postgres" database,
	// for example postgres://postgres@127.0.0.1:41234/postgres?sslmode=disable.
	URL  string
	Port int

	dir   string // parent of the data directory, removed by Stop
	data  string
	pgCtl string
	cred  *syscall.Credential
	once  sync.Once
}

// pgBinDirs are where Debian's postgresql packages put the server binaries;
// they are not on PATH unless something links them there.
var pgBinDirs = []string{"/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin"}

// findPGTool finds a PostgreSQL server program on PATH or in the Debian
// locations.
func findPGTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, pattern := range pgBinDirs {
		matches, _ := filepath.Glob(filepath.Join(pattern, name))
		if len(matches) > 0 {
			// The highest major version: 15 before 9.6.
			slices.SortFunc(matches, func(a, b string) int { return pgMajor(b) - pgMajor(a) })
			return matches[0], nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH nor in %s: install PostgreSQL (Debian: apt-get install postgresql); the store tests need a real server",
		name, strings.Join(pgBinDirs, ", "))
}

// StartPostgres creates a cluster with initdb (trust authentication, no
// password) in a new temporary directory and starts it with pg_ctl on a
// free loopback port, its socket in the same directory. The server refuses
// to run as root, so when the tests run as root the directory is handed to
// the user "nobody" and both programs run as nobody.
func StartPostgres() (*Postgres, error) {
	initdb, err := findPGTool("initdb")
	if err != nil {
		return nil, err
	}
	pgCtl, err := findPGTool("pg_ctl")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "trailseal-pg-*")
	if err != nil {
		return nil, err
	}
	p := &Postgres{dir: dir, data: filepath.Join(dir, "data"), pgCtl: pgCtl}
	if os.Geteuid() == 0 {
		if p.cred, err = nobody(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := os.Chown(dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("hand %s to nobody: %w", dir, err)
		}
	}
	if out, err := p.command(initdb, "-D", p.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, lastLines(out, 5))
	}
	if err := p.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// start picks a free port and starts the server on it, retrying on another
// port if one was taken between the choice and the bind.
func (p *Postgres) start() error {
	var lastErr error
	logPath := filepath.Join(p.dir, "server.log")
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c max_connections=100", port, p.dir)
		out, err := p.command(p.pgCtl, "start", "-D", p.data, "-l", logPath, "-w", "-t", "60", "-o", opts).CombinedOutput()
		if err == nil {
			p.Port = port
			p.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return nil
		}
		log, _ := os.ReadFile(logPath)
		lastErr = fmt.Errorf("pg_ctl start: %v: %s %s", err, bytes.TrimSpace(out), lastLines(log, 5))
		time.Sleep(200 * time.Millisecond)
	}
	return lastErr
}

// DatabaseURL returns the URL of database name in this cluster.
func (p *Postgres) DatabaseURL(name string) string {
	return strings.Replace(p.URL, "/postgres?", "/"+name+"?", 1)
}

// Stop stops the server at once (pg_ctl -m immediate) and removes the
// cluster.
func (p *Postgres) Stop() {
	p.once.Do(func() {
		p.command(p.pgCtl, "stop", "-D", p.data, "-m", "immediate", "-w").Run()
		os.RemoveAll(p.dir)
	})
}

// command runs a PostgreSQL program, as nobody when the tests run as root.
func (p *Postgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = p.dir
	// Locale and PG* variables of the test environment must not leak into
	// the cluster; HOME must be readable by nobody.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + p.dir, "LC_ALL=C", "TZ=UTC"}
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// pgMajor reads the major version from .../postgresql/<version>/bin/<tool>.
func pgMajor(path string) int {
	v := filepath.Base(filepath.Dir(filepath.Dir(path)))
	major, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return major
}

func nobody() (*syscall.Credential, error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root and there is no user nobody to run PostgreSQL as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
