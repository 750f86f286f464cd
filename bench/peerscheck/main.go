// Command peerscheck holds the queries of the side-by-side benchmark (`make bench-peers`,
// bench/peers.sh): it writes each query's request body for wrk, one per server, and checks that
// SkillSwap and PostGraphile return the same data for each query (ids, names, levels, dates,
// nesting), so that neither server's rate can come from answering something else.
//
//	go run ./bench/peerscheck -skillswap http://127.0.0.1:18190/graphql -peers http://127.0.0.1:18191/graphql \
//	    -token "$TOKEN" -bodies /tmp/bodies
//
// Lists whose order the two schemas cannot express the same way (a member's skills: SkillSwap
// orders them by skill name, PostGraphile's member_skills connection by its columns) are compared
// as sets; every other list is compared in order.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/skillswap/skillswap/relay"
)

// query is one scenario: the document each server runs for the same data.
type query struct {
	name      string
	skillswap string
	peers     string
	// canon turns each server's data into the same comparable form.
	canonSkillswap func(json.RawMessage) (any, error)
	canonPeers     func(json.RawMessage) (any, error)
}

// The four scenarios. Every request carries the same staff member's bearer token on both servers.
var queries = []query{
	{
		name:      "flat",
		skillswap: `{ users(first: 50) { edges { node { id displayName createdAt } } } }`,
		peers:     `{ allMembers(first: 50, orderBy: ROW_ID_DESC) { edges { node { rowId displayName createdAt } } } }`,
		canonSkillswap: func(raw json.RawMessage) (any, error) {
			var d struct {
				Users struct{ Edges []struct{ Node ssUser } }
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				return nil, err
			}
			out := []member{}
			for _, e := range d.Users.Edges {
				out = append(out, e.Node.member())
			}
			return out, nil
		},
		canonPeers: func(raw json.RawMessage) (any, error) {
			var d struct {
				AllMembers struct{ Edges []struct{ Node pgMember } }
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				return nil, err
			}
			out := []member{}
			for _, e := range d.AllMembers.Edges {
				out = append(out, e.Node.member())
			}
			return out, nil
		},
	},
	{
		name: "nested",
		skillswap: `{ users(first: 20) { edges { cursor node { id displayName offeredSkills { level skill { id name category { id name } } } } }` +
			` pageInfo { hasNextPage endCursor } } }`,
		peers: `{ allMembers(first: 20, orderBy: ROW_ID_DESC) { edges { cursor node { rowId displayName` +
			` memberSkills(condition: {kind: "OFFER"}) { nodes { level skill { rowId nameEn category { rowId nameEn } } } } } }` +
			` pageInfo { hasNextPage endCursor } } }`,
		canonSkillswap: func(raw json.RawMessage) (any, error) {
			var d struct {
				Users struct {
					Edges    []struct{ Node ssUser }
					PageInfo struct{ HasNextPage bool }
				}
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				return nil, err
			}
			out := page{HasNext: d.Users.PageInfo.HasNextPage, Members: []member{}}
			for _, e := range d.Users.Edges {
				out.Members = append(out.Members, e.Node.member())
			}
			return out, nil
		},
		canonPeers: func(raw json.RawMessage) (any, error) {
			var d struct {
				AllMembers struct {
					Edges    []struct{ Node pgMember }
					PageInfo struct{ HasNextPage bool }
				}
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				return nil, err
			}
			out := page{HasNext: d.AllMembers.PageInfo.HasNextPage, Members: []member{}}
			for _, e := range d.AllMembers.Edges {
				out.Members = append(out.Members, e.Node.member())
			}
			return out, nil
		},
	},
	{
		name:      "tree",
		skillswap: `{ skillCategories { id name skills { id name relatedSkills { id } } } }`,
		peers: `{ allSkillCategories(orderBy: [POSITION_ASC, SLUG_ASC]) { nodes { rowId nameEn` +
			` skills(condition: {status: "APPROVED"}, orderBy: [NAME_EN_ASC, PRIMARY_KEY_ASC]) { nodes { rowId nameEn` +
			` relations(orderBy: [RELATED_NAME_EN_ASC, PRIMARY_KEY_ASC]) { nodes { related { rowId } } } } } } } }`,
		canonSkillswap: func(raw json.RawMessage) (any, error) {
			var d struct {
				SkillCategories []struct {
					ID, Name string
					Skills   []struct {
						ID, Name      string
						RelatedSkills []struct{ ID string }
					}
				}
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				return nil, err
			}
			out := []category{}
			for _, c := range d.SkillCategories {
				cc := category{ID: uid(c.ID), Name: c.Name, Skills: []treeSkill{}}
				for _, s := range c.Skills {
					ts := treeSkill{ID: uid(s.ID), Name: s.Name, Related: []string{}}
					for _, r := range s.RelatedSkills {
						ts.Related = append(ts.Related, uid(r.ID))
					}
					cc.Skills = append(cc.Skills, ts)
				}
				out = append(out, cc)
			}
			return out, nil
		},
		canonPeers: func(raw json.RawMessage) (any, error) {
			var d struct {
				AllSkillCategories struct {
					Nodes []struct {
						RowID, NameEn string
						Skills        struct {
							Nodes []struct {
								RowID, NameEn string
								Relations     struct {
									Nodes []struct{ Related struct{ RowID string } }
								}
							}
						}
					}
				}
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				return nil, err
			}
			out := []category{}
			for _, c := range d.AllSkillCategories.Nodes {
				cc := category{ID: c.RowID, Name: c.NameEn, Skills: []treeSkill{}}
				for _, s := range c.Skills.Nodes {
					ts := treeSkill{ID: s.RowID, Name: s.NameEn, Related: []string{}}
					for _, r := range s.Relations.Nodes {
						ts.Related = append(ts.Related, r.Related.RowID)
					}
					cc.Skills = append(cc.Skills, ts)
				}
				out = append(out, cc)
			}
			return out, nil
		},
	},
	{
		name:      "viewer",
		skillswap: `{ viewer { id displayName createdAt profile { bio timeZone city languages } offeredSkills { level skill { id name category { id name } } } } }`,
		peers: `{ currentMember { rowId displayName createdAt profile { bio timeZone city languages }` +
			` memberSkills(condition: {kind: "OFFER"}) { nodes { level skill { rowId nameEn category { rowId nameEn } } } } } }`,
		canonSkillswap: func(raw json.RawMessage) (any, error) {
			var d struct {
				Viewer *struct {
					ssUser
					Profile *profile
				}
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				return nil, err
			}
			if d.Viewer == nil {
				return nil, fmt.Errorf("viewer is null")
			}
			return viewer{d.Viewer.member(), d.Viewer.Profile}, nil
		},
		canonPeers: func(raw json.RawMessage) (any, error) {
			var d struct {
				CurrentMember *struct {
					pgMember
					Profile *profile
				}
			}
			if err := json.Unmarshal(raw, &d); err != nil {
				return nil, err
			}
			if d.CurrentMember == nil {
				return nil, fmt.Errorf("currentMember is null")
			}
			return viewer{d.CurrentMember.member(), d.CurrentMember.Profile}, nil
		},
	},
}

