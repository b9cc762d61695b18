package roger

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// CardType is the Exact Online page a Contact URL opens.
type CardType string

// The two cards of Exact Online a caller's record can open on.
const (
	// AccountCard is CRMAccountCard.aspx, which finds an account by AccountID.
	AccountCard CardType = "account card"
	// ContactCard is CRMContactCard.aspx, which finds a contact by _ID.
	ContactCard CardType = "contact card"
)

// ContactURLCheck is what CheckContactURL found in a Contact URL it
// passed: the parsed template (host, division), the card it opens, the
// placeholders it uses and what the admin should know about it.
type ContactURLCheck struct {
	ContactURL
	Card CardType
	// Placeholders are the placeholders the link uses, in order.
	Placeholders []string
	// Note tells the admin something about a link that passes, such as
	// a contacts replicator opening the account card; "" for none.
	Note string
}

// cardPage is a card of Exact Online and the query parameter it reads
// the record's id from.
type cardPage struct {
	card  CardType
	param string
}

// cards are Exact's card pages by their lower-case file name.
var cards = map[string]cardPage{
	"crmaccountcard.aspx": {AccountCard, "AccountID"},
	"crmcontactcard.aspx": {ContactCard, "_ID"},
}

var (
	guidText = regexp.MustCompile(`(?i)(%7b|\{)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(%7d|\})?`)
	// encodedSpace is a space, tab or line break a browser or an editor
	// encoded: a link with one never reaches the card.
	encodedSpace = regexp.MustCompile(`(?i)%(20|09|0a|0d)`)
	// sameAs are names people give the record's id, and the placeholder
	// they mean.
	sameAs = map[string]string{
		"accountid": "{CompanyId}", "account": "{CompanyId}", "company": "{CompanyId}", "accountguid": "{CompanyId}",
		"relationid": "{CompanyId}", "relation": "{CompanyId}", "customerid": "{CompanyId}",
		"contactid": "{SourceId}", "contact": "{SourceId}", "id": "{SourceId}", "recordid": "{SourceId}", "guid": "{SourceId}",
		"divisionid": "{Division}", "div": "{Division}", "divisioncode": "{Division}",
	}
)

