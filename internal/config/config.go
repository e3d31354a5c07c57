// Package config reads trailseal's optional YAML configuration file. Command
// line flags override what it sets.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/goccy/go-yaml"
)

// File is the configuration file's content. Every field is optional; a nil
// pointer means "not set".
type File struct {
	Regions           []string `yaml:"regions"`
	MinRetentionDays  *int     `yaml:"min-retention-days"`
	LogArchiveAccount *string  `yaml:"log-archive-account"`
	FailOn            *string  `yaml:"fail-on"`
	Rules             []string `yaml:"rules"`
	Concurrency       *int     `yaml:"concurrency"`
	// FullAccessAllowList names principal ARNs that may hold
	// AWSCloudTrail_FullAccess.
	FullAccessAllowList []string `yaml:"full-access-allow-list"`
	FullAccessLimit     *int     `yaml:"full-access-limit"`
	// Store is the history store URL (sqlite:PATH or postgres://...) that
	// scans write to and 'history' and 'diff' read; "off" disables it.
	Store *string `yaml:"store"`
}

// Load reads and strictly decodes path: unknown keys are errors, so that a
// misspelt setting is never silently ignored.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("config %s: %v", path, err)
	}
	var f File
	if len(bytes.TrimSpace(data)) == 0 {
		return &f, nil
	}
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("config %s: %s", path, oneLine(err))
	}
	if f.MinRetentionDays != nil && *f.MinRetentionDays < 1 {
		return nil, fmt.Errorf("config %s: min-retention-days must be at least 1, got %d", path, *f.MinRetentionDays)
	}
	if f.Concurrency != nil && *f.Concurrency < 1 {
		return nil, fmt.Errorf("config %s: concurrency must be at least 1, got %d", path, *f.Concurrency)
	}
	return &f, nil
}

// oneLine keeps the first line of a go-yaml error, which carries the
// position ("[3:1] unknown field ..."); the rest is a source excerpt.
func oneLine(err error) string {
	msg := yaml.FormatError(err, false, false)
	if i := bytes.IndexByte([]byte(msg), '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}