// The comparable forms.
type (
	named struct{ ID, Name string }
	held  struct {
		Level    string
		Skill    named
		Category named
	}
	member struct {
		ID, Name  string
		CreatedAt string
		Skills    []held
	}
	page struct {
		HasNext bool
		Members []member
	}
	treeSkill struct {
		ID, Name string
		Related  []string
	}
	category struct {
		ID, Name string
		Skills   []treeSkill
	}
	profile struct {
		Bio, TimeZone string
		City          *string
		Languages     []string
	}
	viewer struct {
		Member  member
		Profile *profile
	}
)

// ssUser is a User as SkillSwap answers it.
type ssUser struct {
	ID, DisplayName, CreatedAt string
	OfferedSkills              []struct {
		Level string
		Skill struct {
			ID, Name string
			Category struct{ ID, Name string }
		}
	}
}

func (u ssUser) member() member {
	m := member{ID: uid(u.ID), Name: u.DisplayName, CreatedAt: instant(u.CreatedAt)}
	for _, s := range u.OfferedSkills {
		m.Skills = append(m.Skills, held{s.Level, named{uid(s.Skill.ID), s.Skill.Name}, named{uid(s.Skill.Category.ID), s.Skill.Category.Name}})
	}
	sortHeld(m.Skills)
	return m
}

// pgMember is a member as PostGraphile answers it.
type pgMember struct {
	RowID, DisplayName, CreatedAt string
	MemberSkills                  struct {
		Nodes []struct {
			Level string
			Skill struct {
				RowID, NameEn string
				Category      struct{ RowID, NameEn string }
			}
		}
	}
}

func (u pgMember) member() member {
	m := member{ID: u.RowID, Name: u.DisplayName, CreatedAt: instant(u.CreatedAt)}
	for _, s := range u.MemberSkills.Nodes {
		m.Skills = append(m.Skills, held{s.Level, named{s.Skill.RowID, s.Skill.NameEn}, named{s.Skill.Category.RowID, s.Skill.Category.NameEn}})
	}
	sortHeld(m.Skills)
	return m
}

