package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/iscdesk/iscdesk/agent/apitype"
	"github.com/iscdesk/iscdesk/agent/events"
	"github.com/iscdesk/iscdesk/installer/atomicfile"
	"github.com/iscdesk/iscdesk/installer/engine"
	"github.com/iscdesk/iscdesk/installer/journal"
	"github.com/iscdesk/iscdesk/installer/manifest"
)

// MaxLicenseSize bounds a license file the agent installs: licenses are text or small signed files.
const MaxLicenseSize = 512 << 10

// envLicenseFolder, under the install root, holds the license files of products that find theirs
// through an environment variable. It cannot clash with a package's folder: ids never start with ".".
// It is not under the state folder, which is root-only: the software, run by its users, must read it.
const envLicenseFolder = ".licenses"

// fileNameRE is what a license file name for an env rule may be: a plain name, no folders.
var fileNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// licenses is the license broker: it writes the licenses that the marketplace issued where the
// installed product reads them, keeps a record of each in the state folder (licenses/PRODUCT.json),
// and removes what it wrote once the product is uninstalled.
type licenses struct {
	records     string // <state>/licenses: one record per product, root-only
	installRoot string
	group       string // the install group: license files are 0640 and theirs when it exists
	env         EnvSetter
	eng         *engine.Engine
	bus         *events.Bus
	log         *slog.Logger

	// mu serialises installs and removals, so that a record always describes the file on disk.
	mu sync.Mutex
}

// licenseRecord is what the agent wrote for a product, kept to remove it again.
type licenseRecord struct {
	Product     string    `json:"product"`
	Path        string    `json:"path"`
	Env         string    `json:"env,omitempty"`
	EnvFile     string    `json:"env_file,omitempty"`
	SHA256      string    `json:"sha256"`
	InstalledAt time.Time `json:"installed_at"`
}

// InstallLicense writes a license where installed product req.Product reads it: at the license path
// of its package, or, for a package that names an environment variable, in a file under the
// install root with the variable set machine-wide to it. The write is atomic. A request the agent
// will not take is an *Error: bad_request (a bad field or a SHA-256 that does not match), not_found
// (the product was not installed by ISCDesk), conflict (a job of the product is under way), refused
// (the package has no license rule, or its path leaves the install folder).
func (a *Agent) InstallLicense(ctx context.Context, req apitype.LicenseRequest) (apitype.License, error) {
	if err := ctx.Err(); err != nil {
		return apitype.License{}, err
	}
	return a.lic.install(req)
}

// Licenses lists the license files of installed products that are on disk now, by product.
func (a *Agent) Licenses(ctx context.Context) ([]apitype.License, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	installed, err := a.eng.Journal().ListInstalled()
	if err != nil {
		return nil, fmt.Errorf("reading the inventory: %w", err)
	}
	out := []apitype.License{}
	for _, in := range installed {
		if l, ok := a.lic.describe(in.ID); ok {
			out = append(out, l)
		}
	}
	return out, nil
}

