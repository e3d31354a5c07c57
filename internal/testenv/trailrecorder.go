package testenv

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/time/rate"
)

// TrailRecorder is a loopback proxy in front of an emulator that does what
// CloudTrail does for the calls passing through it: it writes a CloudTrail
// record for each, and answers CloudTrail LookupEvents (event history,
// which moto lacks) from those records.
//
// Records follow the CloudTrail record contents reference
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html):
// eventVersion, userIdentity, eventTime, eventSource, eventName, awsRegion,
// sourceIPAddress, userAgent, requestParameters, responseElements,
// errorCode/errorMessage, requestID, eventID, readOnly, resources,
// eventType, managementEvent, recipientAccountId, eventCategory. How the
// parameters are written follows the recorded examples in
// internal/hunt/testdata/corpus: JSON-protocol services (CloudTrail, KMS,
// CloudWatch Logs, ...) record the request's members with a lower-case first
// letter (StopLogging's Name becomes "name"); S3 records bucketName, Host,
// the subresource as an empty member ("lifecycle": "") and the XML body
// converted to JSON (LifecycleConfiguration with xmlns, numbers as numbers);
// CloudTrail names PutBucketLifecycleConfiguration calls PutBucketLifecycle.
//
// What is simulated, not taken from AWS: the identity behind an access key
// (registered with Identity; moto accepts any key), the source IP (the
// client's loopback address), and LookupEvents itself, which filters the
// records by one EventName attribute and StartTime/EndTime, returns the
// newest first, at most MaxResults (50) a page with NextToken, and throttles
// (ThrottlingException) beyond a rate per region, as the API reference
// describes (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
type TrailRecorder struct {
	URL string
	// Account is the recipientAccountId of the records (moto's default
	// account unless set).
	Account string

	srv    *httptest.Server
	target *url.URL
	client *http.Client

	mu         sync.Mutex
	records    []map[string]any
	identities map[string]map[string]any
	limiters   map[string]*rate.Limiter
	lookupRate float64
	lookups    []LookupCall
	denied     map[string]bool // regions whose LookupEvents is refused
	clock      func() time.Time
}

// LookupCall is one LookupEvents request the recorder answered.
type LookupCall struct {
	Region, EventName string
	At                time.Time
	Throttled         bool
}

// StartTrailRecorder starts a recorder in front of target.
func StartTrailRecorder(target string) (*TrailRecorder, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	r := &TrailRecorder{Account: "123456789012", target: u, client: &http.Client{},
		identities: map[string]map[string]any{}, limiters: map[string]*rate.Limiter{}, lookupRate: 2, denied: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	return r, nil
}

// Close stops the recorder.
func (r *TrailRecorder) Close() { r.srv.Close() }

// Identity registers the userIdentity element recorded for calls signed
// with accessKey (type, arn, principalId, accountId, userName,
// sessionContext, ... as CloudTrail writes them). accessKeyId is added.
func (r *TrailRecorder) Identity(accessKey string, userIdentity map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := map[string]any{}
	for k, v := range userIdentity {
		id[k] = v
	}
	id["accessKeyId"] = accessKey
	r.identities[accessKey] = id
}

// LookupRate sets the LookupEvents requests per second allowed per region
// (2, as in AWS, unless set) before ThrottlingException.
func (r *TrailRecorder) LookupRate(perSecond float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookupRate = perSecond
	r.limiters = map[string]*rate.Limiter{}
}

// SetClock makes clock give the eventTime of the records that follow (a
// test replaying calls at the times of an archive it generates); nil
// restores the time of the call.
func (r *TrailRecorder) SetClock(clock func() time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clock = clock
}

// DenyLookups makes LookupEvents in region answer AccessDeniedException,
// as for a caller without cloudtrail:LookupEvents there (an SCP that
// denies a region, say).
func (r *TrailRecorder) DenyLookups(region string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.denied[region] = true
}

// Records returns a copy of the records written so far, oldest first.
func (r *TrailRecorder) Records() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.records...)
}

// Lookups returns the LookupEvents requests answered so far.
func (r *TrailRecorder) Lookups() []LookupCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]LookupCall(nil), r.lookups...)
}

func (r *TrailRecorder) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	call := parseCall(req, body)
	if call.source == "cloudtrail" && call.op == "LookupEvents" {
		r.lookupEvents(w, call)
		return
	}
	out, err := http.NewRequestWithContext(req.Context(), req.Method, r.target.JoinPath(req.URL.Path).String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.URL.RawQuery, out.URL.RawPath = req.URL.RawQuery, req.URL.RawPath
	out.Header = req.Header.Clone()
	out.ContentLength = int64(len(body))
	resp, err := r.client.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if call.op != "" {
		r.record(call, req, resp, respBody)
	}
	for k, vs := range resp.Header {
		if strings.HasPrefix(k, "X-Amz-Meta-") {
			k = strings.ToLower(k)
		}
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(respBody)))
	w.WriteHeader(resp.StatusCode)
	w.Write(respBody)
}

