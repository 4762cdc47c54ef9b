package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/agent/config"
)

// configWriteFlags are the values `config write` sets. An empty value keeps what the file has, so
// that an installer can pass every property on every run (install, repair, upgrade) and an empty
// property does not wipe what IT wrote earlier.
type configWriteFlags struct {
	path           string
	marketplaceURL string
	trustedKeys    []string
	installGroup   string
}

// newConfigWriteCmd is `config write`: the msi's custom action runs it to put MARKETPLACE_URL,
// TRUSTED_KEY and INSTALL_GROUP into the system config (docs/it-deployment.md).
func newConfigWriteCmd() *cobra.Command {
	var f configWriteFlags
	cmd := &cobra.Command{
		Use:   "write",
		Short: "Set values in the system config file and save it atomically; values left empty keep what the file has",
		Long: `Set values in the system config file, then check and save it atomically (a crash leaves the
old file or the new one). A missing file is created from the defaults. An empty value keeps the
value in the file. --trusted-key replaces the list of keys; one value may hold several key lines
separated by ';'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := writeConfig(f, os.LookupEnv)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), "wrote", path)
			return err
		},
	}
	cmd.Flags().StringVar(&f.path, "config", "", "the config file (default: the system config, /etc/iscdesk/agent.yaml or %ProgramData%\\ISCDesk\\agent.yaml)")
	cmd.Flags().StringVar(&f.marketplaceURL, "marketplace-url", "", "marketplace_url, e.g. https://market.example.com")
	cmd.Flags().StringArrayVar(&f.trustedKeys, "trusted-key", nil, `trusted_keys: a key line "iscdesk-ed25519-public ID BASE64 [comment]"; repeat it, or separate lines with ';'`)
	cmd.Flags().StringVar(&f.installGroup, "install-group", "", "install_group: the group whose members may install")
	return cmd
}

// writeConfig applies f to the file it names and returns the path written.
func writeConfig(f configWriteFlags, env config.LookupEnv) (string, error) {
	// Load lays ISCDESK_* variables over the file; saving then would copy them into it for good.
	for _, name := range []string{
		config.EnvStateDir, config.EnvInstallRoot, config.EnvSocket, config.EnvInstallGroup,
		config.EnvTrustedKeys, config.EnvMarketplaceURL, config.EnvLogLevel,
	} {
		if v, ok := env(name); ok && v != "" {
			return "", fmt.Errorf("not writing the config: %s is set in the environment and would be saved into the file; unset it, or pass the value as a flag", name)
		}
	}
	path := f.path
	if path == "" {
		p, err := config.DefaultPath(runtime.GOOS, config.ModeSystem, env)
		if err != nil {
			return "", err
		}
		path = p
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("config path %s: %w", path, err)
	}
	c, err := loadOrDefaults(abs, env)
	if err != nil {
		return "", err
	}
	if s := strings.TrimSpace(f.marketplaceURL); s != "" {
		c.MarketplaceURL = s
	}
	if s := strings.TrimSpace(f.installGroup); s != "" {
		c.InstallGroup = s
	}
	var keys []string
	for _, v := range f.trustedKeys {
		keys = append(keys, config.SplitKeyLines(v)...)
	}
	if len(keys) > 0 {
		c.TrustedKeys = keys
	}
	// Save checks every value first: a bad key or URL fails the installer instead of leaving an
	// agent that refuses every install.
	if err := c.Save(abs); err != nil {
		return "", fmt.Errorf("not writing the config: %w", err)
	}
	return abs, nil
}

// loadOrDefaults reads the system config at path, or starts from the system defaults when there is
// no file yet.
func loadOrDefaults(path string, env config.LookupEnv) (*config.Config, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		c, err := config.Load(path, config.ModeSystem)
		if err != nil {
			return nil, fmt.Errorf("not writing the config: %w; fix or remove the file first", err)
		}
		return c, nil
	case errors.Is(err, fs.ErrNotExist):
		c, err := config.Defaults(runtime.GOOS, config.ModeSystem, env)
		if err != nil {
			return nil, err
		}
		// Apply with no overrides fills in the values that follow state_dir (socket, log file).
		if err := c.Apply(config.Overrides{}); err != nil {
			return nil, err
		}
		return c, nil
	default:
		return nil, fmt.Errorf("reading the agent config %s: %w", path, err)
	}
}
