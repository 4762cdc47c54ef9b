package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/manifest"
)

// ErrNoLicenseRule is wrapped by LicenseTarget when the package says nothing about a license.
var ErrNoLicenseRule = errors.New("the package declares no license")

// ErrLicensePathRefused is wrapped by LicenseTarget when the package's license path leaves the
// install folder: the license must not be written over another file.
var ErrLicensePathRefused = errors.New("license path refused")

// LicenseTarget is where the license of an installed package goes, as its kept manifest says for
// this platform: a file inside the install folder (Path), or an environment variable (Env) that the
// caller sets to a file of its choosing.
type LicenseTarget struct {
	Product    string
	Name       string
	Version    string
	InstallDir string
	Path       string // absolute and inside InstallDir; empty for an env rule
	Env        string // the variable's name; empty for a path rule
}

// LicenseTarget reads the license rule of installed package id. It wraps journal.ErrNotFound when
// the engine did not install id, ErrNoLicenseRule when the package has no rule, and
// ErrLicensePathRefused when its path leaves the install folder.
func (e *Engine) LicenseTarget(id string) (LicenseTarget, error) {
	in, err := e.journal.GetInstalled(id)
	if err != nil {
		return LicenseTarget{}, fmt.Errorf("%s was not installed by ISCDesk on this machine: %w", id, err)
	}
	t := LicenseTarget{Product: in.ID, Name: in.Name, Version: in.Version, InstallDir: in.InstallDir}
	m, p, err := e.readManifest(filepath.Join(in.PackageDir, "package.yaml"))
	if err != nil {
		return t, fmt.Errorf("reading the license rule of %s %s: %w; repair it to restore its package", in.ID, in.Version, err)
	}
	if p.License == nil {
		return t, fmt.Errorf("%s %s on %s: %w", in.ID, in.Version, p.Key, ErrNoLicenseRule)
	}
	if p.License.Env != "" {
		t.Env = p.License.Env
		return t, nil
	}
	path, err := p.LicensePath(manifest.Vars{InstallDir: in.InstallDir, PackageDir: in.PackageDir, Version: m.Version, ID: m.ID, Mode: "license"})
	if err != nil {
		return t, fmt.Errorf("%w: %w", ErrLicensePathRefused, err)
	}
	t.Path = path
	return t, nil
}

// RemoveLeftover removes a file that the caller put inside the install folder of the package that
// uninstall job id removed (a license the agent placed): the uninstall left it because the vendor
// did not install it. Folders it leaves empty go too, the install folder included, and the job's
// leftovers and warning are journaled again. A file already gone is not an error.
func (e *Engine) RemoveLeftover(id, path string) (*journal.Job, error) {
	job, err := e.journal.Get(id)
	if err != nil {
		return nil, err
	}
	if job.Action != journal.ActionUninstall || job.State != journal.StateDone {
		return job, fmt.Errorf("job %s is %s %s, not a finished uninstall; its files are not leftovers", id, job.Action, job.State)
	}
	path = filepath.Clean(path)
	if !manifest.Within(job.InstallDir, path) || path == filepath.Clean(job.InstallDir) {
		return job, fmt.Errorf("%s is not inside the install folder %s of job %s; it is not a leftover of it", path, job.InstallDir, id)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return job, fmt.Errorf("removing %s, left by the uninstall of %s: %w", path, job.PackageID, err)
	}
	// The folders above it, as far as the install folder, if nothing else is in them.
	for dir := filepath.Dir(path); manifest.Within(job.InstallDir, dir); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break
		}
	}
	left, lerr := leftovers(job.InstallDir)
	msg := fmt.Sprintf("removed %s, which the uninstall of %s left", path, job.PackageID)
	next, err := e.journal.Update(id, func(j *journal.Job) error {
		j.Leftovers = left
		// The uninstall step said how many files it left (see uninstall in steps.go); say it again.
		j.Warnings = slices.DeleteFunc(j.Warnings, func(w string) bool { return strings.HasPrefix(w, leftoverWarningPrefix) })
		if len(left) > 0 {
			j.Warnings = append(j.Warnings, leftoverWarning(j.InstallDir, left))
		}
		if lerr != nil {
			j.Warnings = append(j.Warnings, leftoverWarningPrefix+"could not be listed: "+lerr.Error())
		}
		return nil
	})
	if err != nil {
		return job, &journalError{err}
	}
	e.emit(next, "leftovers", msg)
	return next, nil
}
