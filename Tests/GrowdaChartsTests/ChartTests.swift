import GrowdaCharts
import Testing

@Suite struct ChartTests {
    @Test func axesUseRoundSteps() {
        let score = ChartAxis.fitting([0.55, 0.83], label: "", limits: 0...1)
        #expect(score.lower == 0.5 && score.ticks.count == 5)
        #expect(abs(score.upper - 0.9) < 1e-9)
        #expect(score.ticks.map(score.tickLabel) == ["0.5", "0.6", "0.7", "0.8", "0.9"])
        let versions = ChartAxis.fitting([0], label: "version", integer: true)
        #expect(versions.lower == -1 && versions.upper == 1 && versions.ticks == [0, 1])  // centred, no -1 tick
        let none = ChartAxis.fitting([0, 0], label: "", integer: true, includeZero: true)
        #expect(none.lower == 0 && none.upper == 1)
        let counts = ChartAxis.fitting([3, 17], label: "", integer: true, includeZero: true)
        #expect(counts.lower == 0 && counts.upper == 20 && counts.ticks == [0, 5, 10, 15, 20])
    }

    @Test func hospitalNamesBreakAtSeparators() {
        #expect(ChartDrawing.categoryLines("st-marys", width: 10, maxLines: 2) == ["st-marys"])
        #expect(ChartDrawing.categoryLines("leeds-general", width: 10, maxLines: 2) == ["leeds-", "general"])
        #expect(ChartDrawing.categoryLines("royal-london-1", width: 7, maxLines: 3) == ["royal-", "london-", "1"])
        #expect(ChartDrawing.categoryLines("addenbrookes", width: 10, maxLines: 2) == ["addenbroo."])
        #expect(ChartDrawing.categoryLines("a-b-c-d", width: 2, maxLines: 2) == ["a-", "b."])
    }

    @Test func everyTextCharacterHasAGlyph() {
        let text = "Growda federation report: fedbuff, 12 versions (run growda serve --eval DIR) 0.85 100% st_marys/x"
        for character in text { #expect(BitmapFont.rows(character) != BitmapFont.rows("?") || character == "?") }
        #expect(BitmapFont.rows("g").count == 9 && BitmapFont.rows("A").count == 7)
    }

    @Test func canvasStrokesCoverTheLineAndLeaveTheRestWhite() {
        var canvas = RasterCanvas(width: 20, height: 10)
        canvas.stroke([ChartPoint(x: 2, y: 5), ChartPoint(x: 18, y: 5)], color: .blue, width: 2)
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(canvas.samples[(y * 20 + x) * 3..<(y * 20 + x) * 3 + 3]) }
        let blue = [ChartColor.blue.red, ChartColor.blue.green, ChartColor.blue.blue]
        #expect(pixel(10, 4) == blue && pixel(10, 5) == blue)
        #expect(pixel(10, 0) == [255, 255, 255] && pixel(0, 5) == [255, 255, 255])
        #expect(RasterCanvas.distance(from: ChartPoint(x: 5, y: 3), toSegment: ChartPoint(x: 0, y: 0), ChartPoint(x: 10, y: 0)) == 3)
    }
}
