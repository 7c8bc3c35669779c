package source

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The links a snapshot carries must satisfy Links.
var _ Links = WebLinks{}

func TestFilterMatch(t *testing.T) {
	for _, tc := range []struct {
		name     string
		patterns []string
		path     string
		want     bool
	}{
		{"catalog/** reads a YAML file in catalog", []string{"catalog/**"}, "catalog/a.yaml", true},
		{"catalog/** reads a file in a sub-folder of catalog", []string{"catalog/**"}, "catalog/sub/deep/b.yml", true},
		{"catalog/** reads a file of any type", []string{"catalog/**"}, "catalog/api/petstore.proto", true},
		{"catalog/** reads a markdown file", []string{"catalog/**"}, "catalog/docs/README.md", true},
		{"catalog/** does not read a file in another folder", []string{"catalog/**"}, "docs/a.yaml", false},
		{"catalog/** does not read a folder whose name only starts with catalog", []string{"catalog/**"}, "catalog2/a.yaml", false},
		{"catalog/** does not read a top-level file", []string{"catalog/**"}, "README.md", false},
		{"kafka/*.yaml reads a YAML file directly in kafka", []string{"kafka/*.yaml"}, "kafka/topics.yaml", true},
		{"kafka/*.yaml does not read a file in a sub-folder", []string{"kafka/*.yaml"}, "kafka/deep/topics.yaml", false},
		{"kafka/*.yaml does not read a .yml file", []string{"kafka/*.yaml"}, "kafka/topics.yml", false},
		{"kafka/*.yaml does not read a text file", []string{"kafka/*.yaml"}, "kafka/notes.txt", false},
		{"any of several patterns is enough", []string{"catalog/**", "kafka/*.yaml"}, "kafka/topics.yaml", true},
		{"no pattern of several is no match", []string{"catalog/**", "kafka/*.yaml"}, "docs/x.yaml", false},
		{"the default reads a top-level file", nil, "README.md", true},
		{"the default reads a deep file of any type", nil, "a/b/c/schema.graphql", true},
		{"the default reads a JSON file", nil, "catalog/config.json", true},
		{"the default skips a file in .github", nil, ".github/workflows/ci.yaml", false},
		{"the default skips a file in .git", nil, ".git/config", false},
		{"the default skips a file in a hidden folder deeper down", nil, "catalog/.hidden/x.yaml", false},
		{"the default skips a file below a hidden folder", nil, "catalog/.hidden/sub/x.yaml", false},
		{"a glob naming a hidden folder still skips it", []string{".github/**"}, ".github/x.yaml", false},
		{"a glob matching a hidden sub-folder still skips it", []string{"catalog/**"}, "catalog/.cache/x.yaml", false},
		{"a hidden file outside hidden folders is read", nil, "catalog/.keep", true},
		{"a hidden file at the top level is read", nil, ".env", true},
		{"a folder name with a dot inside is not hidden", nil, "v1.2/x.yaml", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFilter(tc.patterns)
			if err != nil {
				t.Fatalf("NewFilter(%q): %v", tc.patterns, err)
			}
			if got := f.Match(tc.path); got != tc.want {
				t.Errorf("Match(%q) with %q = %v, want %v", tc.path, tc.patterns, got, tc.want)
			}
		})
	}
}

func TestNewFilter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		patterns []string
		wantErr  string
	}{
		{"no patterns mean the default", nil, ""},
		{"an empty list means the default", []string{}, ""},
		{"plain globs are accepted", []string{"catalog/**", "kafka/*.yaml", "{a,b}/*.json"}, ""},
		{"an unclosed bracket is rejected", []string{"catalog/["}, `invalid path pattern "catalog/["`},
		{"an unclosed brace is rejected", []string{"catalog/**", "{a,b"}, `invalid path pattern "{a,b"`},
		{"an absolute pattern is rejected", []string{"/catalog/**"}, `"/catalog/**" must be relative to the repository root`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFilter(tc.patterns)
			if tc.wantErr == "" {
				if err != nil || f == nil {
					t.Fatalf("NewFilter(%q) = %v, %v; want a filter", tc.patterns, f, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("NewFilter(%q) error = %v, want one saying %s", tc.patterns, err, tc.wantErr)
			}
			if f != nil {
				t.Errorf("NewFilter(%q) returned a filter with its error", tc.patterns)
			}
		})
	}

	t.Run("the default is every path", func(t *testing.T) {
		if len(DefaultPaths) != 1 || DefaultPaths[0] != "**" {
			t.Errorf("DefaultPaths = %q, want [**]", DefaultPaths)
		}
	})
}

