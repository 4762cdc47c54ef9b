package lint

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// lang is the language of a vendor script, chosen by its extension.
type lang int

const (
	langSh lang = iota
	langCmd
	langPS
)

func langOf(path string) lang {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".cmd", ".bat":
		return langCmd
	case ".ps1":
		return langPS
	}
	return langSh
}

// scriptLine is one line of a script with what the checks need.
type scriptLine struct {
	n    int
	raw  string
	code string // comments removed, quoted text blanked: only what runs as commands
	text string // comments removed, quotes kept: for paths inside quotes
}

// readScript reads a script, drops comments and here-document bodies (data, not commands).
func readScript(path string, l lang) ([]scriptLine, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []scriptLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	heredoc := ""
	for n := 1; sc.Scan(); n++ {
		raw := strings.TrimRight(sc.Text(), "\r")
		if heredoc != "" {
			if strings.TrimSpace(raw) == heredoc {
				heredoc = ""
			}
			continue
		}
		text := stripComment(raw, l)
		if strings.TrimSpace(text) == "" {
			continue
		}
		if l == langSh {
			if m := heredocRE.FindStringSubmatch(text); m != nil {
				heredoc = m[1]
			}
		}
		out = append(out, scriptLine{n: n, raw: raw, code: blankQuotes(text), text: text})
	}
	return out, sc.Err()
}

var heredocRE = regexp.MustCompile(`<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?`)

// stripComment removes a whole-line comment, and in sh a trailing " # ..." outside quotes.
func stripComment(s string, l lang) string {
	t := strings.TrimSpace(s)
	switch l {
	case langCmd:
		lt := strings.ToLower(t)
		if strings.HasPrefix(lt, "rem ") || lt == "rem" || strings.HasPrefix(t, "::") {
			return ""
		}
		return s
	case langPS:
		if strings.HasPrefix(t, "#") {
			return ""
		}
		return s
	}
	if strings.HasPrefix(t, "#") {
		return ""
	}
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			} else if c == '\\' && q == '"' {
				i++
			}
		case c == '\'' || c == '"':
			q = c
		case c == '\\':
			i++
		case c == '#' && i > 0 && (s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i]
		}
	}
	return s
}

// blankQuotes replaces the text inside quotes by '_', so that words in messages ("reboot required")
// are not taken for commands.
func blankQuotes(s string) string {
	b := []byte(s)
	var q byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
				continue
			}
			if c == '\\' && q == '"' && i+1 < len(b) {
				b[i] = '_'
				i++
			}
			b[i] = '_'
		case c == '\'' || c == '"':
			q = c
		}
	}
	return string(b)
}

// segments splits a line of code into simple commands and returns the words of each, without
// leading keywords (if, then, do, while, !) and variable assignments.
func segments(code string) [][]string {
	parts := segmentSplitRE.Split(code, -1)
	var out [][]string
	for _, p := range parts {
		words := strings.Fields(p)
		for len(words) > 0 && (shellKeywords[words[0]] || assignRE.MatchString(words[0])) {
			words = words[1:]
		}
		if len(words) > 0 {
			out = append(out, words)
		}
	}
	return out
}

var (
	segmentSplitRE = regexp.MustCompile(`\|\||&&|[;|&(){}` + "`" + `]|\$\(`)
	assignRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
	shellKeywords  = map[string]bool{"if": true, "then": true, "do": true, "else": true, "elif": true, "while": true,
		"until": true, "!": true, "time": true, "exec": true, "sudo": true, "nohup": true}
)

// lintScript runs the script checks over one file. role is "install" or "uninstall".
func lintScript(dir, rel, role string) ([]Finding, error) {
	l := langOf(rel)
	lines, err := readScript(filepath.Join(dir, rel), l)
	if err != nil {
		return nil, fmt.Errorf("reading the %s script %s: %w", role, rel, err)
	}
	var out []Finding
	add := func(ln scriptLine, sev Severity, check, msg, why, fix string) {
		out = append(out, Finding{File: filepath.ToSlash(rel), Line: ln.n, Severity: sev, Check: check,
			Message: msg, Why: why, Fix: fix})
	}
	for i, ln := range lines {
		if what := promptIn(lines, i, l); what != "" {
			add(ln, SeverityError, CheckPrompt, fmt.Sprintf("the %s script asks for input (%s)", role, what),
				"the agent runs installs with no keyboard and a closed stdin: a prompt fails at once or waits until the step's timeout kills it",
				"take every answer from the command line or the environment (ISCDESK_MODE, ISCDESK_INSTALL_DIR), or use the installer's silent/unattended switch")
		}
		if what := rebootIn(ln, l); what != "" {
			add(ln, SeverityError, CheckReboot, fmt.Sprintf("the %s script restarts the machine (%s)", role, what),
				"a reboot from inside an install kills the agent and the engineer's work mid-step; the agent cannot finish or report the job",
				"exit with the package's reboot code instead (3010 on Windows; map your own code to reboot under exit_codes) and let the agent ask the user")
		}
		if what := silentMissingIn(ln, l); what != "" {
			add(ln, SeverityError, CheckSilent, fmt.Sprintf("the %s script runs %s", role, what),
				"an installer without its silent switch opens a window and waits for a click that never comes on an unattended machine",
				"add the silent switch: msiexec /qn /norestart, NSIS /S, Inno /VERYSILENT /SUPPRESSMSGBOXES, InstallShield /s /v\"/qn\"")
		}
		if path, sev := outsideWriteIn(ln, l); path != "" {
			why := "files written outside {{.InstallDir}} are not removed by the agent, survive an overwrite install and are left behind by uninstall"
			if sev == SeverityWarning {
				why = "the install runs as root/SYSTEM: $HOME is root's, not the engineer's, and what is written there is left behind by uninstall"
			}
			add(ln, sev, CheckOutside, fmt.Sprintf("the %s script writes to %s, outside the install folder", role, path), why,
				"write under $ISCDESK_INSTALL_DIR (%ISCDESK_INSTALL_DIR% on Windows); if a file must live elsewhere, record it and remove it in the uninstall script")
		}
	}
	return out, nil
}

