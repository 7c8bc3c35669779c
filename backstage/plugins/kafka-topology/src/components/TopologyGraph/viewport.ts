/** A node's place and the size it is drawn at (width, height). */
export type Box = { x: number; y: number; w: number; h: number };

/**
 * The zoom and pan that fit boxes into a width x height viewport with
 * padding around them, at most maxZoom and at least minZoom, centred: what
 * Cytoscape's fit gives, for the large graph's canvas (largeGraph.ts).
 * Labels are not counted: the padding leaves room for the ones at the
 * edges.
 */
export function fitViewport(
  boxes: Iterable<Box>,
  width: number,
  height: number,
  options: { padding: number; minZoom: number; maxZoom: number },
): { zoom: number; pan: { x: number; y: number } } {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const b of boxes) {
    x1 = Math.min(x1, b.x - b.w / 2);
    x2 = Math.max(x2, b.x + b.w / 2);
    y1 = Math.min(y1, b.y - b.h / 2);
    y2 = Math.max(y2, b.y + b.h / 2);
  }
  if (x1 > x2) return { zoom: 1, pan: { x: width / 2, y: height / 2 } };
  const { padding, minZoom, maxZoom } = options;
  const zoom = Math.min(
    maxZoom,
    Math.max(
      minZoom,
      Math.min(
        (width - 2 * padding) / Math.max(x2 - x1, 1),
        (height - 2 * padding) / Math.max(y2 - y1, 1),
      ),
    ),
  );
  return {
    zoom,
    pan: {
      x: (width - zoom * (x1 + x2)) / 2,
      y: (height - zoom * (y1 + y2)) / 2,
    },
  };
}
