package run

import (
	"fmt"
	"strings"
)

// Variables every step gets, on top of Spec.Env. ISCDESK_STEP is proc.TokenEnv.
const (
	envMode       = "ISCDESK_MODE"
	envInstallDir = "ISCDESK_INSTALL_DIR"
	envPackageDir = "ISCDESK_PACKAGE_DIR"
	envLog        = "ISCDESK_LOG"
)

// defaultUnixPath is used when the agent itself runs without PATH (some service managers).
const defaultUnixPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// baseKeys are the variables copied from the agent's environment. The step must not see the agent's
// own settings or secrets, so this is a short allow-list. Windows needs more than unix: without
// SystemRoot, ComSpec, PATHEXT and the Program Files folders, cmd scripts, MSI custom actions and
// many vendor installers break.
func baseKeys(goos string) []string {
	if goos == "windows" {
		return []string{
			"PATH", "PATHEXT", "SystemRoot", "SystemDrive", "windir", "ComSpec",
			"USERPROFILE", "TEMP", "TMP", "ProgramData", "ALLUSERSPROFILE",
			"ProgramFiles", "ProgramFiles(x86)", "ProgramW6432",
			"CommonProgramFiles", "CommonProgramFiles(x86)", "CommonProgramW6432",
			"PROCESSOR_ARCHITECTURE", "NUMBER_OF_PROCESSORS", "LANG",
		}
	}
	return []string{"PATH", "HOME", "LANG", "TMPDIR"}
}

// environ builds a step's environment: the allow-listed base from lookup, then extra (the package's
// KEY=VALUE entries), then ours, which nobody may override. Later entries replace earlier ones with
// the same key; keys compare case-insensitively on windows, like the OS does.
func environ(goos string, lookup func(string) (string, bool), extra, ours []string) ([]string, error) {
	var env []string
	index := map[string]int{}
	set := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		if goos == "windows" {
			k = strings.ToUpper(k)
		}
		if i, ok := index[k]; ok {
			env[i] = kv
			return
		}
		index[k] = len(env)
		env = append(env, kv)
	}
	for _, k := range baseKeys(goos) {
		if v, ok := lookup(k); ok {
			set(k + "=" + v)
		} else if k == "PATH" && goos != "windows" {
			set(k + "=" + defaultUnixPath)
		}
	}
	for _, kv := range extra {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.ContainsRune(kv, 0) {
			return nil, fmt.Errorf("environment entry %q is not KEY=VALUE; fix the package's env", kv)
		}
		set(kv)
	}
	for _, kv := range ours {
		set(kv)
	}
	return env, nil
}
