package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// instruction is one Dockerfile instruction, its continuation lines joined.
type instruction struct {
	line    int    // where it starts
	keyword string // upper case
	args    string
}

// parseDockerfile splits a Dockerfile into instructions: comments and
// blank lines dropped, lines ending in a backslash joined with the next.
func parseDockerfile(text string) []instruction {
	var out []instruction
	var cur *instruction
	for n, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		cont := strings.HasSuffix(trimmed, "\\")
		trimmed = strings.TrimSpace(strings.TrimSuffix(trimmed, "\\"))
		if cur == nil {
			keyword, args, _ := strings.Cut(trimmed, " ")
			cur = &instruction{line: n + 1, keyword: strings.ToUpper(keyword), args: strings.TrimSpace(args)}
		} else {
			cur.args += " " + trimmed
		}
		if !cont {
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}

// checkDockerfile lists where the Dockerfile disagrees with this builder.
func checkDockerfile(text, goDirective string) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	all := parseDockerfile(text)

	// The last stage is the image; the stages before build it.
	last := -1
	for i, in := range all {
		if in.keyword == "FROM" {
			last = i
		}
	}
	if last < 1 {
		return []string{"want a multi-stage Dockerfile: a build stage, then the image"}
	}
	buildStage, final := all[:last], all[last:]
	one := func(keyword string) (instruction, bool) {
		var found []instruction
		for _, in := range final {
			if in.keyword == keyword {
				found = append(found, in)
			}
		}
		if len(found) != 1 {
			bad("the image's stage has %d %s instructions, want 1", len(found), keyword)
			return instruction{}, false
		}
		return found[0], true
	}
	execForm := func(keyword string, want []string) {
		in, ok := one(keyword)
		if !ok {
			return
		}
		var got []string
		if err := json.Unmarshal([]byte(in.args), &got); err != nil || !slices.Equal(got, want) {
			bad("line %d: %s %s, want the exec form %q", in.line, keyword, in.args, want)
		}
	}
	execForm("ENTRYPOINT", entrypoint)
	execForm("CMD", cmd)
	if in, ok := one("USER"); ok && in.args != strconv.Itoa(uid)+":"+strconv.Itoa(gid) {
		bad("line %d: USER %s, want %d:%d", in.line, in.args, uid, gid)
	}
	if in, ok := one("WORKDIR"); ok && in.args != workDir {
		bad("line %d: WORKDIR %s, want %s", in.line, in.args, workDir)
	}
	if in, ok := one("EXPOSE"); ok && in.args != exposedPort {
		bad("line %d: EXPOSE %s, want %s", in.line, in.args, exposedPort)
	}
	if in, ok := one("ENV"); ok && in.args != pathEnv {
		bad("line %d: ENV %s, want %s", in.line, in.args, pathEnv)
	}
	if in, ok := one("LABEL"); ok {
		for _, key := range []string{"title", "description", "source", "version", "revision"} {
			if !strings.Contains(in.args, "org.opencontainers.image."+key+"=") {
				bad("line %d: LABEL lacks org.opencontainers.image.%s", in.line, key)
			}
		}
		for _, v := range []string{title, description, defaultSource} {
			if !strings.Contains(in.args+text, v) {
				bad("line %d: the labels lack %q", in.line, v)
			}
		}
	}
	// The working directory is copied in owned by the user.
	chowned := false
	for _, in := range final {
		f := strings.Fields(in.args)
		if in.keyword == "COPY" && slices.Contains(f, "--chown="+strconv.Itoa(uid)+":"+strconv.Itoa(gid)) &&
			strings.TrimSuffix(f[len(f)-1], "/") == path.Dir(workDir) {
			chowned = true
		}
	}
	if !chowned {
		bad("no COPY --chown=%d:%d into %s: the working directory must be the user's", uid, gid, path.Dir(workDir))
	}

	// The build stage: the Go of go.mod, the binary built as make build
	// builds it, to the binary's path; the CA bundle, passwd and group.
	var run strings.Builder
	goImage := ""
	for _, in := range buildStage {
		switch in.keyword {
		case "RUN":
			run.WriteString(in.args + "\n")
		case "FROM":
			if m := regexp.MustCompile(`golang:(\d+\.\d+)`).FindStringSubmatch(in.args); m != nil {
				goImage = m[1]
			}
		}
	}
	if goImage == "" || !strings.HasPrefix(goDirective+".", goImage+".") {
		bad("the build stage's golang image is %q, want go.mod's Go %s", goImage, goDirective)
	}
	runs := run.String()
	for _, want := range []string{"CGO_ENABLED=0", "go build -trimpath", "-X main.version=", binaryPath + " ./cmd/central-config", caBundle} {
		if !strings.Contains(runs, want) {
			bad("the build stage's RUN instructions lack %q", want)
		}
	}
	for name, content := range map[string]string{"/etc/passwd": passwd, "/etc/group": group} {
		escaped := strings.ReplaceAll(content, "\n", `\n`)
		if !strings.Contains(runs, "'"+escaped+"'") || !strings.Contains(runs, "> /rootfs"+name) {
			bad("the build stage must write %s as the builder does: printf '%s' > /rootfs%s", name, escaped, name)
		}
	}
	return problems
}