// apiCall is what the recorder understood of a request.
type apiCall struct {
	source, op, region, accessKey string
	params                        map[string]any
	data                          bool // an S3 object-level (data) event
	bucket                        string
}

// parseCall recognises the service, operation and parameters of a request
// in the JSON, query or S3 REST protocol.
func parseCall(req *http.Request, body []byte) apiCall {
	var c apiCall
	c.accessKey, c.region, c.source = CredentialScope(req.Header.Get("Authorization"))
	switch {
	case req.Header.Get("X-Amz-Target") != "":
		t := req.Header.Get("X-Amz-Target")
		c.op = t[strings.LastIndex(t, ".")+1:]
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			c.params = lowerKeys(m).(map[string]any)
		}
	case c.source == "s3":
		c.parseS3(req, body)
	default:
		form, err := url.ParseQuery(string(body))
		if err == nil && form.Get("Action") != "" {
			c.op = form.Get("Action")
			c.params = queryParams(form)
		}
	}
	return c
}

// lowerKeys writes JSON member names as CloudTrail records them: the
// first letter lower-case (Name -> name, EventSelectors -> eventSelectors).
func lowerKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[lowerFirst(k)] = lowerKeys(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = lowerKeys(x[i])
		}
	}
	return v
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// queryParams turns query-protocol form values into request parameters:
// "AlarmNames.member.1" becomes alarmNames: [...].
func queryParams(form url.Values) map[string]any {
	out := map[string]any{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "Action" || k == "Version" {
			continue
		}
		if name, _, ok := strings.Cut(k, ".member."); ok {
			list, _ := out[lowerFirst(name)].([]any)
			out[lowerFirst(name)] = append(list, form.Get(k))
			continue
		}
		out[lowerFirst(k)] = form.Get(k)
	}
	return out
}

// s3Subresources maps a bucket subresource and method to CloudTrail's
// event name.
var s3Subresources = map[string]map[string]string{
	"lifecycle":         {"PUT": "PutBucketLifecycle", "GET": "GetBucketLifecycle", "DELETE": "DeleteBucketLifecycle"},
	"policy":            {"PUT": "PutBucketPolicy", "GET": "GetBucketPolicy", "DELETE": "DeleteBucketPolicy"},
	"versioning":        {"PUT": "PutBucketVersioning", "GET": "GetBucketVersioning"},
	"publicAccessBlock": {"PUT": "PutBucketPublicAccessBlock", "GET": "GetBucketPublicAccessBlock", "DELETE": "DeleteBucketPublicAccessBlock"},
	"logging":           {"PUT": "PutBucketLogging", "GET": "GetBucketLogging"},
	"acl":               {"PUT": "PutBucketAcl", "GET": "GetBucketAcl"},
	"encryption":        {"PUT": "PutBucketEncryption", "GET": "GetBucketEncryption", "DELETE": "DeleteBucketEncryption"},
	"object-lock":       {"PUT": "PutObjectLockConfiguration", "GET": "GetObjectLockConfiguration"},
	"replication":       {"PUT": "PutBucketReplication", "GET": "GetBucketReplication", "DELETE": "DeleteBucketReplication"},
	"location":          {"GET": "GetBucketLocation"},
	"delete":            {"POST": "DeleteObjects"},
}

