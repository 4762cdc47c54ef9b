package main

import (
	"fmt"
	"strings"
)

// systemdUnit renders the agent's systemd unit for the binary at exe run with args.
//
// We render the whole unit here and hand kardianos a "template" with no actions in it, so the
// file it installs is byte for byte what `service unit` prints and what the test verifies with
// systemd-analyze. The choices:
//   - Restart=on-failure every 5 s, at most 5 starts in 10 minutes (systemd's own storm guard),
//     and never after exit code 3: that is our crash guard saying it gave up.
//   - KillMode=mixed: a stop sends SIGTERM to the agent only; it then ends the vendor's install
//     step itself and journals it, instead of systemd killing the step's process tree first.
//   - Hardening that leaves installs working: installers write to /opt, /usr/local, /etc and
//     /root, load kernel modules for drivers and may run 32-bit code, so no ProtectSystem,
//     ProtectHome, ProtectKernelModules or SystemCallArchitectures.
func systemdUnit(exe string, args []string) (string, error) {
	execStart, err := systemdCommand(append([]string{exe}, args...))
	if err != nil {
		return "", err
	}
	return `[Unit]
Description=ISCDesk agent: installs and uninstalls software bought on the ISCDesk marketplace
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
Type=simple
ExecStart=` + execStart + `
Restart=on-failure
RestartSec=5s
RestartPreventExitStatus=3
KillMode=mixed
TimeoutStopSec=90s
RuntimeDirectory=iscdesk
RuntimeDirectoryMode=0755
StateDirectory=iscdesk
StateDirectoryMode=0755
CacheDirectory=iscdesk
LogsDirectory=iscdesk
UMask=0022
LimitNOFILE=65536
PrivateTmp=yes
ProtectClock=yes
ProtectHostname=yes
ProtectControlGroups=yes
RestrictRealtime=yes

[Install]
WantedBy=multi-user.target
`, nil
}

// systemdCommand quotes argv for ExecStart=: each word in double quotes where needed, with
// systemd's specifiers (%) and variables ($) escaped so that they reach the agent unchanged.
func systemdCommand(argv []string) (string, error) {
	words := make([]string, len(argv))
	for i, a := range argv {
		if strings.ContainsAny(a, "\x00\n\r") {
			return "", fmt.Errorf("argument %q of the service command holds a line break or NUL; systemd cannot run it", a)
		}
		// kardianos reads the unit as a template: "{{" would be taken for an action.
		if strings.Contains(a, "{{") {
			return "", fmt.Errorf("argument %q of the service command holds \"{{\"; rename the file or folder", a)
		}
		a = strings.ReplaceAll(a, "%", "%%")
		a = strings.ReplaceAll(a, "$", "$$")
		if a != "" && !strings.ContainsAny(a, " \t\"'\\;") {
			words[i] = a
			continue
		}
		a = strings.ReplaceAll(a, `\`, `\\`)
		a = strings.ReplaceAll(a, `"`, `\"`)
		words[i] = `"` + a + `"`
	}
	return strings.Join(words, " "), nil
}
