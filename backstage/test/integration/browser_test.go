//go:build backstage

package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser drives Debian's Chromium (headless) through the DevTools protocol
// and saves a screenshot of every step under the test output folder.
type browser struct {
	t    testing.TB
	ctx  context.Context
	out  string
	step int

	mu      sync.Mutex
	console []string // the page's exceptions and console errors
}

// chromiumPath is CHROMIUM, else Debian's /usr/bin/chromium (installed by
// .ci/run); tests never download a browser.
func chromiumPath(t testing.TB) string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		fatalf(t, "no Chromium: apt-get install -y chromium, or set CHROMIUM to its path")
	}
	return p
}

// testOutput is where screenshots go: $CENTRAL_CONFIG_TEST_OUTPUT/<test>,
// else test-output/<test> in the repository.
func testOutput(t testing.TB, root string) string {
	base := os.Getenv("CENTRAL_CONFIG_TEST_OUTPUT")
	if base == "" {
		base = filepath.Join(root, "test-output")
	}
	dir := filepath.Join(base, t.Name())
	if err := os.RemoveAll(dir); err != nil {
		fatalf(t, "%v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fatalf(t, "%v", err)
	}
	return dir
}

func newBrowser(t testing.TB, root string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.WindowSize(1440, 1000),
		chromedp.Flag("headless", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	b := &browser{t: t, ctx: ctx, out: testOutput(t, root)}
	if err := chromedp.Do(ctx); err != nil {
		fatalf(t, "start Chromium: %v", err)
	}
	go func() {
		for msg, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if msg.Type == chromedp.ConsoleError || msg.IsException() {
				b.mu.Lock()
				b.console = append(b.console, msg.String())
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			b.mu.Lock()
			t.Logf("the page's errors:\n%s", strings.Join(b.console, "\n"))
			b.mu.Unlock()
		}
		cancelCtx()
		cancelAlloc()
	})
	t.Logf("screenshots in %s", b.out)
	return b
}

// run runs actions, failing the test (with a screenshot) on error.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.screenshot("failed-" + what)
		fatalf(b.t, "browser: %s: %v", what, err)
	}
}

// screenshot saves the whole page as NN-name.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	b.step++
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(b.out, fmt.Sprintf("%02d-%s.png", b.step, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

// text returns the page's visible text.
func (b *browser) text() (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
}

// waitText waits until the page shows every one of texts and none of
// absent (ignoring case), then saves a screenshot named shot.
func (b *browser) waitText(shot string, texts []string, absent ...string) {
	b.t.Helper()
	defer func() {
		if b.t.Failed() {
			b.screenshot("failed-" + shot)
		}
	}()
	eventually(b.t, 60*time.Second, "page shows "+strings.Join(texts, ", "), func() error {
		s, err := b.text()
		if err != nil {
			return err
		}
		// innerText applies CSS text-transform (MUI upper-cases labels
		// and buttons): compare without case.
		low := strings.ToLower(s)
		for _, want := range texts {
			if !strings.Contains(low, strings.ToLower(want)) {
				return fmt.Errorf("no %q in the page; it shows:\n%s", want, clip(s, 1500))
			}
		}
		for _, no := range absent {
			if strings.Contains(low, strings.ToLower(no)) {
				return fmt.Errorf("the page still shows %q", no)
			}
		}
		return nil
	})
	b.screenshot(shot)
}

// evalString evaluates a JavaScript expression that yields a string.
func (b *browser) evalString(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.screenshot("failed-evaluate")
		fatalf(b.t, "browser: evaluate %s: %v", expr, err)
	}
	return s
}

// open navigates to url and, should Backstage ask to sign in again (a
// restarted backend may), enters as guest.
func (b *browser) open(url string) {
	b.t.Helper()
	b.run("open "+url, chromedp.Navigate(url))
	eventually(b.t, 60*time.Second, "the app at "+url, func() error {
		s, err := b.text()
		if err != nil {
			return err
		}
		if strings.Contains(s, "Guest") && strings.Contains(strings.ToLower(s), "enter") {
			return chromedp.Do(b.ctx, chromedp.Click(chromedp.Search(`//button[normalize-space(.)="Enter"]`)))
		}
		if !strings.Contains(s, "Settings") {
			return fmt.Errorf("the app is not shown yet")
		}
		return nil
	})
}

// signIn opens url and, on Backstage's sign-in page, enters as guest.
func (b *browser) signIn(url string) {
	b.t.Helper()
	b.run("open "+url, chromedp.Navigate(url))
	b.waitText("sign-in", []string{"Guest"})
	b.run("enter as guest", chromedp.Click(chromedp.Search(`//button[normalize-space(.)="Enter"]`)))
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
