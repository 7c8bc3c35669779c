/**
 * A gate for a fake API: the fake awaits `passed` before it answers, so a
 * test sees the page while it waits; `open()` lets the answers through.
 */
export function gate(): { passed: Promise<void>; open: () => void } {
  let open = () => {};
  const passed = new Promise<void>(resolve => {
    open = resolve;
  });
  return { passed, open };
}