func (c *apiCall) parseS3(req *http.Request, body []byte) {
	path := strings.TrimPrefix(req.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	if bucket == "" {
		if req.Method == "GET" {
			c.op = "ListBuckets"
		}
		return
	}
	c.bucket = bucket
	c.params = map[string]any{"bucketName": bucket, "Host": req.Host}
	q := req.URL.Query()
	for sub, ops := range s3Subresources {
		if _, ok := q[sub]; ok {
			c.op = ops[req.Method]
			c.params[sub] = ""
			c.data = sub == "delete"
			break
		}
	}
	if c.op == "" && key == "" {
		switch req.Method {
		case "PUT":
			c.op = "CreateBucket"
		case "DELETE":
			c.op = "DeleteBucket"
		case "GET":
			c.op = "ListObjects"
		case "HEAD":
			c.op = "HeadBucket"
		}
	}
	if c.op == "" && key != "" {
		c.data = true
		c.params["key"] = key
		c.op = map[string]string{"PUT": "PutObject", "GET": "GetObject", "DELETE": "DeleteObject", "HEAD": "HeadObject"}[req.Method]
	}
	for h, vs := range req.Header {
		if lh := strings.ToLower(h); strings.HasPrefix(lh, "x-amz-acl") || strings.HasPrefix(lh, "x-amz-grant-") || lh == "x-amz-bypass-governance-retention" {
			c.params[lh] = vs
		}
	}
	if len(body) == 0 {
		return
	}
	if c.op == "PutBucketPolicy" {
		var doc any
		if json.Unmarshal(body, &doc) == nil {
			c.params["bucketPolicy"] = doc
		}
		return
	}
	if name, v, ok := xmlToJSON(body); ok && c.op != "PutObject" {
		c.params[name] = v
	}
}

// xmlToJSON converts an S3 XML request body the way CloudTrail records it:
// elements become members, repeated elements lists, attributes (xmlns)
// members, and integer text numbers.
func xmlToJSON(body []byte) (string, any, bool) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	type frame struct {
		name string
		m    map[string]any
		text strings.Builder
	}
	var stack []*frame
	var rootName string
	var root any
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			f := &frame{name: t.Name.Local, m: map[string]any{}}
			for _, a := range t.Attr {
				if a.Name.Local == "xmlns" || a.Name.Space == "xmlns" {
					f.m["xmlns"] = a.Value
				}
			}
			stack = append(stack, f)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			var v any = f.m
			if len(f.m) == 0 || len(f.m) == 1 && f.m["xmlns"] != nil && strings.TrimSpace(f.text.String()) != "" {
				s := strings.TrimSpace(f.text.String())
				if n, err := strconv.Atoi(s); err == nil {
					v = n
				} else {
					v = s
				}
			}
			if len(stack) == 0 {
				rootName, root = f.name, v
				continue
			}
			parent := stack[len(stack)-1].m
			if old, ok := parent[f.name]; ok {
				if list, ok := old.([]any); ok {
					parent[f.name] = append(list, v)
				} else {
					parent[f.name] = []any{old, v}
				}
			} else {
				parent[f.name] = v
			}
		}
	}
	return rootName, root, rootName != ""
}

var readPrefixes = []string{"Get", "List", "Describe", "Head", "Lookup"}

func (r *TrailRecorder) record(c apiCall, req *http.Request, resp *http.Response, respBody []byte) {
	now := time.Now().UTC()
	r.mu.Lock()
	clock := r.clock
	r.mu.Unlock()
	if clock != nil {
		now = clock().UTC()
	}
	// The SigV4 signing name is the event source's first label for the
	// services tested (cloudtrail, s3, kms, logs, monitoring, sns).
	source := c.source + ".amazonaws.com"
	readOnly := false
	for _, p := range readPrefixes {
		if strings.HasPrefix(c.op, p) {
			readOnly = true
		}
	}
	rec := map[string]any{
		"eventVersion":       "1.11",
		"userIdentity":       r.identity(c.accessKey),
		"eventTime":          now.Format(time.RFC3339),
		"eventSource":        source,
		"eventName":          c.op,
		"awsRegion":          c.region,
		"sourceIPAddress":    clientIP(req),
		"userAgent":          req.UserAgent(),
		"requestParameters":  nilIfEmpty(c.params),
		"responseElements":   nil,
		"requestID":          requestID(resp),
		"eventID":            newUUID(),
		"readOnly":           readOnly,
		"eventType":          "AwsApiCall",
		"managementEvent":    !c.data,
		"recipientAccountId": r.Account,
		"eventCategory":      map[bool]string{true: "Data", false: "Management"}[c.data],
	}
	if c.bucket != "" {
		rec["resources"] = []any{map[string]any{"accountId": r.Account, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::" + c.bucket}}
	}
	if resp.StatusCode >= 300 {
		rec["errorCode"], rec["errorMessage"] = errorOf(respBody)
	} else if !readOnly && req.Header.Get("X-Amz-Target") != "" {
		var m map[string]any
		if json.Unmarshal(respBody, &m) == nil && len(m) > 0 {
			rec["responseElements"] = lowerKeys(m)
		}
	}
	r.mu.Lock()
	r.records = append(r.records, rec)
	r.mu.Unlock()
}

func (r *TrailRecorder) identity(accessKey string) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id, ok := r.identities[accessKey]; ok {
		return id
	}
	return map[string]any{"type": "IAMUser", "accessKeyId": accessKey, "accountId": r.Account}
}

func nilIfEmpty(m map[string]any) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

func clientIP(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return req.RemoteAddr
	}
	return host
}

func requestID(resp *http.Response) string {
	for _, h := range []string{"X-Amz-Request-Id", "X-Amzn-Requestid", "X-Amzn-RequestId"} {
		if v := resp.Header.Get(h); v != "" {
			return v
		}
	}
	return newUUID()
}

