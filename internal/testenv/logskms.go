package testenv

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// LogsKMS simulates CloudWatch Logs' AssociateKmsKey and DisassociateKmsKey,
// which moto 5 does not implement (it answers 500), on a proxy in front of
// the emulator. Per the CloudWatch Logs API Reference, both take
// logGroupName (and kmsKeyId), answer HTTP 200 with an empty body, and the
// association shows as kmsKeyId in DescribeLogGroups; a disassociated group
// has no kmsKeyId. The simulation keeps the associations itself and writes
// them into the emulator's DescribeLogGroups answers.
type LogsKMS struct {
	mu   sync.Mutex
	keys map[string]string // log group name -> key ARN, "" when disassociated
}

// SimulateLogsKMS installs the simulation on p. It takes the proxy's
// interceptor and rewriter.
func SimulateLogsKMS(p *Proxy) *LogsKMS {
	s := &LogsKMS{keys: map[string]string{}}
	p.Intercept(s.intercept)
	p.Rewrite(s.rewrite)
	return s
}

func (s *LogsKMS) intercept(w http.ResponseWriter, r *http.Request, body []byte) bool {
	target := r.Header.Get("X-Amz-Target")
	associate, disassociate := strings.HasSuffix(target, ".AssociateKmsKey"), strings.HasSuffix(target, ".DisassociateKmsKey")
	if !associate && !disassociate {
		return false
	}
	var in struct {
		LogGroupName string `json:"logGroupName"`
		KMSKeyID     string `json:"kmsKeyId"`
	}
	if json.Unmarshal(body, &in) != nil || in.LogGroupName == "" || associate && in.KMSKeyID == "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"__type":"InvalidParameterException","message":"logGroupName and kmsKeyId are required"}`))
		return true
	}
	s.mu.Lock()
	s.keys[in.LogGroupName] = in.KMSKeyID
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusOK)
	return true
}

func (s *LogsKMS) rewrite(r *http.Request, status int, _ http.Header, body []byte) (int, []byte) {
	if status != http.StatusOK || !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".DescribeLogGroups") {
		return status, body
	}
	var out map[string]any
	if json.Unmarshal(body, &out) != nil {
		return status, body
	}
	groups, _ := out["logGroups"].([]any)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range groups {
		m, _ := g.(map[string]any)
		name, _ := m["logGroupName"].(string)
		key, ok := s.keys[name]
		switch {
		case !ok:
		case key == "":
			delete(m, "kmsKeyId")
		default:
			m["kmsKeyId"] = key
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return status, body
	}
	return status, b
}
