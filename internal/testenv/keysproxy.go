package testenv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PublicKey is one key KeysProxy serves from CloudTrail ListPublicKeys in
// its Region.
type PublicKey struct {
	DER         []byte
	Fingerprint string
	From, To    time.Time
	Region      string
}

// KeysProxy sits in front of an emulator and answers what emulators do not
// implement, as the API references describe it; everything else is
// forwarded. Simulated:
//
//   - CloudTrail ListPublicKeys, per region: the region is the one the
//     request is signed for, and each region answers with its own keys
//     only ("CloudTrail uses different private and public key pairs per
//     Region. Each digest file is signed with a private key unique to its
//     Region. When you validate a digest file from a specific Region, you
//     must look in the same Region for its corresponding public key",
//     ListPublicKeys API reference). Keys are returned when their validity
//     overlaps StartTime..EndTime.
//   - Account Management ListRegions (POST /listRegions): the account's
//     regions with RegionOptStatus ENABLED_BY_DEFAULT, ENABLED or
//     DISABLED, filtered by RegionOptStatusContains, paged by MaxResults
//     and NextToken, for the caller's account or the AccountId asked.
//
// It also writes x-amz-meta-* response header names in lower case as S3
// does (Go canonicalises them, and the AWS CLI then misses the digest
// signature), counts calls by operation, injects faults, and can add a
// fixed latency to every request to simulate a remote region.
type KeysProxy struct {
	URL string

	srv      *http.Server
	ln       net.Listener
	mu       sync.Mutex
	keys     map[string][]PublicKey // by region
	fail     bool
	failList bool
	regions  map[string]map[string]string // account ("" = any) -> region -> opt status
	latency  time.Duration
	calls    map[string]int // "cloudtrail:ListPublicKeys@us-east-1", "s3:ListObjectVersions", ...
	faults   []*fault
	trails   []Trail // answered for DescribeTrails when set (servers without CloudTrail)
	org      *Organization
}

// Organization is what the simulated Organizations answers, for a target
// that is an S3 server only (the benchmark's MinIO).
type Organization struct {
	ID, Management string
	Accounts       []string // member accounts, the management account included
	Joined         time.Time
}

// Trail is what the simulated DescribeTrails answers for a trail.
type Trail struct {
	ARN, Name, HomeRegion, Bucket string
	MultiRegion                   bool
	Organization                  bool // IsOrganizationTrail
}

// fault is an injected failure for requests whose path contains match.
type fault struct {
	match  string
	status int    // 0: cut the connection halfway through the body instead
	code   string // S3 error code for status
	left   int
}

// StartKeysProxy starts the proxy in front of target, serving keys each in
// its own region (a key without a region is an error: CloudTrail has no
// key that signs for every region).
func StartKeysProxy(target string, keys ...PublicKey) (*KeysProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	byRegion, err := keysByRegion(keys)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &KeysProxy{URL: "http://" + ln.Addr().String(), ln: ln, keys: byRegion, calls: map[string]int{},
		regions: map[string]map[string]string{"": DefaultRegions()}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		delay := p.latency
		p.mu.Unlock()
		if delay > 0 {
			time.Sleep(delay)
		}
		if f := p.takeFault(r.URL.Path); f != nil {
			if f.status != 0 {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(f.status)
				io.WriteString(w, "<Error><Code>"+f.code+"</Code><Message>simulated</Message></Error>")
				return
			}
			cutBody(w, r, rp)
			return
		}
		_, region, service := CredentialScope(r.Header.Get("Authorization"))
		switch {
		case strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ListPublicKeys"):
			p.count("cloudtrail:ListPublicKeys@" + region)
			p.listPublicKeys(w, r, region)
			return
		case strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".DescribeTrails") && p.describesTrails():
			p.count("cloudtrail:DescribeTrails")
			p.describeTrails(w)
			return
		case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSOrganizationsV20161128.") && p.organization() != nil:
			op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSOrganizationsV20161128.")
			p.count("organizations:" + op)
			p.answerOrganizations(w, r, op)
			return
		case service == "account" && r.URL.Path == "/listRegions":
			p.count("account:ListRegions")
			p.listRegions(w, r)
			return
		case service == "s3":
			name := OperationOf(r, nil).Name
			if name == "GetObject" && r.URL.Query().Has("versionId") {
				name = "GetObjectVersion" // GetObject of one version, counted apart
			}
			p.count("s3:" + name)
		}
		rp.ServeHTTP(&lowerMetaWriter{ResponseWriter: w}, r)
	})}
	go p.srv.Serve(ln)
	return p, nil
}

