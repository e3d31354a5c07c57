package testenv

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// MetricFilterReplacer returns an interceptor for a proxy in front of the
// emulator at target that makes PutMetricFilter replace a filter of the
// same name on the same log group, as CloudWatch Logs does: "Creates or
// updates a metric filter and associates it with the specified log group"
// (CloudWatch Logs API Reference, PutMetricFilter). moto 5 appends a
// second filter of the same name instead. The interceptor deletes the old
// filter in the emulator first and then lets the request through.
func MetricFilterReplacer(target string) Interceptor {
	return func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".PutMetricFilter") {
			return false
		}
		var in struct {
			LogGroupName string `json:"logGroupName"`
			FilterName   string `json:"filterName"`
		}
		if json.Unmarshal(body, &in) != nil {
			return false
		}
		del, _ := json.Marshal(in)
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, target+"/", bytes.NewReader(del))
		if err != nil {
			return false
		}
		req.Header = r.Header.Clone()
		req.Header.Set("X-Amz-Target", strings.TrimSuffix(r.Header.Get("X-Amz-Target"), "PutMetricFilter")+"DeleteMetricFilter")
		req.ContentLength = int64(len(del))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		return false
	}
}
