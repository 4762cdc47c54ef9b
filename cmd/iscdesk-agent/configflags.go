package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/agent/config"
)

// configFlags are the flags that pick and override the config; each command adds those it takes.
type configFlags struct {
	user        bool
	path        string
	socket      string
	stateDir    string
	installRoot string
	trustedKeys []string
}

func (f *configFlags) addSelect(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.user, "user", false, "run as this user, with state and installs under the user's folders")
	cmd.Flags().StringVar(&f.path, "config", "", "the config file (default /etc/iscdesk/agent.yaml; with --user ~/.config/iscdesk/agent.yaml)")
}

func (f *configFlags) addSocket(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.socket, "socket", "", "the socket (named pipe on Windows) of the local API")
}

func (f *configFlags) addOverrides(cmd *cobra.Command) {
	f.addSocket(cmd)
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "the state folder: journal, job logs")
	cmd.Flags().StringVar(&f.installRoot, "install-root", "", "the folder software is installed into")
	cmd.Flags().StringArrayVar(&f.trustedKeys, "trusted-key", nil, `a trusted marketplace key line "iscdesk-ed25519-public ID BASE64 [comment]"; repeat for several`)
}

func (f *configFlags) mode() config.Mode {
	if f.user {
		return config.ModeUser
	}
	return "" // the file's mode, else system
}

// load reads the config in its layers: defaults, file, environment, flags.
// Paths given as flags may be relative to the working folder.
func (f *configFlags) load() (*config.Config, error) {
	o := config.Overrides{TrustedKeys: f.trustedKeys}
	path := f.path
	for _, p := range []struct {
		src string
		dst *string
	}{
		{f.path, &path}, {f.stateDir, &o.StateDir}, {f.installRoot, &o.InstallRoot}, {f.socket, &o.Socket},
	} {
		if p.src == "" || isPipe(p.src) {
			*p.dst = p.src
			continue
		}
		abs, err := filepath.Abs(p.src)
		if err != nil {
			return nil, fmt.Errorf("path %s: %w", p.src, err)
		}
		*p.dst = abs
	}
	c, err := config.Load(path, f.mode())
	if err != nil {
		return nil, err
	}
	if err := c.Apply(o); err != nil {
		return nil, err
	}
	return c, nil
}

// isPipe says whether s names a Windows named pipe, which is not a file path.
func isPipe(s string) bool { return strings.HasPrefix(s, `\\.\pipe\`) }
