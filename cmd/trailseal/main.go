// Command trailseal proves that an AWS account's audit trail is complete,
// protected and tamper-evident. See 'trailseal --help'.
package main

import (
	"os"

	"github.com/trailseal/trailseal/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
