package manifest

import "strings"

// Placeholders in preset commands, replaced by the installer's own values when the preset is applied.
const (
	phFile        = "<FILE>"         // the installer file, joined to {{.PackageDir}}
	phProductCode = "<PRODUCT_CODE>" // the MSI ProductCode
	phLog         = "<LOG>"          // the log template, {{.LogFile}} unless the vendor set log
)

// use says whether an installer type needs a field.
type use int

const (
	unused use = iota
	optional
	required
)

// preset is what an installer type brings: which fields it needs and its default silent commands.
// A nil command is one the vendor must write. The vendor may always write one to override the preset.
type preset struct {
	file, productCode use
	windowsOnly       bool
	install           []string
	uninstall         []string
}

// presets is the one table of installer types, mirrored in docs/manifest.md.
var presets = map[InstallerType]preset{
	TypeScript: {},
	TypeExe:    {file: optional},
	TypeMSI: {
		file: required, productCode: required, windowsOnly: true,
		install:   []string{"msiexec", "/i", phFile, "/qn", "/norestart", "/l*v", phLog},
		uninstall: []string{"msiexec", "/x", phProductCode, "/qn", "/norestart", "/l*v", phLog},
	},
	TypeNSIS: {
		// /D= must be the last argument and is read unquoted, even with blanks in the path.
		file: required, windowsOnly: true,
		install: []string{phFile, "/S", "/D={{.InstallDir}}"},
	},
	TypeInno: {
		file: required, windowsOnly: true,
		install:   []string{phFile, "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "/SP-", "/LOG=" + phLog, "/DIR={{.InstallDir}}"},
		uninstall: []string{"{{.InstallDir}}" + sepToken + "unins000.exe", "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART"},
	},
	TypeInstallShield: {
		file: required, windowsOnly: true,
		install: []string{phFile, "/s", `/v"/qn"`},
	},
}

// sepToken stands for the folder separator of the platform in preset paths.
const sepToken = "<SEP>"

// installerTypes lists the types in the order the docs give them, for messages.
var installerTypes = []string{"script", "msi", "nsis", "inno", "installshield", "exe"}

// applyPreset fills in the commands the vendor left out from the type's preset, for the platform
// key (a backslash joins paths on windows, a slash elsewhere). Commands the preset cannot build
// because a field is missing stay empty; validation reports the missing field.
func applyPreset(key string, in *Installer) {
	if in.Log == "" {
		in.Log = "{{.LogFile}}"
	}
	p, ok := presets[in.Type]
	if !ok {
		return
	}
	sep := "/"
	if platformOS(key) == "windows" {
		sep = `\`
	}
	fill := func(cmd []string) []string {
		if !canBuild(cmd, in) {
			return nil
		}
		out := make([]string, 0, len(cmd))
		for _, a := range cmd {
			a = strings.ReplaceAll(a, phFile, "{{.PackageDir}}"+sepToken+in.File)
			a = strings.ReplaceAll(a, phProductCode, in.ProductCode)
			a = strings.ReplaceAll(a, phLog, in.Log)
			out = append(out, strings.ReplaceAll(a, sepToken, sep))
		}
		return out
	}
	if len(in.Install) == 0 && p.install != nil {
		in.Install = fill(p.install)
	}
	if len(in.Uninstall) == 0 && p.uninstall != nil {
		in.Uninstall = fill(p.uninstall)
	}
}

// canBuild reports whether the installer has the fields that a preset command's placeholders need.
func canBuild(cmd []string, in *Installer) bool {
	for _, a := range cmd {
		if (strings.Contains(a, phFile) && in.File == "") || (strings.Contains(a, phProductCode) && in.ProductCode == "") {
			return false
		}
	}
	return true
}
