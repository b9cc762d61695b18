package web

import (
	"net/http"
	"strconv"

	"github.com/roger365io/roger"
)

// refusal is one line of the banner a refused form is shown again with:
// the field by its label, a link to it, and what to change.
type refusal struct {
	Anchor  string
	Label   string
	Message string
}

// fieldLabels are the labels of the form fields, as the pages show them.
var fieldLabels = map[string]string{
	"name":          "Name",
	"entity":        "Copy",
	"exact_url":     "Exact Online country",
	"client_id":     "Client ID",
	"client_secret": "Client Secret",
	"contact_url":   "Contact URL",
	"division":      "Contact URL",
	"country":       "Country Code",
	"interval":      "Sync every",
	"delete":        "I understand",

	// Optional: with it, Exact's webhooks bring changes within seconds.
	"webhook_secret": "Webhook secret",
}

// fieldAnchors are the element ids of the fields whose id is not their
// name; the division is set in the Contact URL.
var fieldAnchors = map[string]string{"entity": "entity-accounts", "division": "contact_url", "delete": "confirm-delete"}

// refusals turns a form's refusals into what the pages show: the message
// at each field (by the field's name) and the banner's lines.
func refusals(v roger.Invalid) (map[string]string, []refusal) {
	at := map[string]string{}
	list := make([]refusal, 0, len(v))
	for _, f := range v {
		field := f.Field
		if field == "division" {
			field = "contact_url"
		}
		if _, ok := at[field]; !ok {
			at[field] = f.Message
		}
		anchor := f.Field
		if a, ok := fieldAnchors[f.Field]; ok {
			anchor = a
		}
		label := fieldLabels[f.Field]
		if label == "" {
			label = f.Field
		}
		list = append(list, refusal{Anchor: anchor, Label: label, Message: f.Message})
	}
	return at, list
}

// replicatorID reads the replicator id in the path; a malformed one is a
// replicator that does not exist.
func (s *Server) replicatorID(w http.ResponseWriter, r *http.Request, sess *roger.Session) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, sess, roger.Errorf(roger.ENOTFOUND, "There is no replicator %q.", r.PathValue("id")))
		return 0, false
	}
	return id, true
}
