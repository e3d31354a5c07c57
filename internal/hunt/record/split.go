package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// DefaultMaxRecord bounds the bytes held for one record (and for the part
// of a top-level object read before its "Records" key). CloudTrail records
// are far smaller; the bound keeps a malformed file from taking the
// machine's memory.
const DefaultMaxRecord = 64 << 20

// ErrTruncated marks input that ends inside a record or a log file.
var ErrTruncated = errors.New("unexpected end of data: the file is cut short")

// Splitter is an io.Writer that splits a stream of CloudTrail JSON into
// records as the bytes arrive. It accepts, in any mix:
//
//   - CloudTrail log files: {"Records":[{...},{...}]} (the elements of the
//     array are the records; other members of the object are ignored);
//   - JSON Lines or concatenated objects, one record each (CloudTrail Lake,
//     Athena and SIEM exports);
//   - JSON arrays of records.
//
// A top-level object is a log file when it has a "Records" member holding
// an array, and a record otherwise. Keys are matched case-insensitively, as
// encoding/json matches struct fields, so the records handed over are the
// ones encoding/json would decode.
//
// Why not encoding/json's Decoder: it runs every byte through its state
// machine and decodes every record, about 200 MB/s here, a quarter of the
// speed of gunzip alone. The Splitter only finds the ends of strings
// (bytes.IndexByte) and counts brackets between them, and reads the keys of
// each record's top level to find its eventName; a record is decoded only
// when that name is one the caller wants. Records it skips are checked for
// balance but not fully validated; the ones it hands over are decoded by
// encoding/json, which validates them.
type Splitter struct {
	// Names selects the records handed to Emit by their eventName; nil
	// hands over every record.
	Names map[string]bool
	// Emit receives a selected record's bytes, valid only during the call,
	// and the record's 0-based position among the stream's records.
	Emit func(raw []byte, index int) error
	// MaxRecord bounds one record; 0 means DefaultMaxRecord.
	MaxRecord int

	buf   []byte // the bytes being scanned: the caller's or store
	store []byte // what is kept between writes (an unfinished record)
	off   int64  // stream offset of buf[0], for messages
	pos   int    // scan position in buf

	depth    int
	mode     splitMode
	inStr    bool
	strStart int

	keyDepth int  // the depth whose object keys are read (0: none)
	keyNext  bool // the next string at keyDepth is a key
	lastKey  keyKind

	recStart int // buf offset of the current record's '{', -1 outside one
	wanted   bool
	records  int
	started  bool
	err      error
}

type splitMode uint8

const (
	modeTop         splitMode = iota // between top-level values
	modeTopObject                    // in a top-level object: a record or a log file
	modeRecordsList                  // in a log file's Records array
	modeFileTail                     // in a log file after its Records array
	modeArray                        // in a top-level array of records
)

type keyKind uint8

const (
	keyOther keyKind = iota
	keyEventName
	keyRecords
)

// Records returns how many records the stream held so far.
func (s *Splitter) Records() int { return s.records }

// Write implements io.Writer.
func (s *Splitter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if !s.started {
		s.started = true
		s.recStart = -1
	}
	// With nothing held over, p is scanned where it is and only the
	// unfinished record at its end is copied.
	inPlace := len(s.buf) == 0
	if inPlace {
		s.buf = p
	} else {
		s.buf = append(s.buf, p...)
	}
	if err := s.scan(); err != nil {
		s.err = err
		return 0, err
	}
	s.compact(inPlace)
	return len(p), nil
}

// Close reports input that ended inside a value.
func (s *Splitter) Close() error {
	if s.err != nil {
		return s.err
	}
	if s.inStr || s.depth != 0 {
		s.err = ErrTruncated
	}
	return s.err
}

