package main

import (
	"testing"

	"github.com/trailseal/trailseal/internal/testenv"
)

// TestSuiteToolsInstalled checks every program outside Go that the test
// suite runs (moto_server, the AWS CLI, botocore, Chromium). 'go test ./...'
// runs this package among the first, so a missing tool fails the run in its
// first seconds with the command that installs it, instead of after the
// minutes the CLI and collector tests take. Each package that needs a tool
// checks it again in its own TestMain, for runs of that package alone.
func TestSuiteToolsInstalled(t *testing.T) {
	if err := testenv.Require(testenv.SuiteTools...); err != nil {
		t.Fatal(err)
	}
}
