package testenv

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// This file injects faults into the proxy: it names the AWS operation of
// each request and answers the chosen ones with the AccessDenied error that
// AWS sends for that operation's protocol, or fails them as a network does:
// a connection closed or reset without an answer, an answer that never
// comes, a 503. RefusedURL and Proxy.Refuse give an endpoint that refuses
// connections. Tests use it to check that evidence nobody could read is
// reported as such (ERROR findings, exit code 4), never as a verdict, and
// that a run gives up on a dead endpoint in bounded time, naming it.

// Protocol is the wire protocol of an AWS API (see the Smithy AWS protocol
// specifications, https://smithy.io/2.0/aws/protocols/index.html).
type Protocol string

// Protocols the SDK clients of trailseal use.
const (
	// ProtocolJSON: awsJson1_0/1_1 (CloudTrail, KMS, CloudWatch Logs,
	// Organizations, AWS Config): POST /, operation in X-Amz-Target.
	ProtocolJSON Protocol = "json"
	// ProtocolQuery: awsQuery (STS, IAM, SNS; CloudWatch behind an
	// emulator): form-encoded POST with Action=Operation.
	ProtocolQuery Protocol = "query"
	// ProtocolEC2: ec2Query, awsQuery with EC2's own error document.
	ProtocolEC2 Protocol = "ec2"
	// ProtocolCBOR: Smithy RPC v2 CBOR (CloudWatch against AWS):
	// POST /service/<Service>/operation/<Operation>.
	ProtocolCBOR Protocol = "cbor"
	// ProtocolS3: restXml of S3, the operation given by method, path and
	// sub-resource.
	ProtocolS3 Protocol = "s3"
	// ProtocolS3Control: restXml of S3 Control (/v20180820/...).
	ProtocolS3Control Protocol = "s3control"
)

// Operation is the AWS API operation a request calls.
type Operation struct {
	// Service is the prefix the inventory's CallError uses: cloudtrail, s3,
	// s3control, kms, logs, cloudwatch, sns, iam, sts, organizations,
	// config, ec2.
	Service string
	// Name is the API operation, for example DescribeTrails.
	Name     string
	Protocol Protocol
}

// String is "service:Operation", as inventory.CallError.Call spells it.
func (o Operation) String() string { return o.Service + ":" + o.Name }

// signingToService maps SigV4 signing names to the inventory's prefixes.
var signingToService = map[string]string{"monitoring": "cloudwatch"}

// OperationOf names the operation of a request. body is the request body.
// Name is "" when the request is not one the SDK clients send.
func OperationOf(r *http.Request, body []byte) Operation {
	_, _, svc := CredentialScope(r.Header.Get("Authorization"))
	op := Operation{Service: svc}
	if s, ok := signingToService[svc]; ok {
		op.Service = s
	}
	switch target := r.Header.Get("X-Amz-Target"); {
	case target != "":
		op.Protocol = ProtocolJSON
		op.Name = target[strings.LastIndexByte(target, '.')+1:]
	case strings.HasPrefix(r.URL.Path, "/service/") && strings.Contains(r.URL.Path, "/operation/"):
		op.Protocol = ProtocolCBOR
		op.Name = r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	case svc == "s3" && strings.HasPrefix(r.URL.Path, "/v20180820/"):
		op.Service, op.Protocol = "s3control", ProtocolS3Control
		op.Name = s3ControlOperation(r)
	case svc == "s3":
		op.Protocol = ProtocolS3
		op.Name = s3Operation(r)
	default:
		op.Protocol = ProtocolQuery
		if svc == "ec2" {
			op.Protocol = ProtocolEC2
		}
		if form, err := url.ParseQuery(string(body)); err == nil {
			op.Name = form.Get("Action")
		}
		if op.Name == "" {
			op.Name = r.URL.Query().Get("Action")
		}
	}
	return op
}