func TestResolveLink(t *testing.T) {
	for _, tc := range []struct {
		name, link, target string
		want               string // "" means refused
	}{
		{"a sibling target resolves next to the link", "catalog/link.yaml", "real.yaml", "catalog/real.yaml"},
		{"a target in a sub-folder resolves below the link", "catalog/link.yaml", "sub/real.yaml", "catalog/sub/real.yaml"},
		{"a target in another folder of the repository resolves", "catalog/link.yaml", "../shared/x.yaml", "shared/x.yaml"},
		{"a target climbing to the root but not out resolves", "catalog/a/b/link.yaml", "../../../x.yaml", "x.yaml"},
		{"a top-level link resolves from the root", "link.yaml", "catalog/a.yaml", "catalog/a.yaml"},
		{"dot segments are cleaned", "catalog/link.yaml", "./sub/../real.yaml", "catalog/real.yaml"},
		{"a target climbing one level out of the repository is refused", "catalog/link.yaml", "../../x.yaml", ""},
		{"a target climbing far out of the repository is refused", "catalog/link.yaml", "../../etc/passwd", ""},
		{"a top-level link to the parent folder is refused", "link", "..", ""},
		{"a target passing back through its own folder is cleaned", "catalog/link.yaml", "../catalog/../x.yaml", "x.yaml"},
		{"an absolute target is refused", "catalog/link.yaml", "/etc/passwd", ""},
		{"an absolute target naming a repository path is refused", "catalog/link.yaml", "/catalog/a.yaml", ""},
		{"a backslash target climbing out is refused", "catalog/link.yaml", `..\..\etc\passwd`, ""},
		{"a backslash anywhere in the target is refused", "catalog/link.yaml", `sub\real.yaml`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveLink(tc.link, tc.target)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Errorf("ResolveLink(%q, %q) = %q, %v; want %q", tc.link, tc.target, got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, ErrSymlinkEscape) {
				t.Fatalf("ResolveLink(%q, %q) = %q, %v; want ErrSymlinkEscape", tc.link, tc.target, got, err)
			}
			if got != "" {
				t.Errorf("ResolveLink(%q, %q) returned path %q with its error", tc.link, tc.target, got)
			}
			if !strings.Contains(err.Error(), tc.link) || !strings.Contains(err.Error(), tc.target) {
				t.Errorf("error %q does not name the link %s and its target %s", err, tc.link, tc.target)
			}
		})
	}
}

func TestWebLinks(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	gh := GitHubLinks("https://github.com", "acme", "config", "main")
	for _, tc := range []struct {
		name       string
		links      WebLinks
		path       string
		view, edit string // the location is "url:" + view
	}{
		{
			name:  "a GitHub file is viewed at its commit and edited on its branch",
			links: gh, path: "catalog/a.yaml",
			view: "https://github.com/acme/config/blob/" + rev + "/catalog/a.yaml",
			edit: "https://github.com/acme/config/edit/main/catalog/a.yaml",
		},
		{
			name:  "a space in a file name is escaped",
			links: gh, path: "catalog/my file.yaml",
			view: "https://github.com/acme/config/blob/" + rev + "/catalog/my%20file.yaml",
			edit: "https://github.com/acme/config/edit/main/catalog/my%20file.yaml",
		},
		{
			name:  "a space in a folder name is escaped and the slashes are kept",
			links: gh, path: "my team/sub dir/a.yaml",
			view: "https://github.com/acme/config/blob/" + rev + "/my%20team/sub%20dir/a.yaml",
			edit: "https://github.com/acme/config/edit/main/my%20team/sub%20dir/a.yaml",
		},
		{
			name:  "a hash, a question mark and a percent sign are escaped",
			links: gh, path: "catalog/a#b?c%d.yaml",
			view: "https://github.com/acme/config/blob/" + rev + "/catalog/a%23b%3Fc%25d.yaml",
			edit: "https://github.com/acme/config/edit/main/catalog/a%23b%3Fc%25d.yaml",
		},
		{
			name:  "non-ASCII letters are escaped as UTF-8",
			links: gh, path: "catalog/ünï.yaml",
			view: "https://github.com/acme/config/blob/" + rev + "/catalog/%C3%BCn%C3%AF.yaml",
			edit: "https://github.com/acme/config/edit/main/catalog/%C3%BCn%C3%AF.yaml",
		},
		{
			name:  "a GitHub Enterprise base with a trailing slash gives no double slash",
			links: GitHubLinks("https://ghe.example.com/", "acme", "config", "main"), path: "a.yaml",
			view: "https://ghe.example.com/acme/config/blob/" + rev + "/a.yaml",
			edit: "https://ghe.example.com/acme/config/edit/main/a.yaml",
		},
		{
			name:  "a branch with a slash is kept as path segments",
			links: GitHubLinks("https://github.com", "acme", "config", "release/v1"), path: "a.yaml",
			view: "https://github.com/acme/config/blob/" + rev + "/a.yaml",
			edit: "https://github.com/acme/config/edit/release/v1/a.yaml",
		},
		{
			name: "templates from config are filled",
			links: WebLinks{
				ViewTemplate: "https://web.example.com/view/{revision}/{path}?plain=1",
				EditTemplate: "https://web.example.com/edit/{branch}/{path}",
				Branch:       "develop",
			},
			path: "catalog/a b.yaml",
			view: "https://web.example.com/view/" + rev + "/catalog/a%20b.yaml?plain=1",
			edit: "https://web.example.com/edit/develop/catalog/a%20b.yaml",
		},
		{
			name:  "without an edit template there is no edit link",
			links: WebLinks{ViewTemplate: "https://web.example.com/{revision}/{path}"},
			path:  "catalog/a.yaml",
			view:  "https://web.example.com/" + rev + "/catalog/a.yaml",
			edit:  "",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.links.View(rev, tc.path); got != tc.view {
				t.Errorf("View = %s, want %s", got, tc.view)
			}
			if got := tc.links.Edit(tc.path); got != tc.edit {
				t.Errorf("Edit = %q, want %q", got, tc.edit)
			}
			if got, want := tc.links.Location(rev, tc.path), "url:"+tc.view; got != want {
				t.Errorf("Location = %s, want %s", got, want)
			}
		})
	}
}

