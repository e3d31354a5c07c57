package cli

import (
	"strings"
	"testing"
)

// TestProgressBarOutlivesCatchUp: work is found while it is done, so the
// objects read often catch up with the objects found before the listing is
// over (seen in TestVerifyProgressOnTerminal under load: an empty stderr).
// The bar must go on drawing when more work is found afterwards, and must
// not claim the run is complete before finish.
func TestProgressBarOutlivesCatchUp(t *testing.T) {
	var stderr strings.Builder
	p := &progressBar{g: &globals{stderr: &stderr}} // no throttle: every change is drawn
	p.Plan(1, 0)
	p.Done(0) // caught up: 1 of 1 read, and the listing goes on
	if strings.Contains(stderr.String(), "1/1") {
		t.Errorf("the bar showed the run complete while it was still listing: %q", stderr.String())
	}
	p.Plan(2, 0)
	p.Done(0)
	if !strings.Contains(stderr.String(), "2/3") {
		t.Errorf("the bar stopped drawing after done caught up with planned: %q", stderr.String())
	}
	p.Done(0)
	p.finish()
	drawn := strings.Split(strings.TrimSuffix(stderr.String(), "\r"), "\r")
	if last := drawn[len(drawn)-1]; last == "" || strings.TrimSpace(last) != "" {
		t.Errorf("finish did not clear the bar's line: %q", stderr.String())
	}

	// A scan's tasks: the same when the done count meets the total early.
	stderr.Reset()
	s := &progressBar{g: &globals{stderr: &stderr}}
	s.tasks(3, 3)
	s.tasks(4, 6)
	if !strings.Contains(stderr.String(), "4/6") {
		t.Errorf("the scan bar stopped drawing after done met the total: %q", stderr.String())
	}
}
