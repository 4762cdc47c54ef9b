package agent

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// systemEnvKey is where Windows keeps machine-wide variables (what "System variables" edits).
const systemEnvKey = `SYSTEM\CurrentControlSet\Control\Session Manager\Environment`

// registryEnv sets variables in the registry: HKLM's system environment (system mode) or the
// user's HKCU\Environment (user mode), then tells running programs (Explorer) to reload them.
type registryEnv struct {
	root registry.Key
	path string
}

// defaultEnv sets license variables in the registry.
func defaultEnv(mode string) EnvSetter {
	if mode == ModeUser {
		return registryEnv{root: registry.CURRENT_USER, path: "Environment"}
	}
	return registryEnv{root: registry.LOCAL_MACHINE, path: systemEnvKey}
}

func (r registryEnv) where() string {
	if r.root == registry.LOCAL_MACHINE {
		return `HKLM\` + r.path
	}
	return `HKCU\` + r.path
}

func (r registryEnv) Set(_, name, value string) (string, error) {
	k, err := registry.OpenKey(r.root, r.path, registry.SET_VALUE)
	if err != nil {
		return "", fmt.Errorf("opening %s: %w", r.where(), err)
	}
	defer k.Close()
	if err := k.SetStringValue(name, value); err != nil {
		return "", fmt.Errorf("setting %s in %s: %w", name, r.where(), err)
	}
	broadcastEnvChange()
	return r.where(), nil
}

func (r registryEnv) Unset(_, name string) error {
	k, err := registry.OpenKey(r.root, r.path, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("opening %s: %w", r.where(), err)
	}
	defer k.Close()
	if err := k.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("removing %s from %s: %w", name, r.where(), err)
	}
	broadcastEnvChange()
	return nil
}

var procSendMessageTimeout = windows.NewLazySystemDLL("user32.dll").NewProc("SendMessageTimeoutW")

// broadcastEnvChange sends WM_SETTINGCHANGE "Environment" to every top-level window, so that
// Explorer, and the programs it starts from now on, see the change without a new logon. A window
// that does not answer within 5 s is skipped; failing to tell them is not an error.
func broadcastEnvChange() {
	const (
		hwndBroadcast   = 0xffff
		wmSettingChange = 0x001A
		smtoAbortIfHung = 0x0002
	)
	env, err := windows.UTF16PtrFromString("Environment")
	if err != nil {
		return
	}
	var result uintptr
	_, _, _ = procSendMessageTimeout.Call(hwndBroadcast, wmSettingChange, 0, uintptr(unsafe.Pointer(env)),
		smtoAbortIfHung, 5000, uintptr(unsafe.Pointer(&result)))
}