// errorOf reads an error code and message from a JSON or XML error body.
func errorOf(body []byte) (code, msg string) {
	var j struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Msg2    string `json:"Message"`
	}
	if json.Unmarshal(body, &j) == nil && j.Type != "" {
		code = j.Type[strings.LastIndex(j.Type, "#")+1:]
		return code, j.Message + j.Msg2
	}
	var x struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
		Error   struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
	}
	if xml.Unmarshal(body, &x) == nil {
		if x.Code != "" {
			return x.Code, x.Message
		}
		return x.Error.Code, x.Error.Message
	}
	return "UnknownError", string(body)
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// lookupEvents answers LookupEvents from the records.
func (r *TrailRecorder) lookupEvents(w http.ResponseWriter, c apiCall) {
	name := ""
	for _, a := range listAny(c.params["lookupAttributes"]) {
		if m, ok := a.(map[string]any); ok && m["attributeKey"] == "EventName" {
			name, _ = m["attributeValue"].(string)
		}
	}
	r.mu.Lock()
	lim := r.limiters[c.region]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(r.lookupRate), 1)
		r.limiters[c.region] = lim
	}
	allowed := lim.Allow()
	r.lookups = append(r.lookups, LookupCall{Region: c.region, EventName: name, At: time.Now(), Throttled: !allowed})
	if r.denied[c.region] {
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"AccessDeniedException","message":"User is not authorized to perform: cloudtrail:LookupEvents"}`)
		return
	}
	var matched []map[string]any
	for _, rec := range r.records {
		if rec["awsRegion"] != c.region || rec["managementEvent"] != true || name != "" && rec["eventName"] != name {
			continue
		}
		t, _ := time.Parse(time.RFC3339, rec["eventTime"].(string))
		if s, ok := c.params["startTime"].(float64); ok && t.Before(epoch(s)) {
			continue
		}
		if e, ok := c.params["endTime"].(float64); ok && t.After(epoch(e)) {
			continue
		}
		matched = append(matched, rec)
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if !allowed {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
		return
	}
	// Newest first, as event history returns them.
	for i, j := 0, len(matched)-1; i < j; i, j = i+1, j-1 {
		matched[i], matched[j] = matched[j], matched[i]
	}
	max := 50
	if m, ok := c.params["maxResults"].(float64); ok && m > 0 && m < 50 {
		max = int(m)
	}
	from, _ := strconv.Atoi(fmt.Sprint(c.params["nextToken"]))
	to := min(from+max, len(matched))
	out := map[string]any{"Events": []any{}}
	for _, rec := range matched[min(from, to):to] {
		raw, _ := json.Marshal(rec)
		t, _ := time.Parse(time.RFC3339, rec["eventTime"].(string))
		out["Events"] = append(out["Events"].([]any), map[string]any{
			"EventId": rec["eventID"], "EventName": rec["eventName"], "EventSource": rec["eventSource"],
			"EventTime": float64(t.Unix()), "ReadOnly": fmt.Sprint(rec["readOnly"]), "CloudTrailEvent": string(raw),
		})
	}
	if to < len(matched) {
		out["NextToken"] = strconv.Itoa(to)
	}
	json.NewEncoder(w).Encode(out)
}

func epoch(s float64) time.Time {
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func listAny(v any) []any {
	l, _ := v.([]any)
	return l
}

// WriteLogFiles writes the records as CloudTrail log files of a trail
// delivering to bucket, laid out as 'trailseal pull' keeps an offline copy:
// DIR/<bucket>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
// <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz, one file
// per region and per perFile records, each {"Records":[...]} gzipped
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html).
// It returns the keys written.
func WriteLogFiles(dir, bucket, account string, records []map[string]any, perFile int) ([]string, error) {
	byRegion := map[string][]map[string]any{}
	var regions []string
	for _, rec := range records {
		reg, _ := rec["awsRegion"].(string)
		if byRegion[reg] == nil {
			regions = append(regions, reg)
		}
		byRegion[reg] = append(byRegion[reg], rec)
	}
	var keys []string
	for _, reg := range regions {
		recs := byRegion[reg]
		for start := 0; start < len(recs); start += perFile {
			chunk := recs[start:min(start+perFile, len(recs))]
			last, _ := time.Parse(time.RFC3339, chunk[len(chunk)-1]["eventTime"].(string))
			delivered := last.Add(5 * time.Minute)
			key := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", account, reg, delivered.Format("2006/01/02"),
				account, reg, delivered.Format("20060102T1504Z"), strings.ReplaceAll(newUUID(), "-", "")[:16])
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			if err := json.NewEncoder(zw).Encode(map[string]any{"Records": chunk}); err != nil {
				return nil, err
			}
			if err := zw.Close(); err != nil {
				return nil, err
			}
			p := filepath.Join(dir, bucket, filepath.FromSlash(key))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
				return nil, err
			}
			keys = append(keys, key)
		}
	}
	return keys, nil
}