// s3BucketOps names the bucket operations by method and sub-resource
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html).
var s3BucketOps = map[string]string{
	"versioning": "BucketVersioning", "policy": "BucketPolicy", "policyStatus": "BucketPolicyStatus",
	"acl": "BucketAcl", "ownershipControls": "BucketOwnershipControls", "logging": "BucketLogging",
	"lifecycle": "BucketLifecycleConfiguration", "encryption": "BucketEncryption",
	"publicAccessBlock": "PublicAccessBlock", "object-lock": "ObjectLockConfiguration",
	"location": "BucketLocation", "tagging": "BucketTagging", "replication": "BucketReplication",
	"notification": "BucketNotificationConfiguration",
}

func s3Operation(r *http.Request) string {
	path := strings.Trim(r.URL.Path, "/")
	if path == "" {
		return "ListBuckets"
	}
	q := r.URL.Query()
	verb := map[string]string{http.MethodGet: "Get", http.MethodPut: "Put", http.MethodDelete: "Delete"}[r.Method]
	if !strings.Contains(path, "/") {
		for sub, name := range s3BucketOps {
			if _, ok := q[sub]; ok {
				if sub == "location" || sub == "policyStatus" {
					return "Get" + name
				}
				return verb + name
			}
		}
		switch {
		case r.Method == http.MethodGet && q.Get("list-type") == "2":
			return "ListObjectsV2"
		case r.Method == http.MethodGet && q.Has("versions"):
			return "ListObjectVersions"
		case r.Method == http.MethodGet:
			return "ListObjects"
		case r.Method == http.MethodHead:
			return "HeadBucket"
		case r.Method == http.MethodPut:
			return "CreateBucket"
		case r.Method == http.MethodDelete:
			return "DeleteBucket"
		}
		return ""
	}
	switch r.Method {
	case http.MethodGet:
		return "GetObject"
	case http.MethodHead:
		return "HeadObject"
	case http.MethodPut:
		return "PutObject"
	case http.MethodDelete:
		return "DeleteObject"
	}
	return ""
}

func s3ControlOperation(r *http.Request) string {
	if strings.HasSuffix(r.URL.Path, "/configuration/publicAccessBlock") {
		return map[string]string{http.MethodGet: "Get", http.MethodPut: "Put", http.MethodDelete: "Delete"}[r.Method] + "PublicAccessBlock"
	}
	return ""
}

// Fault is what happens to a matched request.
type Fault int

const (
	// Deny answers with AccessDenied, as AWS does for a caller without
	// permission.
	Deny Fault = iota
	// Drop accepts the request and closes the connection without an
	// answer, as an endpoint that went away mid-scan does (the client sees
	// EOF).
	Drop
	// Reset accepts the request and resets the connection (TCP RST), as a
	// dying host or a middlebox does: "connection reset by peer".
	Reset
	// Stall accepts the request and never answers, until the client gives
	// up or the proxy closes: a host that hangs, or a firewall that
	// blackholes the answers.
	Stall
	// Unavailable answers 503 ServiceUnavailable, as an overloaded or
	// failing AWS endpoint does (the "Common Errors" of the API
	// references).
	Unavailable
)

// FaultRule applies Fault to the operations Match selects.
type FaultRule struct {
	Match func(Operation) bool
	Fault Fault
}

// Faults returns an Interceptor that applies the first matching rule to
// each request and lets the others through to the emulator. seen, when not
// nil, is told every operation and whether a fault was injected.
func Faults(seen func(op Operation, faulted bool), rules ...FaultRule) Interceptor {
	return func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		op := OperationOf(r, body)
		for _, rule := range rules {
			if !rule.Match(op) {
				continue
			}
			if seen != nil {
				seen(op, true)
			}
			switch rule.Fault {
			case Drop:
				DropConnection(w)
			case Reset:
				ResetConnection(w)
			case Stall:
				<-r.Context().Done()
			case Unavailable:
				ServiceUnavailable(w, op)
			default:
				AccessDenied(w, op)
			}
			return true
		}
		if seen != nil {
			seen(op, false)
		}
		return false
	}
}

// Ops matches operations by "service:Operation", "service:*" or "*".
func Ops(patterns ...string) func(Operation) bool {
	return func(op Operation) bool {
		for _, p := range patterns {
			svc, name, _ := strings.Cut(p, ":")
			if p == "*" || (svc == op.Service && (name == "*" || name == op.Name)) {
				return true
			}
		}
		return false
	}
}

