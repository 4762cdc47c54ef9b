package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kardianos/service"
	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/agent/config"
)

// serviceName is the unit, Windows service and launchd label.
const serviceName = "iscdesk-agent"

// serviceConfig describes the service that runs `iscdesk-agent run [--config configPath]` from
// the binary at exe.
func serviceConfig(exe, configPath string) (*service.Config, error) {
	args := []string{"run"}
	if configPath != "" {
		args = append(args, "--config", configPath)
	}
	unit, err := systemdUnit(exe, args)
	if err != nil {
		return nil, err
	}
	return &service.Config{
		Name:        serviceName,
		DisplayName: "ISCDesk Agent",
		Description: "Installs and uninstalls software bought on the ISCDesk marketplace.",
		Executable:  exe,
		Arguments:   args,
		Option: service.KeyValue{
			"SystemdScript": unit,
			// Windows: start once boot has settled; restart 5 s after a crash, and forget crashes
			// after 10 minutes, the window of our own crash guard.
			"DelayedAutoStart":       true,
			"OnFailure":              "restart",
			"OnFailureDelayDuration": "5s",
			"OnFailureResetPeriod":   600,
			// launchd: start at boot and restart when it exits.
			"RunAtLoad": true,
			"KeepAlive": true,
		},
	}, nil
}

// executable is this binary's own path, resolved, for the service definition.
func executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding this program's path: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	return exe, nil
}

// noopProgram is the service.Interface for commands that manage the service rather than run it.
type noopProgram struct{}

func (noopProgram) Start(service.Service) error { return nil }
func (noopProgram) Stop(service.Service) error  { return nil }

func newService(configPath string) (service.Service, error) {
	exe, err := executable()
	if err != nil {
		return nil, err
	}
	sc, err := serviceConfig(exe, configPath)
	if err != nil {
		return nil, err
	}
	s, err := service.New(noopProgram{}, sc)
	if err != nil {
		return nil, fmt.Errorf("no supported service manager found (systemd, Windows services, launchd): %w", err)
	}
	return s, nil
}

func newServiceCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Install, remove, start, stop and query the agent's system service",
	}
	install := &cobra.Command{
		Use:   "install",
		Short: "Install the system service (it runs `iscdesk-agent run --config FILE`); writes nothing but the service definition",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := configPath
			if path != "" {
				abs, err := filepath.Abs(path)
				if err != nil {
					return fmt.Errorf("config path %s: %w", path, err)
				}
				// A config the service cannot read would fail every start: say so now.
				if _, err := config.Load(abs, config.ModeSystem); err != nil {
					return fmt.Errorf("not installing the service: %w", err)
				}
				path = abs
			}
			s, err := newService(path)
			if err != nil {
				return err
			}
			if err := s.Install(); err != nil {
				return fmt.Errorf("installing the %s service: %w; if it is installed already, run: iscdesk-agent service uninstall", serviceName, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed the %s service; start it with: iscdesk-agent service start\n", serviceName)
			return nil
		},
	}
	install.Flags().StringVar(&configPath, "config", "", "the config file the service reads (default: the platform's default path)")

	unit := &cobra.Command{
		Use:   "unit",
		Short: "Print the systemd unit that `service install` writes on linux",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			exe, err := executable()
			if err != nil {
				return err
			}
			path := configPath
			if path != "" {
				if path, err = filepath.Abs(path); err != nil {
					return err
				}
			}
			sc, err := serviceConfig(exe, path)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), sc.Option["SystemdScript"])
			return err
		},
	}
	unit.Flags().StringVar(&configPath, "config", "", "the config file the service reads")

	action := func(use, short, done string, do func(service.Service) error) *cobra.Command {
		return &cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				s, err := newService("")
				if err != nil {
					return err
				}
				if err := do(s); err != nil {
					return fmt.Errorf("could not %s the %s service: %w", use, serviceName, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s the %s service\n", done, serviceName)
				return nil
			},
		}
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Print the service manager's view: running (exit 0), stopped (1), not installed (2)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st := queryService()
			fmt.Fprintln(cmd.OutOrStdout(), "service:", st.state)
			if st.code != exitOK {
				return &exitError{code: st.code}
			}
			return nil
		},
	}
	cmd.AddCommand(install,
		action("uninstall", "Remove the system service (the config, state and logs stay)", "removed", service.Service.Uninstall),
		action("start", "Start the system service", "started", service.Service.Start),
		action("stop", "Stop the system service", "stopped", service.Service.Stop),
		status, unit)
	return cmd
}

// serviceState is what the service manager says, with the exit code scripts get for it.
type serviceState struct {
	state string // running, stopped, not installed, or unknown (why)
	code  int
}

func queryService() serviceState {
	s, err := newService("")
	if err != nil {
		return serviceState{state: "unknown (" + err.Error() + ")", code: exitFailed}
	}
	st, err := s.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		return serviceState{state: "not installed", code: exitNotInstalled}
	case err != nil:
		return serviceState{state: "unknown (" + err.Error() + ")", code: exitFailed}
	case st == service.StatusRunning:
		return serviceState{state: "running", code: exitOK}
	case st == service.StatusStopped:
		return serviceState{state: "stopped", code: exitFailed}
	}
	return serviceState{state: "unknown", code: exitFailed}
}
