// Command mkpkg builds the agent's deb, rpm and msi from binaries that are already built, with
// SHA256SUMS and minisign signatures. `make packages` (scripts/packages.sh) cross-builds the
// binaries and runs it:
//
//	mkpkg --version 1.4.0 --linux-bin DIR --windows-bin DIR --out dist --key release.key
//
// The key's password, when it has one, is read from $ISCDESK_SIGN_PASSWORD. --gen-key makes an
// unencrypted key at --key when there is none: for development, never for a release.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"aead.dev/minisign"

	"github.com/iscdesk/iscdesk/packaging/agent"
	"github.com/iscdesk/iscdesk/packaging/agent/release"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkpkg:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fl := flag.NewFlagSet("mkpkg", flag.ContinueOnError)
	var (
		o          agent.Options
		linuxBin   = fl.String("linux-bin", "", "folder with the linux iscdesk-agent and iscdesk")
		windowsBin = fl.String("windows-bin", "", "folder with iscdesk-agent.exe and iscdesk.exe (windows/amd64); empty: no msi")
		keyPath    = fl.String("key", "", "the minisign secret key that signs the packages")
		genKey     = fl.Bool("gen-key", false, "make an unencrypted key at --key if there is none (development only)")
	)
	fl.StringVar(&o.Version, "version", "", "the version, MAJOR.MINOR.PATCH[-PRERELEASE]")
	fl.StringVar(&o.Arch, "arch", "amd64", "the linux architecture: amd64 or arm64")
	fl.StringVar(&o.OutDir, "out", "dist", "the output folder")
	fl.StringVar(&o.Maintainer, "maintainer", "ISCDesk Packaging <packages@iscdesk.example>", "the packages' maintainer, \"Name <email>\"")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; every input is a flag (mkpkg -h)", fl.Args())
	}
	if o.Version == "" || *linuxBin == "" || *keyPath == "" {
		return errors.New("--version, --linux-bin and --key are required (mkpkg -h)")
	}
	o.LinuxAgent = filepath.Join(*linuxBin, "iscdesk-agent")
	o.LinuxCLI = filepath.Join(*linuxBin, "iscdesk")
	if *windowsBin != "" {
		o.WindowsAgent = filepath.Join(*windowsBin, "iscdesk-agent.exe")
		o.WindowsCLI = filepath.Join(*windowsBin, "iscdesk.exe")
	}
	// SOURCE_DATE_EPOCH makes two builds of one commit byte-identical where the formats allow.
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)
		}
		o.Date = time.Unix(sec, 0).UTC()
	}
	key, err := signingKey(*keyPath, *genKey, getenv("ISCDESK_SIGN_PASSWORD"), stdout)
	if err != nil {
		return err
	}
	o.Key = key
	names, err := agent.Build(ctx, o)
	if err != nil {
		return err
	}
	for _, n := range names {
		fmt.Fprintln(stdout, filepath.Join(o.OutDir, n))
	}
	return nil
}

func signingKey(path string, generate bool, password string, stdout io.Writer) (minisign.PrivateKey, error) {
	if _, err := os.Stat(path); generate && errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return minisign.PrivateKey{}, fmt.Errorf("creating the key's folder: %w", err)
		}
		fmt.Fprintf(stdout, "mkpkg: made a development signing key %s (not for releases)\n", path)
		return release.GenerateKey(path)
	}
	return release.LoadKey(path, password)
}