func sortHeld(h []held) {
	slices.SortFunc(h, func(a, b held) int { return strings.Compare(a.Skill.ID, b.Skill.ID) })
}

// uid turns SkillSwap's global id (Kind_hex) into the row's uuid, as PostGraphile's rowId.
func uid(gid string) string {
	if _, id, ok := relay.ParseGlobalID(gid); ok {
		return id.String()
	}
	return "unparsable:" + gid
}

// instant normalises a timestamp to UTC microseconds (PostgreSQL's precision).
func instant(s string) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "unparsable:" + s
	}
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

func body(q string) []byte {
	b, _ := json.Marshal(map[string]string{"query": q})
	return b
}

func post(url, token string, q string) (json.RawMessage, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body(q)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("HTTP %d: %.300s", res.StatusCode, raw)
	}
	if res.StatusCode != http.StatusOK || len(r.Errors) > 0 {
		return nil, fmt.Errorf("HTTP %d: %.500s", res.StatusCode, raw)
	}
	return r.Data, nil
}

func main() {
	ss := flag.String("skillswap", "http://127.0.0.1:18190/graphql", "SkillSwap's GraphQL endpoint")
	pg := flag.String("peers", "http://127.0.0.1:18191/graphql", "PostGraphile's GraphQL endpoint")
	token := flag.String("token", os.Getenv("TOKEN"), "bearer token of the staff member (both servers)")
	bodies := flag.String("bodies", "", "directory to write <query>.skillswap.json and <query>.peers.json into (wrk bodies)")
	check := flag.Bool("check", true, "compare the two servers' data for each query")
	rep := flag.String("report", "", "print the table of bench/peers.sh's runs.tsv (medians of the rounds) and exit")
	flag.Parse()
	if *rep != "" {
		if err := report(*rep); err != nil {
			fail("report: %v", err)
		}
		return
	}
	if *bodies != "" {
		for _, q := range queries {
			for server, doc := range map[string]string{"skillswap": q.skillswap, "peers": q.peers} {
				if err := os.WriteFile(filepath.Join(*bodies, q.name+"."+server+".json"), body(doc), 0o644); err != nil {
					fail("%v", err)
				}
			}
		}
	}
	if !*check {
		return
	}
	for _, q := range queries {
		a, err := post(*ss, *token, q.skillswap)
		if err != nil {
			fail("%s: SkillSwap: %v", q.name, err)
		}
		b, err := post(*pg, *token, q.peers)
		if err != nil {
			fail("%s: PostGraphile: %v", q.name, err)
		}
		ca, err := q.canonSkillswap(a)
		if err != nil {
			fail("%s: SkillSwap's data: %v", q.name, err)
		}
		cb, err := q.canonPeers(b)
		if err != nil {
			fail("%s: PostGraphile's data: %v", q.name, err)
		}
		if !reflect.DeepEqual(ca, cb) {
			ja, _ := json.MarshalIndent(ca, "", " ")
			jb, _ := json.MarshalIndent(cb, "", " ")
			_ = os.WriteFile(filepath.Join(os.TempDir(), "peers-"+q.name+".skillswap.canon.json"), ja, 0o644)
			_ = os.WriteFile(filepath.Join(os.TempDir(), "peers-"+q.name+".peers.canon.json"), jb, 0o644)
			fail("%s: the servers' data differ (canonical forms in %s/peers-%s.*.canon.json)", q.name, os.TempDir(), q.name)
		}
		fmt.Printf("%-7s same data on both servers (%s; SkillSwap %d bytes, PostGraphile %d bytes of data)\n", q.name, summary(ca), len(a), len(b))
	}
}

func summary(v any) string {
	switch d := v.(type) {
	case []member:
		return fmt.Sprintf("%d members", len(d))
	case page:
		n := 0
		for _, m := range d.Members {
			n += len(m.Skills)
		}
		return fmt.Sprintf("%d members, %d offered skills", len(d.Members), n)
	case []category:
		s, r := 0, 0
		for _, c := range d {
			s += len(c.Skills)
			for _, k := range c.Skills {
				r += len(k.Related)
			}
		}
		return fmt.Sprintf("%d categories, %d skills, %d related skills", len(d), s, r)
	case viewer:
		return fmt.Sprintf("member with %d offered skills", len(d.Member.Skills))
	}
	return ""
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "peerscheck: "+format+"\n", args...)
	os.Exit(1)
}