// promptIn names the prompt on line i, or returns "".
func promptIn(lines []scriptLine, i int, l lang) string {
	ln := lines[i]
	switch l {
	case langPS:
		if m := psPromptRE.FindString(ln.code); m != "" {
			return m
		}
		return ""
	case langCmd:
		if m := cmdPromptRE.FindString(ln.code); m != "" {
			return strings.TrimSpace(m)
		}
		return ""
	}
	for _, words := range segments(ln.code) {
		if words[0] != "read" {
			continue
		}
		if readsRedirected(lines, i, ln.code) {
			continue
		}
		return "read"
	}
	return ""
}

var (
	psPromptRE  = regexp.MustCompile(`(?i)\bRead-Host\b|\[Console\]::Read(Line|Key)\b|\$Host\.UI\.PromptForChoice|(^|[;\s])pause\b`)
	cmdPromptRE = regexp.MustCompile(`(?i)(^|[&|(\s@])(pause|choice|set\s+/p)\b`)
)

// readsRedirected tells a read that takes its input from a file or a pipe (a while-read loop over a
// list, `read x < file`, `cmd | read x`) from one that reads the keyboard.
func readsRedirected(lines []scriptLine, i int, code string) bool {
	at := readRE.FindStringIndex(code)
	if at == nil {
		return false
	}
	if strings.Contains(code[at[1]:], "<") || strings.Contains(code[:at[0]], "|") {
		return true
	}
	if !whileReadRE.MatchString(code) {
		return false
	}
	// A while-read loop reads what its "done" line redirects into it.
	for _, ln := range lines[i+1:] {
		if doneRE.MatchString(ln.code) {
			return strings.Contains(ln.code, "<")
		}
	}
	return false
}

var (
	readRE      = regexp.MustCompile(`\bread\b`)
	whileReadRE = regexp.MustCompile(`\b(while|until)\b[^;]*\bread\b`)
	doneRE      = regexp.MustCompile(`(^|[;\s])done\b`)
)

// rebootIn names a forced reboot on the line, or returns "".
func rebootIn(ln scriptLine, l lang) string {
	switch l {
	case langPS:
		return psRebootRE.FindString(ln.code)
	case langCmd:
		if m := cmdRebootRE.FindString(ln.code); m != "" {
			return strings.TrimSpace(m)
		}
		return ""
	}
	for _, w := range segments(ln.code) {
		switch {
		case w[0] == "reboot" || w[0] == "poweroff" || w[0] == "halt":
			return w[0]
		case w[0] == "shutdown":
			return strings.Join(w, " ")
		case w[0] == "systemctl" && len(w) > 1 && (w[1] == "reboot" || w[1] == "poweroff" || w[1] == "kexec"):
			return "systemctl " + w[1]
		case (w[0] == "init" || w[0] == "telinit") && len(w) > 1 && (w[1] == "6" || w[1] == "0"):
			return w[0] + " " + w[1]
		}
	}
	return ""
}

var (
	psRebootRE  = regexp.MustCompile(`(?i)\b(Restart-Computer|Stop-Computer)\b|\bshutdown(\.exe)?\s+/[rs]\b`)
	cmdRebootRE = regexp.MustCompile(`(?i)\bshutdown(\.exe)?\s+(-|/)[rsg]\b`)
)

