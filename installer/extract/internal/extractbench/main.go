// Command extractbench drives scripts/bench/extract.sh: it generates the benchmark tree and times
// extract.Archive on an archive, so the script can compare it with tar and unzip.
//
//	extractbench gen -dir DIR [-files 20000] [-bytes 1073741824]
//	extractbench extract -archive FILE -dst DIR [-sync] [-workers N]
//
// extract prints the wall time in seconds on stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/iscdesk/iscdesk/installer/extract"
	"github.com/iscdesk/iscdesk/installer/extract/internal/benchtree"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(ctx, os.Args[2:])
	case "extract":
		err = run(ctx, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "extractbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: extractbench gen -dir DIR [-files N] [-bytes N] | extract -archive FILE -dst DIR [-sync] [-workers N]")
	os.Exit(2)
}

func gen(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	dir := fs.String("dir", "", "folder to create (must not exist)")
	files := fs.Int("files", 20000, "number of files")
	bytes := fs.Int64("bytes", 1<<30, "total size of the files")
	fs.Parse(args)
	if *dir == "" {
		return fmt.Errorf("gen: -dir is required")
	}
	return benchtree.Write(ctx, *dir, benchtree.Spec{Files: *files, Bytes: *bytes})
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("extract", flag.ExitOnError)
	archive := fs.String("archive", "", "archive to extract")
	dst := fs.String("dst", "", "destination folder (must not exist)")
	sync := fs.Bool("sync", false, "make the tree durable before returning")
	workers := fs.Int("workers", 0, "zip workers (0: GOMAXPROCS)")
	fs.Parse(args)
	if *archive == "" || *dst == "" {
		return fmt.Errorf("extract: -archive and -dst are required")
	}
	start := time.Now()
	if _, err := extract.Archive(ctx, *archive, *dst, extract.Options{Sync: *sync, Workers: *workers}); err != nil {
		return err
	}
	fmt.Printf("%.3f\n", time.Since(start).Seconds())
	return nil
}
