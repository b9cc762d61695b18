// Command roger keeps a phone-number directory of a company's customers in
// step with its CRM and tells the telephony who is calling.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Main runs one roger command line. End-to-end tests run it in-process.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	// Ready, when set, is called with the address a server listens on once
	// it accepts connections.
	Ready func(addr string)
}

// errUsage marks a command line that could not be understood; the usage
// text has been printed already.
var errUsage = errors.New("usage")

const usage = `roger: who is calling? A phone-number directory kept in step with Exact Online.

Usage:
  roger <command> [flags]

Commands:
  exactsim   run the Exact Online simulator (App Center, OAuth, REST, sync, webhooks)
  version    print the version

Run "roger <command> --help" for the flags of a command.
`

// Run executes the command in args (without the program name).
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "exactsim":
		return m.runExactsim(ctx, args[1:])
	case "version", "--version":
		fmt.Fprintln(m.Stdout, "roger", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	default:
		fmt.Fprintf(m.Stderr, "roger: unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "roger:", err)
		}
		os.Exit(2)
	}
}