// Fail answers the next n requests whose path contains match with an S3
// error (for example 503 SlowDown, 500 InternalError, 403 AccessDenied).
func (p *KeysProxy) Fail(match string, status int, code string, n int) {
	p.mu.Lock()
	p.faults = append(p.faults, &fault{match: match, status: status, code: code, left: n})
	p.mu.Unlock()
}

// CutBody makes the next n GETs whose path contains match send the status
// line, headers and half of the body, then drop the connection, as a
// connection reset does.
func (p *KeysProxy) CutBody(match string, n int) {
	p.mu.Lock()
	p.faults = append(p.faults, &fault{match: match, left: n})
	p.mu.Unlock()
}

func (p *KeysProxy) takeFault(path string) *fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.faults {
		if f.left > 0 && strings.Contains(path, f.match) {
			f.left--
			return f
		}
	}
	return nil
}

// cutBody fetches the real answer, then sends only half of it and closes
// the connection.
func cutBody(w http.ResponseWriter, r *http.Request, rp http.Handler) {
	rec := &recorder{header: http.Header{}}
	rp.ServeHTTP(rec, r)
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	w.Write(rec.body.Bytes()[:rec.body.Len()/2])
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
		}
	}
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int)   { r.status = s }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func keysByRegion(keys []PublicKey) (map[string][]PublicKey, error) {
	out := map[string][]PublicKey{}
	for _, k := range keys {
		if k.Region == "" {
			return nil, fmt.Errorf("testenv: key %s has no region; CloudTrail's keys each belong to one region", k.Fingerprint)
		}
		out[k.Region] = append(out[k.Region], k)
	}
	return out, nil
}

// SetKeys replaces the served keys.
func (p *KeysProxy) SetKeys(keys ...PublicKey) error {
	byRegion, err := keysByRegion(keys)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.keys = byRegion
	p.mu.Unlock()
	return nil
}

// SetRegions sets the regions ListRegions reports for account ("" for any
// account not set on its own): region -> ENABLED_BY_DEFAULT, ENABLED or
// DISABLED.
func (p *KeysProxy) SetRegions(account string, regions map[string]string) {
	p.mu.Lock()
	p.regions[account] = regions
	p.mu.Unlock()
}

// SetTrails makes the proxy answer CloudTrail DescribeTrails itself with
// trails, for a target that is an S3 server only (the benchmark's MinIO).
func (p *KeysProxy) SetTrails(trails ...Trail) {
	p.mu.Lock()
	p.trails = trails
	p.mu.Unlock()
}

func (p *KeysProxy) describesTrails() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.trails != nil
}