func (l *licenses) install(req apitype.LicenseRequest) (apitype.License, error) {
	if err := checkLicenseRequest(&req); err != nil {
		return apitype.License{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refuseDuringJob(req.Product); err != nil {
		return apitype.License{}, err
	}
	t, err := l.eng.LicenseTarget(req.Product)
	switch {
	case errors.Is(err, journal.ErrNotFound):
		return apitype.License{}, &Error{Code: CodeNotFound, Field: "product", Err: err,
			Msg: fmt.Sprintf("%s is not installed by ISCDesk on this machine; install it first (iscdesk install %s), then its license", req.Product, req.Product)}
	case errors.Is(err, engine.ErrNoLicenseRule):
		return apitype.License{}, &Error{Code: CodeRefused, Field: "product", Err: err,
			Msg: fmt.Sprintf("%s %s declares no license location; save the license where the vendor's documentation says (iscdesk licenses install ID -o FILE)", t.Product, t.Version)}
	case errors.Is(err, engine.ErrLicensePathRefused):
		return apitype.License{}, &Error{Code: CodeRefused, Err: err, Msg: err.Error() + "; the agent writes licenses only inside the product's install folder. Tell the vendor"}
	case err != nil:
		return apitype.License{}, fmt.Errorf("finding where the license of %s goes: %w", req.Product, err)
	}

	path, root := t.Path, t.InstallDir
	if t.Env != "" {
		root = filepath.Join(l.installRoot, envLicenseFolder, t.Product)
		path = filepath.Join(root, req.FileName)
	}
	if err := l.writeFile(t.Product, root, path, req.Content); err != nil {
		return apitype.License{}, err
	}
	rec := licenseRecord{Product: t.Product, Path: path, Env: t.Env, SHA256: req.SHA256, InstalledAt: time.Now().UTC()}
	if t.Env != "" {
		where, err := l.env.Set(t.Product, t.Env, path)
		if err != nil {
			return apitype.License{}, fmt.Errorf("the license of %s is in %s, but setting %s machine-wide failed: %w; set %s=%s yourself",
				t.Product, path, t.Env, err, t.Env, path)
		}
		rec.EnvFile = where
	}
	old, _ := l.readRecord(t.Product)
	// A root-only copy, so that an overwrite install or a repair, which start from an empty install
	// folder, get their license back (afterJob).
	if err := os.MkdirAll(l.records, 0o700); err != nil {
		return apitype.License{}, fmt.Errorf("creating the folder of license records: %w", err)
	}
	if err := atomicfile.WriteFile(l.contentPath(t.Product), req.Content, 0o600); err != nil {
		return apitype.License{}, fmt.Errorf("keeping a copy of the license of %s: %w", t.Product, err)
	}
	if err := l.writeRecord(rec); err != nil {
		return apitype.License{}, err
	}
	if old != nil && old.Path != path {
		l.removeOld(old) // the package moved its license (a new version, another file name)
	}
	l.log.Info("license installed", "product", t.Product, "path", path, "env", t.Env, "sha256", req.SHA256)
	l.bus.Publish(apitype.Event{Type: apitype.EventLicense, Message: fmt.Sprintf("license installed for %s: %s", t.Product, path)})
	out, _ := l.describe(t.Product)
	return out, nil
}

// checkLicenseRequest checks the fields and the SHA-256, and fills in the default file name.
func checkLicenseRequest(req *apitype.LicenseRequest) error {
	req.SHA256 = strings.ToLower(strings.TrimSpace(req.SHA256))
	switch {
	case req.Product == "":
		return badRequest("product", "the license request names no product; give the installed product's id (see GET /v1/software)")
	case len(req.Content) == 0:
		return badRequest("content", "the license is empty; send the license file's bytes, base64-encoded, in \"content\"")
	case len(req.Content) > MaxLicenseSize:
		return badRequest("content", fmt.Sprintf("the license is %d bytes; the agent takes licenses of up to %d bytes", len(req.Content), MaxLicenseSize))
	case req.SHA256 == "":
		return badRequest("sha256", "the license request has no sha256; send the SHA-256 the marketplace gave for the license")
	}
	sum := sha256.Sum256(req.Content)
	if got := hex.EncodeToString(sum[:]); got != req.SHA256 {
		return badRequest("sha256", fmt.Sprintf("the license content has SHA-256 %s, but the request says %s; download the license again", got, clip(req.SHA256)))
	}
	if req.FileName == "" {
		req.FileName = req.Product + ".lic"
	}
	if !fileNameRE.MatchString(req.FileName) {
		return badRequest("file_name", fmt.Sprintf("file_name %q is not a plain file name; use letters, digits, '.', '_' and '-', such as solver.lic", clip(req.FileName)))
	}
	return nil
}

// refuseDuringJob keeps a license from being written into a folder that a job is changing.
func (l *licenses) refuseDuringJob(product string) error {
	open, err := l.eng.Unfinished()
	if err != nil {
		return fmt.Errorf("reading the queue: %w", err)
	}
	for _, j := range open {
		if j.PackageID == product {
			return &Error{Code: CodeConflict, Field: "product",
				Msg: fmt.Sprintf("%s has job %s under way (%s, %s); install its license once the job has ended", product, j.ID, j.Action, j.State)}
		}
	}
	return nil
}

// writeFile writes data atomically at path, which must stay inside root once symbolic links are
// followed: a link in the install folder must not send a license (written as root) elsewhere.
func (l *licenses) writeFile(product, root, path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the folder of the license of %s: %w", product, err)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("resolving the folder of %s: %w", product, err)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("resolving the folder of the license of %s: %w", product, err)
	}
	if !manifest.Within(realRoot, realDir) {
		return &Error{Code: CodeRefused,
			Msg: fmt.Sprintf("the license of %s would go to %s, which leads to %s, outside its install folder %s; remove the link, or repair %s",
				product, dir, realDir, realRoot, product)}
	}
	path = filepath.Join(realDir, filepath.Base(path))
	gid, grouped, err := lookupGroup(l.group)
	if err != nil {
		l.log.Warn("license files are written 0644: the install group cannot be looked up", "group", l.group, "err", err)
	}
	mode := os.FileMode(0o644)
	if grouped {
		mode = 0o640
	}
	if err := atomicfile.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("installing the license of %s: %w", product, err)
	}
	if grouped {
		if err := chownGroup(path, gid); err != nil {
			return fmt.Errorf("giving the license of %s to the group %s: %w", product, l.group, err)
		}
	}
	return nil
}

