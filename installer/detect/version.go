package detect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

// maxVersionInput caps what is read from a version file or a command's output: versions sit near
// the top, and a runaway file or command must not fill memory.
const maxVersionInput = 1 << 20

// versionSource is a manifest.VersionSource with its templates expanded and its pattern compiled.
type versionSource struct {
	file    string   // read this file, or
	argv    []string // run this command, or
	fromRun bool     // take the output of the rule's own command
	re      *regexp.Regexp
}

// prepareVersion expands and compiles src. defaultFile is read when src names neither a file nor a
// command (a file rule reads its own path); with defaultFile "" the rule's command output is used.
func prepareVersion(src *manifest.VersionSource, defaultFile string, v manifest.Vars) (*versionSource, error) {
	if src == nil {
		return nil, nil
	}
	if src.File != "" && len(src.Command) > 0 {
		return nil, fmt.Errorf("%w: version reads from both file %q and command %q; keep one", errBadRule, src.File, src.Command)
	}
	re, err := compilePattern(src.Pattern)
	if err != nil {
		return nil, err
	}
	vs := &versionSource{re: re}
	switch {
	case src.File != "":
		if vs.file, err = expand(src.File, v); err != nil {
			return nil, err
		}
	case len(src.Command) > 0:
		if vs.argv, err = expandAll(src.Command, v); err != nil {
			return nil, err
		}
	case defaultFile != "":
		vs.file = defaultFile
	default:
		vs.fromRun = true
	}
	return vs, nil
}

// read reads the version. runOut is the output of the rule's own command, used when fromRun.
// It returns the version, or a reason why none was read.
func (vs *versionSource) read(ctx context.Context, e *evaluation, runOut []byte, runArgv []string) (version, failure string) {
	var text []byte
	var where string
	switch {
	case vs.file != "":
		where = vs.file
		b, err := readCapped(vs.file)
		if err != nil {
			return "", "reading version: " + err.Error()
		}
		text = b
	case len(vs.argv) > 0:
		where = "the output of " + quoteArgv(vs.argv)
		out, failure := e.run(ctx, vs.argv)
		if failure != "" {
			return "", "version command " + quoteArgv(vs.argv) + ": " + failure
		}
		text = out
	default:
		where = "the output of " + quoteArgv(runArgv)
		text = runOut
	}
	if len(text) > maxVersionInput {
		text = text[:maxVersionInput]
	}
	m := vs.re.FindSubmatch(text)
	if m == nil {
		return "", fmt.Sprintf("version pattern `%s` matched nothing in %s", vs.re, where)
	}
	got := m[0]
	if len(m) > 1 {
		got = m[1]
	}
	got = bytes.TrimSpace(got)
	if len(got) == 0 {
		return "", fmt.Sprintf("version pattern `%s` matched an empty version in %s", vs.re, where)
	}
	return string(got), ""
}

// readCapped reads at most maxVersionInput bytes of the file at path.
func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxVersionInput))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}
