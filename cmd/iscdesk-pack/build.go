package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/iscdesk/iscdesk/installer/manifest"
	"github.com/iscdesk/iscdesk/installer/pkgfile"
)

type buildResult struct {
	File           string `json:"file"`
	Size           int64  `json:"size"`
	SHA256         string `json:"sha256"`
	ManifestSHA256 string `json:"manifest_sha256"`
	Files          int    `json:"files"`
	PayloadBytes   int64  `json:"payload_bytes"`
}

func newBuildCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "build DIR [-o OUT]",
		Short: "Build a reproducible .iscpkg from a package folder (DIR/package.yaml and its files)",
		Long: "The same folder always gives the same bytes, so the SHA-256 printed here is the one to sign.\n" +
			"Without -o the package is written to ID-VERSION.iscpkg in the current folder.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if out == "" {
				m, err := manifest.Load(filepath.Join(dir, pkgfile.ManifestName))
				if err != nil {
					return fmt.Errorf("build: %w", err)
				}
				out = pkgfile.FileName(m.ID, m.Version)
			}
			info, err := pkgfile.BuildFile(cmd.Context(), dir, out, pkgfile.BuildOptions{})
			if err != nil {
				return fmt.Errorf("build %s: %w", dir, err)
			}
			res := buildResult{File: out, Size: info.Size, SHA256: info.SHA256, ManifestSHA256: info.ManifestSHA256,
				Files: info.Files, PayloadBytes: info.PayloadBytes}
			return printResult(cmd.OutOrStdout(), g.json, res, func(w io.Writer) {
				fmt.Fprintf(w, "package\t%s\n", res.File)
				fmt.Fprintf(w, "size\t%d bytes (%d files, %d bytes before compression)\n", res.Size, res.Files, res.PayloadBytes)
				fmt.Fprintf(w, "sha256\t%s\n", res.SHA256)
				fmt.Fprintf(w, "package.yaml sha256\t%s\n", res.ManifestSHA256)
			})
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write the package (default: ID-VERSION.iscpkg)")
	return cmd
}