// silentMissingIn names an installer run without its silent switch on the line, or returns "".
func silentMissingIn(ln scriptLine, l lang) string {
	words := strings.Fields(ln.text)
	for i, w := range words {
		base := strings.ToLower(strings.Trim(filepath.Base(strings.ReplaceAll(w, `\`, "/")), `"'`))
		switch {
		case base == "msiexec" || base == "msiexec.exe":
			if !hasAny(words[i+1:], msiQuiet, false) {
				return "msiexec without /qn"
			}
			return ""
		case strings.HasSuffix(base, ".exe") && l != langSh && i == firstWord(words):
			if !hasAny(words[i+1:], exeQuiet, false) && !hasAny(words[i+1:], []string{"/S"}, true) {
				return base + " without a silent switch"
			}
			return ""
		}
	}
	return ""
}

func firstWord(words []string) int {
	for i, w := range words {
		lw := strings.ToLower(w)
		if lw == "start" || lw == "/wait" || lw == "call" || lw == "&" || lw == "start-process" || lw == "-wait" || lw == "-filepath" || lw == "@" {
			continue
		}
		return i
	}
	return 0
}

// Switches that make installers silent, compared without case (NSIS /S is compared with it).
var (
	msiQuiet = []string{"/qn", "/q", "/quiet", "/qn+", "-qn", "/qn!"}
	exeQuiet = []string{"/quiet", "/q", "/qn", "/silent", "/verysilent", "/passive", "--silent", "--quiet", "-q", "-s", "/s",
		"/sp-", "--mode=unattended", "--unattended", "-silent", "/unattended"}
)

// hasAny reports whether args hold one of the switches (or a switch followed by = or : and a value).
func hasAny(args, switches []string, caseSensitive bool) bool {
	for _, a := range args {
		a = strings.Trim(a, `"'`)
		if !caseSensitive {
			a = strings.ToLower(a)
		}
		for _, s := range switches {
			if a == s || strings.HasPrefix(a, s+"=") || strings.HasPrefix(a, s+":") || (s == `/v"/qn"` && strings.Contains(a, "/qn")) {
				return true
			}
		}
	}
	return false
}

// outsideWriteIn returns a path outside the install folder that the line writes to, with the
// severity of writing there, or "".
func outsideWriteIn(ln scriptLine, l lang) (string, Severity) {
	switch l {
	case langCmd, langPS:
		if !winWriteRE.MatchString(ln.text) {
			return "", ""
		}
		if m := winAbsRE.FindString(ln.text); m != "" {
			return strings.Trim(m, `"' `), SeverityError
		}
		return "", ""
	}
	// A redirection writes its target; a writing command (cp, mkdir, ...) may write any path it names.
	text := ""
	for _, m := range redirectRE.FindAllStringSubmatch(ln.text, -1) {
		text += " " + m[1]
	}
	for _, w := range segments(ln.code) {
		if shWriters[w[0]] {
			text = ln.text
		}
	}
	for _, m := range absPathRE.FindAllStringSubmatch(text, -1) {
		if !strings.HasPrefix(m[2], "/dev/") && !strings.HasPrefix(m[2], "/proc/") {
			return m[2], SeverityError
		}
	}
	if m := homeRE.FindString(text); m != "" {
		return strings.TrimLeft(m, ` "'=>`), SeverityWarning
	}
	return "", ""
}

var (
	shWriters = map[string]bool{"cp": true, "mv": true, "install": true, "mkdir": true, "ln": true, "touch": true, "tee": true,
		"rsync": true, "tar": true, "unzip": true, "dd": true, "ditto": true}
	redirectRE = regexp.MustCompile(`>>?\s*(["']?[^\s;|&)]+)`)
	absPathRE  = regexp.MustCompile(`(^|[\s=>"'])(/(?:opt|usr|etc|var|srv|home|root|lib|lib64|bin|sbin|boot|tmp|Library|Applications|System|Users)(?:/[^\s"';|&)]*)?)`)
	homeRE     = regexp.MustCompile(`(^|[\s=>"'])(\$HOME|\$\{HOME\}|~)/[^\s"';|&)]*`)
	winWriteRE = regexp.MustCompile(`(?i)\b(copy|xcopy|robocopy|move|mkdir|md|Copy-Item|Move-Item|New-Item|Set-Content|Add-Content|Out-File)\b|>`)
	winAbsRE   = regexp.MustCompile(`(?i)(^|[\s"'=>])([a-z]:\\[^\s"']*|%(ProgramFiles|ProgramFiles\(x86\)|ProgramData|SystemRoot|windir|APPDATA|LOCALAPPDATA|USERPROFILE|PUBLIC)%[^\s"']*|\$env:(ProgramFiles|ProgramData|SystemRoot|windir|APPDATA|LOCALAPPDATA|USERPROFILE)[^\s"']*)`)
)

// mentionsLog reports whether a script writes the agent's log ($ISCDESK_LOG, %ISCDESK_LOG%, $env:ISCDESK_LOG).
func mentionsLog(path string) bool {
	data, err := os.ReadFile(path)
	return err == nil && bytes.Contains(data, []byte("ISCDESK_LOG"))
}