func TestCommitLinks(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name     string
		links    WebLinks
		revision string
		want     string
	}{
		{
			name:  "a GitHub commit",
			links: GitHubLinks("https://github.com", "acme", "config", "main"), revision: rev,
			want: "https://github.com/acme/config/commit/" + rev,
		},
		{
			name:  "a GitHub Enterprise commit, trailing slash on the base",
			links: GitHubLinks("https://ghe.example.com/", "acme", "config", "main"), revision: rev,
			want: "https://ghe.example.com/acme/config/commit/" + rev,
		},
		{
			name:  "a template from config is filled, other placeholders too",
			links: WebLinks{CommitTemplate: "https://web.example.com/{branch}/commits/{revision}?x=1", Branch: "develop"}, revision: rev,
			want: "https://web.example.com/develop/commits/" + rev + "?x=1",
		},
		{
			name:  "without a commit template there is no commit link",
			links: WebLinks{ViewTemplate: "https://web.example.com/{revision}/{path}"}, revision: rev,
			want: "",
		},
		{
			name:  "without a revision there is no commit link",
			links: GitHubLinks("https://github.com", "acme", "config", "main"), revision: "",
			want: "",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.links.Commit(tc.revision); got != tc.want {
				t.Errorf("Commit = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGitHubLinksEscapeTheOwnerAndRepository(t *testing.T) {
	l := GitHubLinks("https://github.com", "a b", "c?d", "main")
	want := "https://github.com/a%20b/c%3Fd/blob/r/x.yaml"
	if got := l.View("r", "x.yaml"); got != want {
		t.Errorf("View = %s, want %s", got, want)
	}
	if got, want := l.Commit("r"), "https://github.com/a%20b/c%3Fd/commit/r"; got != want {
		t.Errorf("Commit = %s, want %s", got, want)
	}
}

func TestTooLargeListsAConfigFileAsAProblemAndAnyOtherAsIgnored(t *testing.T) {
	var snap Snapshot
	for _, p := range []string{"catalog/a.yaml", "catalog/b.YML", "catalog/c.json", "docs/api.md", "assets/blob.bin", "yaml"} {
		snap.TooLarge(p, 10, FileLimit(0))
	}
	var problems, ignored []string
	for _, p := range snap.Problems {
		problems = append(problems, p.Path)
	}
	for _, p := range snap.Ignored {
		ignored = append(ignored, p.Path)
	}
	if want := []string{"catalog/a.yaml", "catalog/b.YML", "catalog/c.json"}; !slices.Equal(problems, want) {
		t.Errorf("problems = %v, want the YAML and JSON files %v", problems, want)
	}
	if want := []string{"docs/api.md", "assets/blob.bin", "yaml"}; !slices.Equal(ignored, want) {
		t.Errorf("ignored = %v, want the other files %v", ignored, want)
	}
	if msg := snap.Problems[0].Message; !strings.Contains(msg, "10 bytes") || !strings.Contains(msg, "limit of 4194304 (centralConfig.limits.maxFileBytes)") {
		t.Errorf("message %q, want the size, the default limit and the config key", msg)
	}
}