// scan advances pos through buf as far as the bytes allow. The position
// lives in a local while it runs (the helpers it calls read s.pos, so it
// is stored before each call).
func (s *Splitter) scan() error {
	buf := s.buf
	pos := s.pos
	for pos < len(buf) {
		if s.inStr {
			s.pos = pos
			done := s.endString(buf)
			pos = s.pos
			if !done {
				break
			}
			continue
		}
		c := buf[pos]
		switch c {
		case ' ', '\t', '\n', '\r', ':':
		case '"':
			if s.mode == modeTop || s.atElement() {
				s.pos = pos
				return s.notRecord(c)
			}
			// Nearly every string ends within buf with no backslash
			// before its closing quote: take it in one step.
			if j := bytes.IndexByte(buf[pos+1:], '"'); j >= 0 && buf[pos+j] != '\\' {
				q := pos + 1 + j
				if s.depth == s.keyDepth && s.keyDepth > 0 {
					s.stringAtKeyDepth(buf[pos+1 : q])
				}
				pos = q + 1
				continue
			}
			s.inStr, s.strStart = true, pos
		case ',':
			if s.depth == s.keyDepth {
				s.keyNext = true
			}
		case '{', '[':
			if s.keyDepth > 0 && s.depth > s.keyDepth {
				s.depth++ // a value nested in a record's value
				break
			}
			s.pos = pos
			if err := s.open(c); err != nil {
				return err
			}
		case '}', ']':
			if s.keyDepth > 0 && s.depth > s.keyDepth {
				s.depth-- // the end of a value nested in a record's value
				break
			}
			s.pos = pos
			if err := s.close(c); err != nil {
				return err
			}
		default:
			if s.mode == modeTop && s.off+int64(pos) < 3 && (c == 0xef || c == 0xbb || c == 0xbf) {
				break // a UTF-8 byte order mark
			}
			if s.mode == modeTop || s.atElement() {
				s.pos = pos
				return s.notRecord(c)
			}
		}
		pos++
	}
	s.pos = pos
	max := s.MaxRecord
	if max <= 0 {
		max = DefaultMaxRecord
	}
	if s.recStart >= 0 && len(buf)-s.recStart > max {
		return fmt.Errorf("record %d at offset %d is larger than %d bytes", s.records, s.off+int64(s.recStart), max)
	}
	return nil
}

// endString looks for the quote that ends the string begun at strStart.
// It returns false when the string does not end within buf yet.
func (s *Splitter) endString(buf []byte) bool {
	for {
		j := bytes.IndexByte(buf[s.pos:], '"')
		if j < 0 {
			s.pos = len(buf)
			return false
		}
		q := s.pos + j
		s.pos = q + 1
		if q == s.strStart {
			continue // the opening quote
		}
		n := 0
		for k := q - 1; k > s.strStart && buf[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			s.inStr = false
			if s.depth == s.keyDepth && s.keyDepth > 0 {
				s.stringAtKeyDepth(buf[s.strStart+1 : q])
			}
			return true
		}
	}
}

// stringAtKeyDepth handles a key or string value of the object whose keys
// are read: it notes which key came, and the eventName value.
func (s *Splitter) stringAtKeyDepth(raw []byte) {
	if s.keyNext {
		s.keyNext = false
		s.lastKey = classifyKey(raw)
		return
	}
	if s.lastKey == keyEventName && (s.Names == nil || s.Names[string(unquote(raw))]) {
		s.wanted = true
	}
}

// classifyKey tells eventName and Records keys from the others, matching
// as encoding/json does (case-insensitively, escapes resolved). Most keys
// are told apart by their length alone.
func classifyKey(raw []byte) keyKind {
	switch {
	case len(raw) < 7:
		return keyOther
	case len(raw) == 9 && asciiFold(raw, "eventname"):
		return keyEventName
	case len(raw) == 7 && asciiFold(raw, "records"):
		return keyRecords
	}
	for _, c := range raw {
		if c == '\\' || c >= utf8.RuneSelf {
			// Escapes or non-ASCII letters that fold to ASCII ones.
			key := unquote(raw)
			switch {
			case bytes.EqualFold(key, []byte("eventName")):
				return keyEventName
			case bytes.EqualFold(key, []byte("Records")):
				return keyRecords
			}
			return keyOther
		}
	}
	return keyOther
}