// AllBut matches every operation that Ops(patterns...) does not.
func AllBut(patterns ...string) func(Operation) bool {
	keep := Ops(patterns...)
	return func(op Operation) bool { return !keep(op) }
}

// AccessDenied writes the error AWS returns to a caller that lacks the
// permission for op, in op's protocol:
//   - JSON services: HTTP 400, {"__type":"AccessDeniedException"} (the
//     "Common Errors" of the CloudTrail, KMS, CloudWatch Logs, Organizations
//     and Config API references);
//   - STS, IAM: HTTP 403, ErrorResponse with code AccessDenied; SNS names it
//     AuthorizationError (SNS API reference, Common Errors);
//   - EC2: HTTP 403, Response/Errors with code UnauthorizedOperation
//     (EC2 API reference, error codes);
//   - S3 and S3 Control: HTTP 403, code AccessDenied (S3 API reference,
//     Error responses);
//   - CloudWatch: HTTP 403 AccessDenied; in RPC v2 CBOR the code is in the
//     body's __type and, CloudWatch being query-compatible, in the
//     x-amzn-query-error header.
func AccessDenied(w http.ResponseWriter, op Operation) {
	msg := fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/test/denied is not authorized to perform: %s", MotoAccount, op)
	switch op.Protocol {
	case ProtocolJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"AccessDeniedException","message":%q}`, msg)
	case ProtocolCBOR:
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("X-Amzn-Query-Error", "AccessDenied;Sender")
		w.WriteHeader(http.StatusForbidden)
		w.Write(cborTextMap("__type", "AccessDenied", "message", msg))
	case ProtocolEC2:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>%s</Message></Error></Errors><RequestID>trailseal-test</RequestID></Response>`, msg)
	case ProtocolS3:
		S3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
	case ProtocolS3Control:
		QueryError(w, http.StatusForbidden, "AccessDenied", "Access Denied")
	default:
		code := "AccessDenied"
		if op.Service == "sns" {
			code = "AuthorizationError"
		}
		QueryError(w, http.StatusForbidden, code, msg)
	}
}

// DropConnection closes the client's connection without a response.
func DropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// Not reachable with the proxy's HTTP/1.1 server; answer as a
		// gateway that lost its upstream.
		http.Error(w, "connection dropped", http.StatusBadGateway)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	conn.Close()
}

// ResetConnection aborts the client's connection with a TCP RST (a close
// with SO_LINGER 0) instead of an answer.
func ResetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "connection reset", http.StatusBadGateway)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

// ServiceUnavailable writes the 503 error AWS returns when a service
// cannot take the request, in op's protocol: ServiceUnavailableException
// for JSON services, ServiceUnavailable for the query protocols, S3 and S3
// Control.
func ServiceUnavailable(w http.ResponseWriter, op Operation) {
	const msg = "Service is unable to handle request."
	switch op.Protocol {
	case ProtocolJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"__type":"ServiceUnavailableException","message":%q}`, msg)
	case ProtocolS3:
		S3Error(w, http.StatusServiceUnavailable, "ServiceUnavailable", msg)
	default:
		QueryError(w, http.StatusServiceUnavailable, "ServiceUnavailable", msg)
	}
}

// RefusedURL returns a loopback URL where nothing listens, so connections
// to it are refused: an endpoint whose host is up and its service down (or
// a proxy setting that points nowhere). The port was free a moment ago; a
// test uses it at once.
func RefusedURL() (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port), nil
}

// cborTextMap encodes a map of short text strings (RFC 8949: major type 5
// for the map, 3 for each text string).
func cborTextMap(kv ...string) []byte {
	out := []byte{0xa0 | byte(len(kv)/2)}
	for _, s := range kv {
		switch n := len(s); {
		case n < 24:
			out = append(out, 0x60|byte(n))
		case n < 256:
			out = append(out, 0x78, byte(n))
		default:
			out = append(out, 0x79, byte(n>>8), byte(n))
		}
		out = append(out, s...)
	}
	return out
}
