package iscdesk

import (
	"encoding/json"
	"os/exec"
	"path"
	"strings"
	"testing"
)

const module = "github.com/iscdesk/iscdesk"

type listedPackage struct {
	ImportPath string
	Name       string
	Deps       []string // every package it imports, directly or not (not its tests)
}

// goList lists every package of the module with its transitive dependencies, for the OS given.
func goList(t *testing.T, goos string) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Name,Deps", "./...")
	cmd.Env = append(cmd.Environ(), "GOOS="+goos, "CGO_ENABLED=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

func within(pkg, dir string) bool {
	p := module + "/" + dir
	return pkg == p || strings.HasPrefix(pkg, p+"/")
}

// rule says whether importer may depend on dep; it returns the reason when not.
type rule func(importer, dep string) (bool, string)

var rules = []rule{
	func(importer, dep string) (bool, string) {
		if within(importer, "installer") && (within(dep, "agent") || within(dep, "gui") || within(dep, "marketplace")) {
			return false, "installer/ is the engine: it knows no agent, GUI or marketplace"
		}
		return true, ""
	},
	func(importer, dep string) (bool, string) {
		if within(dep, "marketplace/server") && !within(importer, "marketplace/server") && importer != module+"/cmd/iscdesk-market" {
			return false, "marketplace/server is imported only by cmd/iscdesk-market and tests"
		}
		return true, ""
	},
	func(importer, dep string) (bool, string) {
		client := within(importer, "gui") || importer == module+"/cmd/iscdesk" || importer == module+"/cmd/iscdesk-gui"
		if client && within(dep, "agent") && !within(dep, "agent/client") && !within(dep, "agent/apitype") {
			return false, "the GUI and the CLI reach the agent only through agent/client and agent/apitype"
		}
		return true, ""
	},
}

func TestImportRules(t *testing.T) {
	for _, goos := range []string{"linux", "windows", "darwin"} {
		for _, p := range goList(t, goos) {
			for _, d := range p.Deps {
				if !strings.HasPrefix(d, module+"/") {
					continue
				}
				for _, r := range rules {
					if ok, why := r(p.ImportPath, d); !ok {
						t.Errorf("%s (GOOS=%s) imports %s: %s", p.ImportPath, goos, d, why)
					}
				}
			}
		}
	}
}

func TestNoGrabBagPackages(t *testing.T) {
	for _, p := range goList(t, "linux") {
		switch path.Base(p.ImportPath) {
		case "util", "utils", "common", "helpers", "misc":
			t.Errorf("package %s: name it for what it does (DESIGN.md: no util, common or helpers)", p.ImportPath)
		}
	}
}

// TestRulesCatchViolations makes sure the rules above can fail.
func TestRulesCatchViolations(t *testing.T) {
	bad := [][2]string{
		{module + "/installer/engine", module + "/agent"},
		{module + "/installer/fetch", module + "/marketplace/client"},
		{module + "/agent", module + "/marketplace/server"},
		{module + "/gui", module + "/agent/queue"},
		{module + "/cmd/iscdesk", module + "/agent"},
	}
	for _, b := range bad {
		caught := false
		for _, r := range rules {
			if ok, _ := r(b[0], b[1]); !ok {
				caught = true
			}
		}
		if !caught {
			t.Errorf("no rule refuses %s importing %s", b[0], b[1])
		}
	}
	good := [][2]string{
		{module + "/cmd/iscdesk-market", module + "/marketplace/server"},
		{module + "/gui", module + "/agent/client"},
		{module + "/agent", module + "/installer/engine"},
	}
	for _, g := range good {
		for _, r := range rules {
			if ok, why := r(g[0], g[1]); !ok {
				t.Errorf("%s importing %s refused: %s", g[0], g[1], why)
			}
		}
	}
}
