//go:build tools

// Package iscdesk pins modules that packages are about to use, so that go mod tidy keeps them while the
// tree is being built up. Remove a line once a real import uses the module.
package iscdesk

import (
	_ "aead.dev/minisign"
	_ "fyne.io/fyne/v2/app"
	_ "github.com/Microsoft/go-winio"
	_ "github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb"
	_ "github.com/goreleaser/nfpm/v2/rpm"
	_ "github.com/hashicorp/go-getter/v2"
	_ "github.com/kardianos/service"
	_ "github.com/klauspost/compress/zstd"
	_ "github.com/minio/selfupdate"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "github.com/stretchr/testify/require"
	_ "github.com/zalando/go-keyring"
	_ "go.etcd.io/bbolt"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
	_ "gopkg.in/natefinch/lumberjack.v2"
	_ "modernc.org/sqlite"
)