// asciiFold reports whether b equals the lower-case ASCII word w, ignoring
// case. Only 'X' and 'x' OR 0x20 to 'x', so letters compare exactly.
func asciiFold(b []byte, w string) bool {
	for i := range len(b) {
		if b[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

// unquote returns a JSON string's content as encoding/json decodes it:
// escapes resolved, invalid UTF-8 replaced. Strings with neither, which is
// nearly all, are returned as they are.
func unquote(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return raw
	}
	var out string
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	if err := json.Unmarshal(q, &out); err != nil {
		return raw
	}
	return []byte(out)
}

func (s *Splitter) open(c byte) error {
	s.depth++
	switch s.mode {
	case modeTop:
		if c == '[' {
			s.mode = modeArray
			return nil
		}
		s.mode = modeTopObject
		s.beginRecord(1)
	case modeTopObject:
		if s.depth == 2 && c == '[' && s.lastKey == keyRecords && !s.keyNext {
			// A log file: what was held of the object is not a record.
			s.mode = modeRecordsList
			s.recStart, s.keyDepth = -1, 0
		}
	case modeRecordsList:
		if s.depth == 3 {
			if c != '{' {
				return s.notRecord(c)
			}
			s.beginRecord(3)
		}
	case modeArray:
		if s.depth == 2 {
			if c != '{' {
				return s.notRecord(c)
			}
			s.beginRecord(2)
		}
	}
	return nil
}

func (s *Splitter) beginRecord(keyDepth int) {
	s.recStart = s.pos
	s.keyDepth, s.keyNext, s.lastKey = keyDepth, true, keyOther
	s.wanted = false
}

func (s *Splitter) close(c byte) error {
	if s.depth == 0 {
		return s.unexpected(c)
	}
	var err error
	switch s.mode {
	case modeTopObject:
		if s.depth == 1 {
			err = s.endRecord(c)
			s.mode = modeTop
		}
	case modeRecordsList:
		switch s.depth {
		case 3:
			err = s.endRecord(c)
		case 2:
			s.mode = modeFileTail
		}
	case modeFileTail:
		if s.depth == 1 {
			s.mode = modeTop
		}
	case modeArray:
		switch s.depth {
		case 2:
			err = s.endRecord(c)
		case 1:
			s.mode = modeTop
		}
	}
	s.depth--
	return err
}

func (s *Splitter) endRecord(c byte) error {
	if c != '}' {
		return s.unexpected(c)
	}
	idx := s.records
	s.records++
	raw := s.buf[s.recStart : s.pos+1]
	wanted := s.Emit != nil && (s.Names == nil || s.wanted)
	s.recStart, s.keyDepth, s.wanted = -1, 0, false
	if wanted {
		return s.Emit(raw, idx)
	}
	return nil
}

// atElement reports whether pos is where an element of a list of records
// begins (a value other than an object there is not a record).
func (s *Splitter) atElement() bool {
	return s.mode == modeArray && s.depth == 1 || s.mode == modeRecordsList && s.depth == 2
}

func (s *Splitter) notRecord(c byte) error {
	if s.mode == modeTop {
		return s.unexpected(c)
	}
	return fmt.Errorf("record %d at offset %d is not a JSON object (starts with %q)", s.records, s.off+int64(s.pos), c)
}

func (s *Splitter) unexpected(c byte) error {
	return fmt.Errorf("unexpected %q at offset %d: not CloudTrail JSON (a log file, JSON Lines or an array of records)", c, s.off+int64(s.pos))
}

// compact keeps the bytes still needed (the current record, or the
// current string, or nothing) in store and drops the rest.
func (s *Splitter) compact(inPlace bool) {
	keep := s.pos
	if s.inStr && s.strStart < keep {
		keep = s.strStart
	}
	if s.recStart >= 0 && s.recStart < keep {
		keep = s.recStart
	}
	tail := s.buf[keep:]
	if inPlace {
		s.store = append(s.store[:0], tail...)
	} else {
		s.store = s.buf[:copy(s.buf, tail)]
	}
	s.buf = s.store
	s.pos -= keep
	s.strStart -= keep
	if s.recStart >= 0 {
		s.recStart -= keep
	}
	s.off += int64(keep)
}

// Reuse gives the Splitter a buffer to keep unfinished records in (one
// from an earlier Splitter, for example) and returns the one it had, so
// that reading many files does not allocate a buffer per file.
func (s *Splitter) Reuse(buf []byte) []byte {
	old := s.store
	s.store, s.buf = buf[:0], buf[:0]
	return old
}