// describe is the license file of installed product id as it is on disk; ok is false when the
// product has none there.
func (l *licenses) describe(id string) (apitype.License, bool) {
	rec, _ := l.readRecord(id)
	out := apitype.License{Product: id}
	t, err := l.eng.LicenseTarget(id)
	switch {
	case err == nil && t.Env != "":
		out.Env = t.Env
		if rec == nil {
			return out, false // the agent has not set the variable to any file yet
		}
		out.Path, out.EnvFile = rec.Path, rec.EnvFile
	case err == nil:
		out.Path = t.Path
	default:
		return out, false
	}
	f, err := os.Open(out.Path)
	if err != nil {
		return out, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return out, false
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, 64<<20)); err != nil {
		return out, false
	}
	out.SHA256, out.Size, out.Modified = hex.EncodeToString(h.Sum(nil)), fi.Size(), fi.ModTime().UTC()
	out.ByAgent = rec != nil && rec.Path == out.Path && rec.SHA256 == out.SHA256
	return out, true
}

// softwareLicense fills in where sw's license goes and whether it is there.
func (l *licenses) softwareLicense(sw *apitype.Software) {
	if lic, ok := l.describe(sw.ID); ok {
		sw.LicensePath, sw.LicenseEnv, sw.LicenseInstalled = lic.Path, lic.Env, true
		return
	}
	if t, err := l.eng.LicenseTarget(sw.ID); err == nil {
		sw.LicensePath, sw.LicenseEnv = t.Path, t.Env
	}
}

