// Command roger keeps a phone-number directory of a company's customers in
// step with its CRM and tells the telephony who is calling.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/roger365io/roger/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Main runs one roger command line. End-to-end tests run it in-process.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	// Stdin is read for a secret given as "-"; nil means os.Stdin.
	Stdin io.Reader
	// Ready, when set, is called with the address a server listens on once
	// it accepts connections.
	Ready func(addr string)
	// Getenv reads the configuration; nil means os.Getenv.
	Getenv func(string) string
}

// errUsage marks a command line that could not be understood; the usage
// text has been printed already.
var errUsage = errors.New("usage")

const usage = `roger: who is calling? A phone-number directory kept in step with Exact Online.

Usage:
  roger <command> [flags]

Commands:
  demo                      run roger with the built-in Exact Online simulator and seeded data: try everything
  serve                     run roger: the admin portal, the OAuth callback and the scheduler that keeps replicators in sync
  migrate                   create or upgrade the database, then exit
  user add                  add an admin who signs in to the portal
  replicator add|set|list|authorize|sync
                            manage replicators from the command line
  directory export          write the directory as JSON lines
  directory quality         write a replicator's data-quality report (CSV or text)
  apikey create|list|revoke keys for the lookup API (GET /api/v1/lookup?number=…)
  notify add|list|test|log  channels that are told when a replicator breaks or goes stale, and the delivery log
  secrets generate|rotate   make a secret key; seal every stored secret under the newest key
  exactsim                  run the Exact Online simulator (App Center, OAuth, REST, sync, webhooks)
  version                   print the version

Configuration comes from the environment:
`

func usageText() string {
	var b strings.Builder
	b.WriteString(usage)
	for _, v := range config.Vars {
		fmt.Fprintf(&b, "  %-20s %s (default %s)\n", v.Name, v.Help, v.Default)
	}
	b.WriteString("\nRun \"roger <command> --help\" for the flags of a command.\n")
	return b.String()
}

// Run executes the command in args (without the program name). A request
// for help is not an error.
func (m *Main) Run(ctx context.Context, args []string) error {
	if err := m.run(ctx, args); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

func (m *Main) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usageText())
		return errUsage
	}
	switch args[0] {
	case "serve":
		return m.runServe(ctx, args[1:])
	case "demo":
		return m.runDemo(ctx, args[1:])
	case "user":
		return m.runUser(ctx, args[1:])
	case "migrate":
		return m.runMigrate(ctx, args[1:])
	case "replicator":
		return m.runReplicator(ctx, args[1:])
	case "apikey":
		return m.runAPIKey(ctx, args[1:])
	case "directory":
		return m.runDirectory(ctx, args[1:])
	case "notify":
		return m.runNotify(ctx, args[1:])
	case "secrets":
		return m.runSecrets(ctx, args[1:])
	case "exactsim":
		return m.runExactsim(ctx, args[1:])
	case "version", "--version":
		fmt.Fprintln(m.Stdout, "roger", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usageText())
		return nil
	default:
		fmt.Fprintf(m.Stderr, "roger: unknown command %q\n\n%s", args[0], usageText())
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
