package ldapdir

import (
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/roger365io/roger"
	"github.com/roger365io/roger/internal/dirindex"
)

// The attributes that hold phone numbers. A number in a filter on any of
// them is matched the way the lookup API matches a caller's number, so a
// phone's "(|(telephoneNumber=%)(mobile=%))" finds an entry whichever
// field the CRM keeps the number in.
var phoneAttrs = map[string]bool{
	"telephonenumber": true, "mobile": true, "homephone": true, "othertelephone": true,
	"facsimiletelephonenumber": true, "ipphone": true, "pager": true, "othermobile": true,
	"otherhomephone": true, "telephone": true,
}

// nameAttrs are the attributes whose values start at the start of a word
// of the entry's name or company, so that the name index finds them.
var nameAttrs = map[string]bool{"cn": true, "commonname": true, "sn": true, "surname": true, "givenname": true, "gn": true,
	"o": true, "organizationname": true, "displayname": true}

// attrField is the inetOrgPerson attribute that holds a number of a CRM
// field: Exact's Phone and BusinessPhone are work numbers, Mobile a
// mobile, Fax a fax; a field roger does not know yet is some other
// telephone.
func attrField(field string) string {
	switch field {
	case "Phone", "BusinessPhone":
		return "telephoneNumber"
	case "Mobile":
		return "mobile"
	case "HomePhone":
		return "homePhone"
	case "Fax":
		return "facsimileTelephoneNumber"
	}
	return "otherTelephone"
}

// entry is an LDAP entry: its DN and attributes, by their names as
// written; id is the directory entry's ID, 0 for the containers.
type entry struct {
	id    int64
	dn    string
	attrs []attr
}

type attr struct {
	name   string
	values []string
}

func (e *entry) add(name string, values ...string) {
	var keep []string
	for _, v := range values {
		if v != "" {
			keep = append(keep, v)
		}
	}
	if len(keep) == 0 {
		return
	}
	for i := range e.attrs {
		if e.attrs[i].name == name {
			e.attrs[i].values = append(e.attrs[i].values, keep...)
			return
		}
	}
	e.attrs = append(e.attrs, attr{name: name, values: keep})
}

// values returns the values of an attribute, by its name in any case.
func (e *entry) values(lower string) []string {
	for i := range e.attrs {
		if strings.EqualFold(e.attrs[i].name, lower) {
			return e.attrs[i].values
		}
	}
	switch lower {
	case "commonname":
		return e.values("cn")
	case "surname":
		return e.values("sn")
	case "gn":
		return e.values("givenname")
	case "organizationname":
		return e.values("o")
	}
	return nil
}

// DNs of the tree: ou=directory,o=<organisation ID> holds the entries,
// each named by its ID (uid=<entry ID>); bind DNs are under ou=phones.
func orgDN(orgID int64) string       { return "o=" + strconv.FormatInt(orgID, 10) }
func directoryDN(orgID int64) string { return "ou=directory," + orgDN(orgID) }
func entryDN(orgID, id int64) string {
	return "uid=" + strconv.FormatInt(id, 10) + "," + directoryDN(orgID)
}

// BindDN is the DN a phone binds as with an LDAP key: the key's visible
// prefix under the organisation, so that failed binds are counted per key.
func BindDN(k *roger.APIKey) string { return "cn=" + k.Prefix + ",ou=phones," + orgDN(k.OrgID) }

// BaseDN is the search base to type into a phone for an organisation.
func BaseDN(orgID int64) string { return directoryDN(orgID) }

// numberForm turns a stored E.164 number into what a phone dials back.
type numberForm func(e164 string) string

func e164Form(e164 string) string { return e164 }

// nationalForm writes the organisation's own numbers as dialled at home
// (digits only, with the trunk prefix: 0201234567); numbers of other
// countries stay in E.164, which phones dial with the international
// prefix.
func nationalForm(country string) numberForm {
	return func(e164 string) string {
		n, err := phonenumbers.Parse(e164, country)
		if err != nil || phonenumbers.GetRegionCodeForNumber(n) != country {
			return e164
		}
		s := phonenumbers.Format(n, phonenumbers.NATIONAL)
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
}

// recordEntry is the inetOrgPerson entry of a directory record.
func recordEntry(orgID int64, r *dirindex.Record, url string, form numberForm) *entry {
	e := &entry{id: r.ID, dn: entryDN(orgID, r.ID)}
	e.add("objectClass", "top", "person", "organizationalPerson", "inetOrgPerson")
	e.add("uid", strconv.FormatInt(r.ID, 10))
	name := r.DisplayName
	if name == "" {
		name = r.CompanyName
	}
	e.add("cn", name)
	e.add("displayName", name)
	given, sur := splitName(name, r.Kind)
	e.add("givenName", given)
	e.add("sn", sur)
	e.add("o", r.CompanyName)
	e.add("title", r.JobTitle)
	e.add("mail", r.Email)
	for _, n := range r.Numbers {
		e.add(attrField(n.Field), form(n.E164))
	}
	if url != "" {
		e.add("labeledURI", url+" CRM")
	}
	e.add("description", string(r.Kind))
	return e
}

// splitName gives a person's first word as givenName and the rest as sn
// (inetOrgPerson requires an sn); a company, or a one-word name, is all
// sn.
func splitName(name string, kind roger.Kind) (given, sur string) {
	name = strings.TrimSpace(name)
	if kind == roger.KindContact {
		if first, rest, ok := strings.Cut(name, " "); ok && strings.TrimSpace(rest) != "" {
			return first, strings.TrimSpace(rest)
		}
	}
	if name == "" {
		name = "-"
	}
	return "", name
}