// CheckContactURL checks a Contact URL for a replicator of entity that
// reads from exactURL (its Exact host, or "" when not known yet), without
// any call to Exact: the link must open, for every record, that record's
// own card on the replicator's Exact. A link that would send every
// caller to one card, a list, another host or "Not found" is refused with
// the reason and the fix, as an EINVALID error.
func CheckContactURL(tmpl string, entity Entity, exactURL string) (*ContactURLCheck, error) {
	refuse := func(format string, args ...any) (*ContactURLCheck, error) {
		return nil, Errorf(EINVALID, format, args...)
	}
	tmpl = strings.TrimSpace(tmpl)
	if tmpl == "" {
		return refuse("Enter the link to the Exact Online card, for example %s.", exampleCard(exactURL, entity, 0))
	}
	if strings.ContainsAny(tmpl, "<>") {
		return refuse("Replace the <…> with your division number (the number after _Division_= in any Exact Online link): a link has no < or >.")
	}
	if msg := spaceInside(tmpl); msg != "" {
		return refuse("%s", msg)
	}
	if loc := encodedSpace.FindStringIndex(tmpl); loc != nil {
		return refuse("Remove the %s (an encoded space) %s: a card's address has no spaces.", tmpl[loc[0]:loc[1]], where(tmpl, loc[0], loc[1]))
	}
	for _, p := range placeholder.FindAllString(tmpl, -1) {
		if known(p) {
			continue
		}
		if guidText.MatchString(p) {
			// Braces not encoded: the record's id where the placeholder goes.
			continue
		}
		if s := suggest(p); strings.EqualFold(s, p) {
			return refuse("%s is not a placeholder roger knows: did you mean %s? Placeholders are case-sensitive.", p, s)
		} else if s != "" {
			return refuse("%s is not a placeholder roger knows: did you mean %s?", p, s)
		}
		return refuse("%s is not a placeholder roger knows: use {CompanyId} (the account), {SourceId} (the record itself) or {Division}.", p)
	}
	c, err := ParseContactURL(guidText.ReplaceAllString(tmpl, "x"))
	if err != nil {
		return nil, Errorf(EINVALID, "%s", strings.TrimPrefix(ErrorMessage(err), "Contact URL: "))
	}
	c.Template = tmpl
	probe, err := url.Parse(placeholder.ReplaceAllString(tmpl, "x"))
	if err != nil {
		return refuse("%q is not a web address: copy the link from a card in Exact Online, such as %s.", tmpl, exampleCard(exactURL, entity, 0))
	}
	if msg := wrongHost(probe, exactURL); msg != "" {
		return refuse("%s", msg)
	}
	base := exactURL
	if base == "" {
		base = c.Host
	}
	page := strings.ToLower(probe.Path[strings.LastIndex(probe.Path, "/")+1:])
	// Exact's cards are pages of its /docs/ folder.
	card, isCard := cards[page]
	if !strings.HasSuffix(strings.ToLower(probe.Path), "/docs/"+page) {
		card, isCard = cardPage{}, false
	}
	want := "{SourceId}"
	if card.card == AccountCard || (!isCard && entity != Contacts) {
		want = "{CompanyId}"
	}
	if m := guidText.FindStringSubmatchIndex(tmpl); m != nil {
		whole := tmpl[m[0]:m[1]]
		idStart, idEnd := m[0], m[1]
		if m[2] >= 0 {
			idStart = m[3]
		}
		if m[4] >= 0 {
			idEnd = m[4]
		}
		id := tmpl[idStart:idEnd]
		fix := strings.Replace(whole, id, want, 1)
		if strings.HasPrefix(whole, "{") || strings.HasSuffix(whole, "}") {
			// Plain braces around the placeholder would read as one.
			fix = "%7b" + want + "%7d"
		}
		named := paramAt(tmpl, m[0])
		return refuse("The link names one record (%s), so every caller would open that card: put %s in place of its id, %s.",
			strings.Replace(named, id, id[:8]+"…", 1), want, strings.Replace(named, whole, fix, 1))
	}
	out := &ContactURLCheck{ContactURL: *c, Card: card.card, Placeholders: placeholder.FindAllString(tmpl, -1)}
	if !slices.Contains(out.Placeholders, "{SourceId}") && !slices.Contains(out.Placeholders, "{CompanyId}") {
		if strings.HasSuffix(page, "s.aspx") && !isCard {
			return refuse("This is a list (%s), not one record's card, so every caller would open the same list: use %s.",
				probe.Path[strings.LastIndex(probe.Path, "/")+1:], exampleCard(base, entity, c.Division))
		}
		return refuse("The link has no {CompanyId} or {SourceId}, so every caller would open the same page: put %s where the record's id goes, as in %s.",
			want, exampleCard(base, entity, c.Division))
	}
	if !isCard {
		return refuse("roger opens Exact Online's account card (CRMAccountCard.aspx) or contact card (CRMContactCard.aspx), and this link opens %s: use %s.",
			orDash(probe.Path), exampleCard(base, entity, c.Division))
	}
	if card.card == ContactCard && entity == Accounts {
		return refuse("This is a contact card, but this replicator reads accounts, so every link would show “Not found”: use the account card, %s.",
			exampleCard(base, Accounts, c.Division))
	}
	got := idPlaceholder(tmpl, card.param)
	switch {
	case got == "":
		return refuse("The %s finds the record by %s=: write %s=%%7b%s%%7d, as in %s.", card.card, card.param, card.param, want, exampleCard(base, entity, c.Division))
	case card.card == ContactCard && got == "{CompanyId}":
		return refuse("The contact card opens a contact by its own id: put {SourceId} there (_ID=%%7b{SourceId}%%7d). To open the contact's company instead, use the account card with AccountID=%%7b{CompanyId}%%7d.")
	case card.card == AccountCard && entity == Contacts && got == "{SourceId}":
		return refuse("On a contacts replicator {SourceId} is a contact's id, which the account card does not know: put {CompanyId} there to open the contact's company, or use the contact card, %s.",
			exampleCard(base, Contacts, c.Division))
	case card.card == AccountCard && entity == Contacts:
		out.Note = "Contacts replicator linking to the account card: every contact opens its company's card, which is allowed."
	}
	return out, nil
}

func known(p string) bool {
	for _, k := range Placeholders {
		if p == k {
			return true
		}
	}
	return false
}

