package detect

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/iscdesk/iscdesk/installer/manifest"
)

// RegistryReader lists the entries of the Windows Uninstall keys ("Apps & features").
type RegistryReader interface {
	UninstallEntries() ([]UninstallEntry, error)
}

// UninstallEntry is one subkey of an Uninstall key.
type UninstallEntry struct {
	Key                  string // the subkey name; the ProductCode for MSI packages
	ProductCode          string // "{GUID}" when the key names one, else ""
	DisplayName          string
	DisplayVersion       string
	Publisher            string
	UninstallString      string
	QuietUninstallString string
	InstallLocation      string
	SystemComponent      bool   // hidden from Apps & features, e.g. an MSI wrapped by a bootstrapper
	View                 string // "64", "32" (HKLM views) or "user" (HKCU)
}

// Match returns the entry that rule r names, and whether there is one. A ProductCode is compared
// case-insensitively, with or without braces; DisplayName is a regular expression (unanchored,
// case-sensitive unless it starts with (?i)); Publisher must equal, ignoring case. SystemComponent
// entries match only a rule that names their ProductCode. With several matches the highest
// DisplayVersion wins, the first listed among equals. A rule naming neither ProductCode nor
// DisplayName, or with a bad regular expression, matches nothing.
func Match(entries []UninstallEntry, r manifest.RegistryRule) (UninstallEntry, bool) {
	if r.ProductCode == "" && r.DisplayName == "" {
		return UninstallEntry{}, false
	}
	var name *regexp.Regexp
	if r.DisplayName != "" {
		var err error
		if name, err = regexp.Compile(r.DisplayName); err != nil {
			return UninstallEntry{}, false
		}
	}
	code := normaliseProductCode(r.ProductCode)

	var best UninstallEntry
	found := false
	for _, e := range entries {
		switch {
		case code != "" && normaliseProductCode(entryProductCode(e)) != code:
			continue
		case code == "" && e.SystemComponent:
			continue
		case name != nil && !name.MatchString(e.DisplayName):
			continue
		case r.Publisher != "" && !strings.EqualFold(strings.TrimSpace(e.Publisher), strings.TrimSpace(r.Publisher)):
			continue
		}
		if !found || manifest.CompareVersions(e.DisplayVersion, best.DisplayVersion) > 0 {
			best, found = e, true
		}
	}
	return best, found
}

// entryProductCode is e's ProductCode, or its key name when a reader left ProductCode empty.
func entryProductCode(e UninstallEntry) string {
	if e.ProductCode != "" {
		return e.ProductCode
	}
	return e.Key
}

// normaliseProductCode turns "{ABC-…}", "abc-…" and " {abc-…} " into one form: "{ABC-…}".
func normaliseProductCode(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if s == "" {
		return ""
	}
	return "{" + strings.ToUpper(s) + "}"
}

// guidPattern is the shape of an MSI ProductCode as an Uninstall subkey name.
var guidPattern = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)

// productCodeOfKey returns the key name when it is a ProductCode, else "".
func productCodeOfKey(key string) string {
	if guidPattern.MatchString(key) {
		return key
	}
	return ""
}

func validateRegistryRule(r manifest.RegistryRule) error {
	if r.DisplayName == "" {
		return nil
	}
	if _, err := regexp.Compile(r.DisplayName); err != nil {
		return fmt.Errorf("%w: registry DisplayName `%s` is not a regular expression: %w", errBadRule, r.DisplayName, err)
	}
	return nil
}

// describeRegistryRule renders r for RuleResult.Rule: ProductCode "{…}" DisplayName "…" Publisher "…".
func describeRegistryRule(r manifest.RegistryRule) string {
	var parts []string
	if r.ProductCode != "" {
		parts = append(parts, fmt.Sprintf("ProductCode %q", r.ProductCode))
	}
	if r.DisplayName != "" {
		parts = append(parts, fmt.Sprintf("DisplayName %q", r.DisplayName))
	}
	if r.Publisher != "" {
		parts = append(parts, fmt.Sprintf("Publisher %q", r.Publisher))
	}
	return strings.Join(parts, " ")
}
