# ISCDesk. `make run` shows the demo, `make test` runs every test; both install what they need.
SHELL := /bin/bash
GO ?= go
export PATH := /usr/local/go/bin:$(PATH)
# Packages that build without cgo on every OS (the GUI needs cgo and X11/GL headers).
PURE_PKGS = $$($(GO) list ./... | grep -vE '/gui($$|/)|/cmd/iscdesk-gui$$')
BIN := bin

.PHONY: all deps build run test vet unit bench cross fuzz packages clean screenshots

all: build

deps:
	@scripts/deps.sh

build: deps
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/iscdesk ./cmd/iscdesk-agent ./cmd/iscdesk-market ./cmd/iscdesk-pack
	$(GO) build -o $(BIN)/ ./cmd/iscdesk-gui

run: deps
	@scripts/demo.sh

vet:
	$(GO) vet ./...
	GOOS=windows $(GO) vet $(PURE_PKGS)
	GOOS=darwin $(GO) vet $(PURE_PKGS)

unit:
	$(GO) test -count=1 -timeout 15m ./...

test: deps vet unit

# Go benchmarks, then the comparisons with curl, sha256sum, tar and unzip (scripts/bench).
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@for s in scripts/bench/*.sh; do [ -x "$$s" ] && "$$s"; done; true

# Short fuzz runs of the manifest parser and the template expansion.
fuzz:
	$(GO) test ./installer/manifest -run '^$$' -fuzz FuzzParse -fuzztime 30s
	$(GO) test ./installer/manifest -run '^$$' -fuzz FuzzExpand -fuzztime 30s

cross:
	@for p in linux/amd64 linux/arm64 windows/amd64 darwin/amd64 darwin/arm64; do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
	  for c in $$($(GO) list -f '{{if eq .Name "main"}}{{.ImportPath}}{{end}}' ./cmd/... | grep -v gui); do \
	    echo "build $$os/$$arch $$c"; \
	    CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -o $(BIN)/$$os-$$arch/$$(basename $$c)$$ext $$c || exit 1; \
	  done; \
	done

# The agent's deb, rpm and msi in dist/, with SHA256SUMS and minisign signatures (docs/it-deployment.md).
# VERSION=1.4.0 SIGN_KEY=release.key make packages; without SIGN_KEY a development key signs.
packages: deps
	@scripts/packages.sh

# A PNG of every screen of the desktop app, on the demo data, under Xvfb (docs/screenshots/).
screenshots: deps
	@scripts/screenshots.sh docs/screenshots

clean:
	rm -rf $(BIN)