// suggest is the placeholder an unknown one most likely means: the same
// name in other letters' case, one at most two edits away, or a name
// people give the record's id; "" when none is close.
func suggest(p string) string {
	name := strings.ToLower(strings.Trim(p, "{}"))
	name = strings.NewReplacer("_", "", "-", "", " ", "").Replace(name)
	if s, ok := sameAs[name]; ok {
		return s
	}
	for _, k := range Placeholders {
		if editDistance(name, strings.ToLower(strings.Trim(k, "{}"))) <= 2 {
			return k
		}
	}
	return ""
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// spaceInside says where a space or line break inside tmpl is and how to
// remove it; "" when there is none.
func spaceInside(tmpl string) string {
	i := strings.IndexFunc(tmpl, unicode.IsSpace)
	if i < 0 {
		return ""
	}
	j := i + strings.IndexFunc(tmpl[i:], func(r rune) bool { return !unicode.IsSpace(r) })
	what := "space"
	if strings.ContainsAny(tmpl[i:j], "\r\n") {
		what = "line break"
	}
	open, close := strings.LastIndex(tmpl[:i], "{"), strings.Index(tmpl[j:], "}")
	if open >= 0 && !strings.Contains(tmpl[open:i], "}") && close >= 0 && !strings.Contains(tmpl[j:j+close], "{") {
		p := tmpl[open : j+close+1]
		fixed := strings.Join(strings.Fields(p), "")
		if known(fixed) {
			return fmt.Sprintf("Remove the %s inside %s: write %s.", what, p, fixed)
		}
		return fmt.Sprintf("Remove the %s inside %s: a placeholder has no spaces.", what, p)
	}
	return fmt.Sprintf("Remove the %s %s: a card's address has no spaces or line breaks.", what, where(tmpl, i, j))
}

// where names the place of tmpl[i:j] by what follows it (the next
// parameter, such as "before &_Division_="), or by what precedes it.
func where(tmpl string, i, j int) string {
	next := tmpl[j:]
	if strings.HasPrefix(next, "&") || strings.HasPrefix(next, "?") {
		if k := strings.Index(next, "="); k > 0 {
			return "before " + next[:k+1]
		}
	}
	if next == "" {
		return "at the end"
	}
	if len(next) > 16 {
		next = next[:16] + "…"
	}
	return "before " + next
}

// paramAt is the parameter of tmpl's query around offset i, as written
// ("AccountID=%7b…%7d"), or the path around it.
func paramAt(tmpl string, i int) string {
	start := strings.LastIndexAny(tmpl[:i], "?&/") + 1
	end := strings.IndexAny(tmpl[i:], "&#")
	if end < 0 {
		return tmpl[start:]
	}
	return tmpl[start : i+end]
}

// idPlaceholder is the record placeholder the query parameter param
// (named in any case) holds, bare or in encoded braces; "" when it holds
// none or something more.
func idPlaceholder(tmpl, param string) string {
	_, query, _ := strings.Cut(tmpl, "?")
	query, _, _ = strings.Cut(query, "#")
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.EqualFold(k, param) {
			continue
		}
		lv := strings.ToLower(v)
		if strings.HasPrefix(lv, "%7b") && strings.HasSuffix(lv, "%7d") {
			v = v[3 : len(v)-3]
		}
		if v == "{SourceId}" || v == "{CompanyId}" {
			return v
		}
	}
	return ""
}

// exampleCard is the card link of entity on base (an Exact host) for a
// division (0: not known), to show a link that works.
func exampleCard(base string, entity Entity, division int) string {
	if base == "" {
		base = "https://start.exactonline.nl"
	}
	div := "<your division>"
	if division != 0 {
		div = fmt.Sprint(division)
	}
	if entity == Contacts {
		return base + "/docs/CRMContactCard.aspx?_ID=%7b{SourceId}%7d&_Division_=" + div
	}
	return base + "/docs/CRMAccountCard.aspx?AccountID=%7b{CompanyId}%7d&_Division_=" + div
}

// wrongHost says why link (the template with its placeholders filled)
// does not open the replicator's Exact at exactURL; "" when it does.
// Without an Exact host yet, the link must point to Exact Online or a
// simulator on this machine.
func wrongHost(link *url.URL, exactURL string) string {
	host := link.Scheme + "://" + link.Host
	if link.User != nil {
		return fmt.Sprintf("Remove the %s@ before the host: a card's link names no user.", link.User.Username())
	}
	if exactURL == "" {
		if _, err := ParseExactURL(host); err != nil {
			return fmt.Sprintf("The link points to %s, which is not Exact Online: copy the link from a card in your Exact Online, such as %s.", host, exampleCard("", Accounts, 0))
		}
		return ""
	}
	want, err := url.Parse(exactURL)
	if err != nil {
		return ""
	}
	folder := strings.TrimRight(want.Path, "/") + "/"
	// The simulator on this machine is the same under each of its names
	// (127.0.0.1, localhost, ::1).
	same := strings.EqualFold(link.Host, want.Host) ||
		(IsLoopbackHost(link.Hostname()) && IsLoopbackHost(want.Hostname()) && link.Port() == want.Port())
	if !same || link.Scheme != want.Scheme || !strings.HasPrefix(strings.ToLower(link.Path), strings.ToLower(folder)) {
		return fmt.Sprintf("The link points to %s, but the replicator reads from %s: the link must start with %s (copy it from a card in that Exact Online).",
			host, exactURL, want.Scheme+"://"+want.Host+folder)
	}
	return ""
}

func orDash(path string) string {
	if path == "" || path == "/" {
		return "the site's home page"
	}
	return path
}
