import GrowdaCharts
import GrowdaData
import Testing

@Suite struct ColormapTests {
    @Test func rampEndsAndMiddleAreTheStops() {
        let inferno = Colormap.inferno
        #expect(inferno.stops.count == 11)
        #expect(inferno.color(0) == ChartColor(red: 0, green: 0, blue: 4))
        #expect(inferno.color(0.5) == ChartColor(red: 188, green: 55, blue: 84))
        #expect(inferno.color(1) == ChartColor(red: 252, green: 255, blue: 164))
        // Halfway between the first two stops, (22, 11, 57) / 2 rounded.
        #expect(inferno.color(0.05) == ChartColor(red: 11, green: 6, blue: 31))
        // Outside [0, 1] and NaN are clamped.
        #expect(inferno.color(-3) == inferno.color(0) && inferno.color(.nan) == inferno.color(0))
        #expect(inferno.color(7) == inferno.color(1))
    }

    @Test func brightnessRisesAlongTheRamp() {
        let luma = (0...20).map { i -> Float in
            let c = Colormap.inferno.components(Float(i) / 20)
            return 0.2126 * c.red + 0.7152 * c.green + 0.0722 * c.blue
        }
        #expect(zip(luma, luma.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func overlayBlendsGrayAndColourAtTheOpacity() {
        let scan = GrayImage(width: 3, height: 2, pixels: [100, 200, 0, 50, 255, 80])
        let heat: [Float] = [0, 1, 0.5, 0.05, 0, 2]
        let half = Colormap.inferno.overlay(heat, on: scan, opacity: 0.5)
        #expect(half.width == 3 && half.height == 2)
        #expect(half[0, 0] == (50, 50, 52))  // 0.5·100 + 0.5·(0, 0, 4)
        #expect(half[1, 0] == (226, 228, 182))  // 0.5·200 + 0.5·(252, 255, 164), halves rounded up
        #expect(half[2, 0] == (94, 28, 42))  // 0.5·0 + 0.5·(188, 55, 84)
        let opaque = Colormap.inferno.overlay(heat, on: scan, opacity: 1)
        #expect(opaque[0, 1] == (11, 6, 31))
        #expect(opaque[2, 1] == (252, 255, 164))  // heat 2 clamped to 1
        let clear = Colormap.inferno.overlay(heat, on: scan, opacity: 0)
        #expect(clear[1, 1] == (255, 255, 255) && clear[2, 1] == (80, 80, 80))
    }
}
