import { fitViewport } from './viewport';

const options = { padding: 30, minZoom: 0.05, maxZoom: 1.25 };

describe('fitViewport', () => {
  it('fits the boxes with the padding around them, centred', () => {
    // 0..1000 x 0..500 into 1060 x 560: zoom 1, the boxes' centre in the middle.
    const { zoom, pan } = fitViewport(
      [
        { x: 10, y: 10, w: 20, h: 20 },
        { x: 990, y: 490, w: 20, h: 20 },
      ],
      1060,
      560,
      options,
    );
    expect(zoom).toBeCloseTo(1);
    expect(pan).toEqual({ x: 30, y: 30 });
  });

  it('takes the tighter of the two dimensions and centres the other', () => {
    // 2000 wide, 100 high into 1060 x 560: the width decides (0.5).
    const { zoom, pan } = fitViewport(
      [{ x: 1000, y: 50, w: 2000, h: 100 }],
      1060,
      560,
      options,
    );
    expect(zoom).toBeCloseTo(0.5);
    // rendered x = model x * zoom + pan.x: the box's centre is the viewport's.
    expect(1000 * zoom + pan.x).toBeCloseTo(530);
    expect(50 * zoom + pan.y).toBeCloseTo(280);
  });

  it('keeps the zoom within its bounds', () => {
    expect(
      fitViewport([{ x: 0, y: 0, w: 10, h: 10 }], 1000, 1000, options).zoom,
    ).toBe(1.25);
    expect(
      fitViewport([{ x: 0, y: 0, w: 1e6, h: 10 }], 1000, 1000, options).zoom,
    ).toBe(0.05);
  });

  it('centres the origin when there is nothing', () => {
    expect(fitViewport([], 800, 600, options)).toEqual({
      zoom: 1,
      pan: { x: 400, y: 300 },
    });
  });
});
