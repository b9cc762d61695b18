package quality

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/roger365io/roger"
)

// Formats are the formats Write writes.
var Formats = []string{"csv", "text"}

// Write writes rep's whole report to w as CSV (a header row, then one row
// per record, number and problem) or as text (one line each).
func Write(ctx context.Context, w io.Writer, store Store, rep *roger.Replicator, format string) error {
	switch format {
	case "csv":
		c := csv.NewWriter(w)
		if err := c.Write(Header); err != nil {
			return err
		}
		err := Each(ctx, store, rep, func(r Row) error { return c.Write(r.Cells()) })
		if err != nil {
			return err
		}
		c.Flush()
		return c.Error()
	case "text":
		b := bufio.NewWriter(w)
		n := 0
		err := Each(ctx, store, rep, func(r Row) error {
			n++
			_, err := fmt.Fprintln(b, r.Text())
			return err
		})
		if err != nil {
			return err
		}
		if n == 0 {
			fmt.Fprintf(b, "No data-quality problems in %s.\n", rep.Name)
		}
		return b.Flush()
	}
	return roger.Errorf(roger.EINVALID, "%q is not a report format; use csv or text.", format)
}