// afterJob removes the license of a product that job uninstalled. The uninstall left the file
// (its vendor did not install it); the agent did, so the agent removes it, and the job's
// leftovers no longer list it.
//
// After any other job that ended done (an overwrite install or a repair empties the install folder;
// a new version may read its license elsewhere) it puts the license back when its file is gone.
func (l *licenses) afterJob(job *journal.Job) {
	if job == nil || job.State != journal.StateDone {
		return
	}
	if job.Action != journal.ActionUninstall {
		l.replace(job.PackageID)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.remove(job.PackageID, job)
}

// replace writes product's license again from the agent's copy when its file is gone.
func (l *licenses) replace(product string) {
	l.mu.Lock()
	rec, err := l.readRecord(product)
	l.mu.Unlock()
	if err != nil || rec == nil {
		return
	}
	if _, err := os.Stat(rec.Path); err == nil {
		return // still there (or the vendor's installer wrote its own: leave it)
	}
	content, err := os.ReadFile(l.contentPath(product))
	if err != nil {
		l.log.Warn("the license of a reinstalled product is gone and the agent has no copy; install it again", "product", product, "err", err)
		return
	}
	req := apitype.LicenseRequest{Product: product, Content: content, SHA256: rec.SHA256, FileName: filepath.Base(rec.Path)}
	if _, err := l.install(req); err != nil {
		l.log.Warn("putting back the license of a reinstalled product", "product", product, "err", err)
		return
	}
	l.log.Info("license put back after the install emptied its folder", "product", product, "path", rec.Path)
}

// sweep removes the licenses of products that are no longer installed: an agent stopped between
// the end of an uninstall and the removal of its license finishes it at the next start.
func (l *licenses) sweep() {
	entries, err := os.ReadDir(l.records)
	if err != nil {
		return // no license installed yet
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		if _, err := l.eng.Journal().GetInstalled(id); !errors.Is(err, journal.ErrNotFound) {
			continue // installed, or the journal could not say: keep it
		}
		if l.refuseDuringJob(id) != nil {
			continue // an install of it is under way
		}
		l.remove(id, nil)
	}
}

// remove undoes what the agent did for product's license: the file, if it is still the one the
// agent wrote, the environment variable, and the record. job, when set, is the uninstall that
// left the file in the install folder. l.mu is held.
func (l *licenses) remove(product string, job *journal.Job) {
	rec, err := l.readRecord(product)
	if err != nil || rec == nil {
		if err != nil {
			l.log.Warn("reading the license record", "product", product, "err", err)
		}
		return
	}
	if sum, err := fileSHA256(rec.Path); err == nil && sum != rec.SHA256 {
		l.log.Warn("leaving a license file that changed since the agent wrote it", "product", product, "path", rec.Path)
	} else if job != nil && manifest.Within(job.InstallDir, rec.Path) {
		if _, err := l.eng.RemoveLeftover(job.ID, rec.Path); err != nil {
			l.log.Warn("removing the license of an uninstalled product", "product", product, "path", rec.Path, "err", err)
			return
		}
	} else {
		removeWithFolders(rec.Path, l.folderOf(rec))
	}
	if rec.Env != "" {
		if err := l.env.Unset(product, rec.Env); err != nil {
			l.log.Warn("removing the license variable of an uninstalled product", "product", product, "env", rec.Env, "err", err)
			return // the record stays: the next start tries again
		}
	}
	if err := os.Remove(l.recordPath(product)); err != nil && !errors.Is(err, os.ErrNotExist) {
		l.log.Warn("removing the license record", "product", product, "err", err)
	}
	_ = os.Remove(l.contentPath(product))
	l.log.Info("license removed", "product", product, "path", rec.Path)
	l.bus.Publish(apitype.Event{Type: apitype.EventLicense, Message: "license removed for " + product + ": " + rec.Path})
}

// removeOld removes the file an earlier record names, when it is still the one the agent wrote.
func (l *licenses) removeOld(rec *licenseRecord) {
	if sum, err := fileSHA256(rec.Path); err == nil && sum == rec.SHA256 {
		removeWithFolders(rec.Path, l.folderOf(rec))
	}
}

// folderOf is the highest folder that removing rec's file may leave empty and remove: the env
// rule's folder; for a path rule none (the install folder belongs to the engine and the vendor).
func (l *licenses) folderOf(rec *licenseRecord) string {
	if rec.Env != "" {
		return filepath.Join(l.installRoot, envLicenseFolder, rec.Product)
	}
	return filepath.Dir(rec.Path)
}

// removeWithFolders removes path, then the folders above it up to top that it leaves empty.
func removeWithFolders(path, top string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return
	}
	for dir := filepath.Dir(path); manifest.Within(top, dir); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			return
		}
	}
}

// contentPath is the agent's root-only copy of product's license.
func (l *licenses) contentPath(product string) string {
	return filepath.Join(l.records, product+".license")
}

func (l *licenses) recordPath(product string) string {
	return filepath.Join(l.records, product+".json")
}

// readRecord returns product's record, or nil when the agent installed no license for it.
func (l *licenses) readRecord(product string) (*licenseRecord, error) {
	data, err := os.ReadFile(l.recordPath(product))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec := new(licenseRecord)
	if err := json.Unmarshal(data, rec); err != nil {
		return nil, fmt.Errorf("license record %s: %w", l.recordPath(product), err)
	}
	return rec, nil
}

func (l *licenses) writeRecord(rec licenseRecord) error {
	if err := os.MkdirAll(l.records, 0o700); err != nil {
		return fmt.Errorf("creating the folder of license records: %w", err)
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(l.recordPath(rec.Product), data, 0o600); err != nil {
		return fmt.Errorf("recording the license of %s: %w", rec.Product, err)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func newLicenses(cfg Config, eng *engine.Engine, bus *events.Bus) *licenses {
	env := cfg.LicenseEnv
	if env == nil {
		env = defaultEnv(cfg.Mode)
	}
	return &licenses{
		records:     filepath.Join(cfg.StateDir, "licenses"),
		installRoot: cfg.InstallRoot,
		group:       cfg.InstallGroup,
		env:         env,
		eng:         eng,
		bus:         bus,
		log:         cfg.Logger,
	}
}
