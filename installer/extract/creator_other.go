//go:build !unix

package extract

import "os"

// newCreator: outside unix, os.Root is the one safe way to create names below a folder.
func newCreator(_ string, root *os.Root) (creator, error) { return rootCreator{root}, nil }
