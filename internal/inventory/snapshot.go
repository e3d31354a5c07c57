package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrSnapshot marks a snapshot that cannot be used (unreadable, malformed or
// of another schema version). The CLI maps it to a usage error.
var ErrSnapshot = errors.New("invalid snapshot")

// Write encodes inv as indented JSON.
func Write(w io.Writer, inv *Inventory) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

// Save writes inv to path, replacing it atomically.
func Save(path string, inv *Inventory) error {
	var buf bytes.Buffer
	if err := Write(&buf, inv); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

// Load reads a snapshot file written by Save.
func Load(path string) (*Inventory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSnapshot, path, unwrapPathError(err))
	}
	inv, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return inv, nil
}

// Decode parses and validates snapshot JSON.
func Decode(data []byte) (*Inventory, error) {
	var probe struct {
		SchemaVersion *int `json:"schemaVersion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: not valid JSON: %s", ErrSnapshot, describeJSONError(data, err))
	}
	if probe.SchemaVersion == nil {
		return nil, fmt.Errorf("%w: no schemaVersion field; is this a trailseal snapshot?", ErrSnapshot)
	}
	if *probe.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%w: schema version %d, this build reads version %d", ErrSnapshot, *probe.SchemaVersion, SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var inv Inventory
	if err := dec.Decode(&inv); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrSnapshot, describeJSONError(data, err))
	}
	if inv.Account.ID == "" {
		return nil, fmt.Errorf("%w: account.id is empty", ErrSnapshot)
	}
	return &inv, nil
}

func describeJSONError(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return fmt.Sprintf("line %d, column %d: %v", line, col, syn)
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		return fmt.Sprintf("line %d, column %d: field %q: cannot use %s as %s", line, col, typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of file"
	}
	return err.Error()
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}

func unwrapPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return strings.TrimSpace(pe.Err.Error())
	}
	return err.Error()
}

// Bucket returns the bucket with the given name, or nil.
func (inv *Inventory) Bucket(name string) *Bucket {
	for i := range inv.Buckets {
		if inv.Buckets[i].Name == name {
			return &inv.Buckets[i]
		}
	}
	return nil
}

// Key returns the KMS key a trail names (by ARN, or by the trail's KmsKeyId
// as recorded), or nil.
func (inv *Inventory) Key(id string) *KMSKey {
	for i := range inv.Keys {
		k := &inv.Keys[i]
		if k.ARN == id || (k.Metadata.Value != nil && k.Metadata.Value.KeyID == id) {
			return k
		}
	}
	return nil
}

// LogGroup returns the log group with the given ARN (with or without the
// trailing ":*"), or nil.
func (inv *Inventory) LogGroup(arn string) *LogGroup {
	arn = strings.TrimSuffix(arn, ":*")
	for i := range inv.LogGroups {
		if strings.TrimSuffix(inv.LogGroups[i].ARN, ":*") == arn {
			return &inv.LogGroups[i]
		}
	}
	return nil
}

// Topic returns the SNS topic with the given ARN, or nil.
func (inv *Inventory) Topic(arn string) *SNSTopic {
	for i := range inv.Topics {
		if inv.Topics[i].ARN == arn {
			return &inv.Topics[i]
		}
	}
	return nil
}

// ConfigRegion returns the AWS Config state for region, or nil.
func (inv *Inventory) ConfigRegion(region string) *ConfigRegion {
	for i := range inv.ConfigRecorders {
		if inv.ConfigRecorders[i].Region == region {
			return &inv.ConfigRecorders[i]
		}
	}
	return nil
}