// goDirective reads go.mod's go version.
func goDirective(t *testing.T) string {
	t.Helper()
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

func TestTheDockerfileAgreesWithTheBuilder(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range checkDockerfile(string(raw), goDirective(t)) {
		t.Errorf("Dockerfile: %s", p)
	}
}

// TestTheDockerfileCheckHasTeeth: a Dockerfile that differs in one fact
// fails the check, naming it.
func TestTheDockerfileCheckHasTeeth(t *testing.T) {
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for change, want := range map[[2]string]string{
		{"USER 65532:65532", "USER nonroot"}:                             "USER nonroot",
		{`ENTRYPOINT ["central-config"]`, "ENTRYPOINT central-config"}:   "ENTRYPOINT central-config",
		{`"0.0.0.0:7080"]`, `"127.0.0.1:7080"]`}:                         "CMD",
		{"EXPOSE 7080/tcp", "EXPOSE 8080/tcp"}:                           "EXPOSE 8080/tcp",
		{"WORKDIR /var/lib/central-config", "WORKDIR /data"}:             "WORKDIR /data",
		{"golang:1.26", "golang:1.25"}:                                   "golang image",
		{"-trimpath", ""}:                                                "go build -trimpath",
		{"central-config:x:65532:65532:", "central-config:x:1000:1000:"}: "/etc/passwd",
		{"org.opencontainers.image.revision=", "org.example.revision="}:  "revision",
		{"--chown=65532:65532", "--chown=0:0"}:                           "COPY --chown",
	} {
		changed := strings.Replace(string(raw), change[0], change[1], 1)
		if changed == string(raw) {
			t.Errorf("the Dockerfile has no %q to change", change[0])
			continue
		}
		problems := checkDockerfile(changed, goDirective(t))
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("changing %q to %q: want a problem naming %q, got %q", change[0], change[1], want, problems)
		}
	}
}

// TestTheDeploymentFitsTheImage: the Kubernetes Deployment (the Helm
// chart's, rendered in deploy/kubernetes) runs the image as its user, its
// binary, on its port.
func TestTheDeploymentFitsTheImage(t *testing.T) {
	raw, err := os.ReadFile("../kubernetes/central-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The fields this test reads; deploy/helm decodes the whole Deployment
	// strictly into k8s.io/api's types (kept out of this module).
	var d struct {
		Metadata struct{ Name string }
		Spec     struct {
			Template struct {
				Spec struct {
					SecurityContext *struct {
						RunAsUser    *int64 `yaml:"runAsUser"`
						RunAsGroup   *int64 `yaml:"runAsGroup"`
						RunAsNonRoot *bool  `yaml:"runAsNonRoot"`
					} `yaml:"securityContext"`
					Containers []struct {
						Command []string
						Ports   []struct {
							ContainerPort int `yaml:"containerPort"`
						}
					}
				}
			}
		}
	}
	for doc := range strings.SplitSeq(string(raw), "\n---\n") {
		if strings.Contains(doc, "\nkind: Deployment\n") {
			if err := yaml.Unmarshal([]byte(doc), &d); err != nil {
				t.Fatal(err)
			}
		}
	}
	if d.Metadata.Name == "" {
		t.Fatal("deploy/kubernetes/central-config.yaml holds no Deployment")
	}
	pod := d.Spec.Template.Spec
	sc := pod.SecurityContext
	if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != uid || sc.RunAsGroup == nil || *sc.RunAsGroup != gid ||
		sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("the pod's securityContext %+v must run as the image's user %d:%d, non-root", sc, uid, gid)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Command) > 0 && c.Command[0] != binaryPath && c.Command[0] != entrypoint[0] {
		t.Errorf("command %q: the image's binary is %s", c.Command, binaryPath)
	}
	port := strings.TrimSuffix(exposedPort, "/tcp")
	if len(c.Ports) != 1 || strconv.Itoa(c.Ports[0].ContainerPort) != port {
		t.Errorf("container ports %+v, want the image's %s", c.Ports, exposedPort)
	}
}
