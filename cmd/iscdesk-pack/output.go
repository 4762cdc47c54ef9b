package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// printResult writes v as indented JSON when asJSON, otherwise lets text print it for people.
func printResult(w io.Writer, asJSON bool, v any, text func(w io.Writer)) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("printing the result: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	text(tw)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("printing the result: %w", err)
	}
	return nil
}
