import Testing

@testable import GrowdaData

@Suite struct ResizeTests {
    @Test func shrinkingByTwoAveragesEachBlock() {
        let image = GrayImage(
            width: 4, height: 4,
            pixels: [
                0, 10, 100, 200,
                20, 30, 50, 50,
                255, 255, 0, 1,
                255, 255, 2, 3,
            ])
        let small = image.resized(width: 2, height: 2)
        // (0+10+20+30)/4 = 15, (100+200+50+50)/4 = 100, 255, (0+1+2+3)/4 = 1.5 → 2.
        #expect(small.pixels == [15, 100, 255, 2])
    }

    @Test func shrinkingByANonIntegerFactorWeighsPartialPixels() {
        let image = GrayImage(width: 3, height: 1, pixels: [0, 30, 60])
        // Output 0 covers [0, 1.5): (1·0 + 0.5·30)/1.5 = 10; output 1 covers [1.5, 3): (0.5·30 + 60)/1.5 = 50.
        #expect(image.resized(width: 2, height: 1).pixels == [10, 50])
    }

    @Test func enlargingInterpolatesBetweenCentres() {
        let image = GrayImage(width: 2, height: 1, pixels: [0, 100])
        // Output centres map to −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
        #expect(image.resized(width: 4, height: 1).pixels == [0, 25, 75, 100])
    }

    @Test func enlargingInBothDirections() {
        let image = GrayImage(width: 2, height: 2, pixels: [0, 100, 200, 40])
        let big = image.resized(width: 4, height: 4)
        // Rows: [0, 25, 75, 100] and [200, 160, 80, 40]; then columns mix them 1, ¾/¼, ¼/¾, 1.
        #expect(
            big.pixels == [
                0, 25, 75, 100,
                50, 59, 76, 85,
                150, 126, 79, 55,
                200, 160, 80, 40,
            ])
    }

    @Test func mixedShrinkAndGrow() {
        let image = GrayImage(width: 4, height: 2, pixels: [0, 20, 40, 60, 100, 100, 100, 100])
        // Width 4 → 2 averages pairs: rows [10, 50] and [100, 100]; height 2 → 3 interpolates at
        // source rows 0 (clamped from −1/6), ½ and 1 (clamped from 7/6).
        #expect(image.resized(width: 2, height: 3).pixels == [10, 50, 55, 75, 100, 100])
    }

    @Test func sameSizeIsUnchanged() {
        let image = Fixtures.pattern(width: 9, height: 7)
        #expect(image.resized(width: 9, height: 7) == image)
        #expect(image.resized(width: 9, height: 3).resized(width: 9, height: 3).width == 9)
    }

    @Test func constantImageStaysConstant() {
        let image = GrayImage(width: 128, height: 96, repeating: 77)
        #expect(image.resized(width: 28, height: 28).pixels.allSatisfy { $0 == 77 })
        #expect(image.resized(width: 300, height: 200).pixels.allSatisfy { $0 == 77 })
    }
}