// describeTrails answers DescribeTrails with the trails set, in the
// response syntax of its API reference (trailList of Trail objects).
func (p *KeysProxy) describeTrails(w http.ResponseWriter) {
	p.mu.Lock()
	trails := p.trails
	p.mu.Unlock()
	type trail struct {
		Name, TrailARN, HomeRegion, S3BucketName                          string
		IsMultiRegionTrail, LogFileValidationEnabled, IsOrganizationTrail bool
	}
	out := struct {
		TrailList []trail `json:"trailList"`
	}{TrailList: []trail{}}
	for _, t := range trails {
		out.TrailList = append(out.TrailList, trail{Name: t.Name, TrailARN: t.ARN, HomeRegion: t.HomeRegion, S3BucketName: t.Bucket,
			IsMultiRegionTrail: t.MultiRegion, LogFileValidationEnabled: true, IsOrganizationTrail: t.Organization})
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

// SetOrganization makes the proxy answer Organizations DescribeOrganization
// and ListAccounts itself.
func (p *KeysProxy) SetOrganization(o Organization) {
	p.mu.Lock()
	p.org = &o
	p.mu.Unlock()
}

func (p *KeysProxy) organization() *Organization {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.org
}

// answerOrganizations answers DescribeOrganization and ListAccounts in the
// response syntax of the Organizations API reference: ListAccounts pages
// at most 20 accounts (MaxResults 1 to 20) and returns NextToken while
// more remain; timestamps are epoch seconds as the JSON protocol sends
// them.
func (p *KeysProxy) answerOrganizations(w http.ResponseWriter, r *http.Request, op string) {
	o := p.organization()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	arn := "arn:aws:organizations::" + o.Management + ":organization/" + o.ID
	switch op {
	case "DescribeOrganization":
		json.NewEncoder(w).Encode(map[string]any{"Organization": map[string]any{"Id": o.ID, "Arn": arn,
			"MasterAccountId": o.Management, "MasterAccountArn": "arn:aws:organizations::" + o.Management + ":account/" + o.ID + "/" + o.Management,
			"MasterAccountEmail": "management@example.com", "FeatureSet": "ALL"}})
	case "ListAccounts":
		var in struct {
			MaxResults *int
			NextToken  *string
		}
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &in)
		size, from := 20, 0
		if in.MaxResults != nil && *in.MaxResults >= 1 && *in.MaxResults <= 20 {
			size = *in.MaxResults
		}
		if in.NextToken != nil {
			from, _ = strconv.Atoi(*in.NextToken)
		}
		accounts := []map[string]any{}
		for i := from; i < len(o.Accounts) && i < from+size; i++ {
			id := o.Accounts[i]
			accounts = append(accounts, map[string]any{"Id": id, "Arn": "arn:aws:organizations::" + o.Management + ":account/" + o.ID + "/" + id,
				"Email": id + "@example.com", "Name": "account " + id, "Status": "ACTIVE", "State": "ACTIVE", "JoinedMethod": "CREATED",
				"JoinedTimestamp": float64(o.Joined.Unix())})
		}
		out := map[string]any{"Accounts": accounts}
		if from+size < len(o.Accounts) {
			out["NextToken"] = strconv.Itoa(from + size)
		}
		json.NewEncoder(w).Encode(out)
	default:
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"UnsupportedAPIEndpointException","Message":"simulated Organizations answers DescribeOrganization and ListAccounts only"}`)
	}
}

// Counts returns every operation's count.
func (p *KeysProxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.calls)
}

// FailListRegions makes ListRegions answer AccessDeniedException.
func (p *KeysProxy) FailListRegions(fail bool) {
	p.mu.Lock()
	p.failList = fail
	p.mu.Unlock()
}

// DefaultRegions are the commercial regions as a new account has them:
// the seventeen enabled by default, the opt-in ones disabled.
func DefaultRegions() map[string]string {
	m := map[string]string{}
	for _, r := range []string{"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
		"ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
		"us-east-1", "us-east-2", "us-west-1", "us-west-2"} {
		m[r] = "ENABLED_BY_DEFAULT"
	}
	for _, r := range []string{"af-south-1", "ap-east-1", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
		"ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1"} {
		m[r] = "DISABLED"
	}
	return m
}

// FailListPublicKeys makes ListPublicKeys answer AccessDeniedException.
func (p *KeysProxy) FailListPublicKeys(fail bool) {
	p.mu.Lock()
	p.fail = fail
	p.mu.Unlock()
}

// SetLatency adds d before every request is handled.
func (p *KeysProxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// ListPublicKeysCalls counts the ListPublicKeys requests answered, in
// every region.
func (p *KeysProxy) ListPublicKeysCalls() int {
	n := 0
	for _, c := range p.ListPublicKeysByRegion() {
		n += c
	}
	return n
}

// ListPublicKeysByRegion counts the ListPublicKeys requests per region.
func (p *KeysProxy) ListPublicKeysByRegion() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, n := range p.calls {
		if region, ok := strings.CutPrefix(k, "cloudtrail:ListPublicKeys@"); ok {
			out[region] += n
		}
	}
	return out
}

// Calls counts the requests of one operation: "account:ListRegions",
// "s3:ListObjectVersions", "s3:GetBucketVersioning", "s3:GetObject",
// "s3:GetObjectVersion", "s3:ListObjectsV2", ...
func (p *KeysProxy) Calls(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

func (p *KeysProxy) count(op string) {
	p.mu.Lock()
	p.calls[op]++
	p.mu.Unlock()
}

func (p *KeysProxy) listPublicKeys(w http.ResponseWriter, r *http.Request, region string) {
	body, _ := io.ReadAll(r.Body)
	var in struct {
		StartTime *float64
		EndTime   *float64
	}
	if len(bytes.TrimSpace(body)) > 0 {
		json.Unmarshal(body, &in)
	}
	p.mu.Lock()
	keys, fail := p.keys[region], p.fail
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if fail {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"AccessDeniedException","message":"simulated: not allowed to call ListPublicKeys"}`)
		return
	}
	type entry struct {
		Value             string
		ValidityStartTime float64
		ValidityEndTime   float64
		Fingerprint       string
	}
	out := struct{ PublicKeyList []entry }{PublicKeyList: []entry{}}
	for _, k := range keys {
		// Like CloudTrail, only keys whose validity overlaps the range.
		if in.EndTime != nil && float64(k.From.Unix()) > *in.EndTime {
			continue
		}
		if in.StartTime != nil && float64(k.To.Unix()) < *in.StartTime {
			continue
		}
		out.PublicKeyList = append(out.PublicKeyList, entry{
			Value:             base64.StdEncoding.EncodeToString(k.DER),
			ValidityStartTime: float64(k.From.Unix()),
			ValidityEndTime:   float64(k.To.Unix()),
			Fingerprint:       k.Fingerprint,
		})
	}
	json.NewEncoder(w).Encode(out)
}

