package store

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrInvalid marks a store that cannot be used as given: a malformed URL, a
// path that is not a SQLite database, a store written by a newer trailseal.
// The CLI reports it as a usage error.
var ErrInvalid = errors.New("invalid store")

// ErrNotFound marks a SQLite store file that does not exist when it was
// opened for reading only.
var ErrNotFound = errors.New("no such store")

// Kind is a store backend.
type Kind string

// Backends.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Location is a parsed store URL.
type Location struct {
	Kind Kind
	// Path is the SQLite database file.
	Path string
	// URL is the PostgreSQL connection URL.
	URL string
}

// String returns the location as the user would write it, with any
// password replaced by "xxxxx".
func (l Location) String() string {
	if l.Kind == SQLite {
		return "sqlite:" + l.Path
	}
	if u, err := url.Parse(l.URL); err == nil {
		return u.Redacted()
	}
	return "postgres://..."
}

// ParseLocation reads a store URL: sqlite:PATH, or postgres://... (also
// postgresql://). The value "default" stands for DefaultPath.
func ParseLocation(s string) (Location, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "default":
		p, err := DefaultPath()
		if err != nil {
			return Location{}, err
		}
		return Location{Kind: SQLite, Path: p}, nil
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if p == "" {
			return Location{}, fmt.Errorf("%w: %q has no path (want sqlite:PATH)", ErrInvalid, s)
		}
		if strings.ContainsAny(p, "?#") {
			return Location{}, fmt.Errorf("%w: %q: a SQLite path may not contain '?' or '#'", ErrInvalid, s)
		}
		if rest, ok := strings.CutPrefix(p, "~/"); ok {
			home, err := os.UserHomeDir()
			if err != nil {
				return Location{}, fmt.Errorf("%w: %q: %v", ErrInvalid, s, err)
			}
			p = filepath.Join(home, rest)
		}
		return Location{Kind: SQLite, Path: filepath.Clean(p)}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil {
			return Location{}, fmt.Errorf("%w: malformed PostgreSQL URL: %v", ErrInvalid, redactURLError(err))
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return Location{}, fmt.Errorf("%w: PostgreSQL URL %s names no host", ErrInvalid, u.Redacted())
		}
		return Location{Kind: Postgres, URL: s}, nil
	}
	return Location{}, fmt.Errorf("%w: %q is not a store URL: want sqlite:PATH or postgres://USER@HOST/DB", ErrInvalid, redactPlain(s))
}

// DefaultPath is the SQLite store used when --store is given without a
// value: history.db in trailseal's directory of the user's data directory
// ($XDG_DATA_HOME or ~/.local/share on Linux and BSD, ~/Library/Application
// Support on macOS, %LocalAppData% on Windows). The standard library knows
// the user's config and cache directories but not the data directory, and
// the rule is too short to take a dependency for.
func DefaultPath() (string, error) {
	dir, err := dataDir()
	if err != nil {
		return "", fmt.Errorf("%w: cannot find the user's data directory for the default store (give --store sqlite:PATH): %v", ErrInvalid, err)
	}
	return filepath.Join(dir, "trailseal", "history.db"), nil
}

func dataDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%LocalAppData% is not set")
	case "darwin", "ios":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "Application Support"), nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share"), nil
}

// redactURLError keeps a url.Parse error from echoing a password.
func redactURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// redactPlain hides the password of a URL of another scheme
// (mysql://user:secret@host), or what looks like one in a string that does
// not parse (user:secret@host).
func redactPlain(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		return u.Redacted()
	}
	if at := strings.LastIndex(s, "@"); at > 0 {
		if colon := strings.LastIndex(s[:at], ":"); colon >= 0 {
			return s[:colon+1] + "xxxxx" + s[at:]
		}
	}
	return s
}
