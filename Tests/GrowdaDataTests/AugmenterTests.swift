import GrowdaTensor
import Testing

@testable import GrowdaData

@Suite struct AugmenterTests {
    static let image = Fixtures.pattern(width: 28, height: 28)

    @Test func identityParametersLeaveTheImageUnchanged() {
        let out = Augmenter.standard.apply(.identity, to: Self.image)
        #expect(out == Self.image.pixels.map { Float($0) / 255 })
        let flipping = Augmenter(horizontalFlip: true)
        #expect(flipping.apply(.identity, to: Self.image) == out)
    }

    @Test func sameSeedSameResult() {
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9), c = SeededGenerator(seed: 10)
        let first = Augmenter.standard.augment(Self.image, using: &a)
        #expect(first == Augmenter.standard.augment(Self.image, using: &b))
        #expect(first != Augmenter.standard.augment(Self.image, using: &c))
        #expect(first.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func parametersStayInTheirRanges() {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<2_000 {
            let p = Augmenter.standard.drawParameters(using: &rng)
            #expect(abs(p.rotation) <= 10 * .pi / 180 + 1e-6)
            #expect(abs(p.shiftX) <= 0.08 && abs(p.shiftY) <= 0.08)
            #expect((0.9...1.1).contains(p.zoom) && (0.9...1.1).contains(p.contrast))
            #expect(abs(p.brightness) <= 0.1)
            #expect(!p.flip)
        }
        var flips = 0
        for _ in 0..<1_000 where Augmenter(horizontalFlip: true).drawParameters(using: &rng).flip { flips += 1 }
        #expect((400...600).contains(flips))
    }

    @Test func shiftMovesContentByWholePixels() {
        // A 4×1 ramp shifted right by a quarter of its width: one pixel, the left edge clamped.
        let ramp = GrayImage(width: 4, height: 1, pixels: [0, 51, 102, 153])
        let out = Augmenter.standard.apply(Augmenter.Parameters(shiftX: 0.25), to: ramp)
        #expect(out == [0, 0, 51, 102].map { Float($0) / 255 })
    }

    @Test func flipMirrorsRows() {
        let ramp = GrayImage(width: 3, height: 2, pixels: [0, 51, 102, 153, 204, 255])
        let out = Augmenter.standard.apply(Augmenter.Parameters(flip: true), to: ramp)
        #expect(out == [102, 51, 0, 255, 204, 153].map { Float($0) / 255 })
    }

    @Test func quarterTurnRotatesAboutTheCentre() {
        let image = GrayImage(width: 3, height: 3, pixels: [0, 10, 20, 30, 40, 50, 60, 70, 80])
        let out = Augmenter.standard.apply(Augmenter.Parameters(rotation: .pi / 2), to: image)
        // Output (x, y) reads source (cx + (y − cy), cy − (x − cx)): the columns become rows.
        let expected: [Float] = [60, 30, 0, 70, 40, 10, 80, 50, 20].map { $0 / 255 }
        #expect(zip(out, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "got \(out.map { $0 * 255 })")
    }

    @Test func brightnessAndContrastActAroundTheMean() {
        let image = GrayImage(width: 2, height: 1, pixels: [51, 153])  // mean 102 = 0.4
        let brighter = Augmenter.standard.apply(Augmenter.Parameters(brightness: 0.1), to: image)
        #expect(zip(brighter, [0.3, 0.7]).allSatisfy { abs($0 - $1) < 1e-6 })
        let flatter = Augmenter.standard.apply(Augmenter.Parameters(contrast: 0.5), to: image)
        #expect(zip(flatter, [0.3, 0.5]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func zoomEnlargesAboutTheCentre() {
        // Zoom 2 on a 5×1 ramp: output x reads source 2 + (x − 2)/2.
        let ramp = GrayImage(width: 5, height: 1, pixels: [0, 40, 80, 120, 160])
        let out = Augmenter.standard.apply(Augmenter.Parameters(zoom: 2), to: ramp)
        #expect(zip(out, [40, 60, 80, 100, 120].map { Float($0) / 255 }).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}