// listRegions answers Account Management ListRegions.
func (p *KeysProxy) listRegions(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AccountId               *string
		MaxResults              *int
		NextToken               *string
		RegionOptStatusContains []string
	}
	body, _ := io.ReadAll(r.Body)
	if len(bytes.TrimSpace(body)) > 0 {
		json.Unmarshal(body, &in)
	}
	p.mu.Lock()
	fail := p.failList
	regions, ok := p.regions[deref(in.AccountId)]
	if !ok {
		regions = p.regions[""]
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if fail {
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"message":"simulated: not allowed to call account:ListRegions"}`)
		return
	}
	var names []string
	for name, status := range regions {
		if len(in.RegionOptStatusContains) == 0 || slices.Contains(in.RegionOptStatusContains, status) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	// The reference gives MaxResults 1 to 50 and no default page size;
	// 20 here, so that callers must follow NextToken.
	size, from := 20, 0
	if in.MaxResults != nil && *in.MaxResults >= 1 && *in.MaxResults <= 50 {
		size = *in.MaxResults
	}
	if in.NextToken != nil {
		from, _ = strconv.Atoi(*in.NextToken)
	}
	type region struct{ RegionName, RegionOptStatus string }
	out := struct {
		Regions   []region
		NextToken *string `json:",omitempty"`
	}{Regions: []region{}}
	for i := from; i < len(names) && i < from+size; i++ {
		out.Regions = append(out.Regions, region{names[i], regions[names[i]]})
	}
	if from+size < len(names) {
		next := strconv.Itoa(from + size)
		out.NextToken = &next
	}
	json.NewEncoder(w).Encode(out)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// lowerMetaWriter renames x-amz-meta-* headers to lower case just before
// they are sent: the reverse proxy copies headers with canonical names.
type lowerMetaWriter struct {
	http.ResponseWriter
	wrote bool
}

func (l *lowerMetaWriter) WriteHeader(code int) {
	if !l.wrote {
		l.wrote = true
		h := l.ResponseWriter.Header()
		for name, v := range h {
			if lower := strings.ToLower(name); strings.HasPrefix(lower, "x-amz-meta-") && lower != name {
				delete(h, name)
				h[lower] = v
			}
		}
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *lowerMetaWriter) Write(b []byte) (int, error) {
	if !l.wrote {
		l.WriteHeader(http.StatusOK)
	}
	return l.ResponseWriter.Write(b)
}

func (l *lowerMetaWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }

// FaultsPending counts injected faults not yet delivered.
func (p *KeysProxy) FaultsPending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, f := range p.faults {
		n += f.left
	}
	return n
}

// Close stops the proxy.
func (p *KeysProxy) Close() { p.srv.Close() }
