import ArgumentParser
import Foundation
import GrowdaCharts
import GrowdaData
import GrowdaNN
import GrowdaStore
import GrowdaTestKit
import Testing

@testable import GrowdaCLI

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct ReportCommandTests {
    /// A state folder made through the store: version 0, then `versions - 1` versions each folding one
    /// update from each of two named hospitals, 30 s apart; evaluated (accuracy, AUC, no loss) when
    /// `evaluated`, else carrying only the nodes' train_loss.
    static func makeState(at folder: String, versions: Int, evaluated: Bool, bytesPerUpdate: Int = 0) throws {
        let clock = StepClock(start: Date(timeIntervalSince1970: 1_767_225_600), step: 30)
        let store = try StateStore(
            folder: folder,
            options: StateStore.Options(mode: "fedbuff", durability: .processCrash, now: { clock.next() }))
        let spec = ModelSpec(
            name: "t", inputShape: [1, 6, 6], classes: ["a", "b"], layers: [.flatten, .dense(units: 2)])
        let model = try Model(spec: spec, seed: 1)
        try store.registerNode(1, name: "st-marys")
        try store.registerNode(2, name: "city")
        func evaluation(_ v: Int) -> Evaluation? {
            evaluated ? Evaluation(accuracy: 0.5 + 0.08 * Double(v), auc: 0.6 + 0.07 * Double(v)) : nil
        }
        try store.commitVersion(0, model: model, evaluation: evaluation(0))
        for v in 1..<versions {
            let updates = [UInt32(1), 2].map { node in
                AcceptedUpdate(
                    node: node, seq: UInt64(v), baseVersion: UInt64(v - 1), staleness: 0, weight: 1, sampleCount: 50,
                    metrics: ["train_loss": 1.0 / Double(v + Int(node))], norm: 1, bytes: bytesPerUpdate)
            }
            try store.commitVersion(UInt64(v), model: model, accepting: updates, evaluation: evaluation(v))
        }
        try store.close()
    }

    /// Runs `growda report` with `arguments`.
    static func report(_ arguments: [String]) async throws {
        let command = try #require(try Growda.parseAsRoot(["report"] + arguments) as? ReportCommand)
        try await command.run()
    }

    @Test func svgDrawsOnePointPerVersion() async throws {
        let dir = try TemporaryDirectory(prefix: "growda-report")
        try Self.makeState(at: dir.path("state"), versions: 5, evaluated: true)
        let out = dir.path("chart.svg")
        try await Self.report(["--state", dir.path("state"), "--out", out])

        let svg = try SVGSummary(contentsOf: out)
        #expect(svg.width == "1200" && svg.height == "800")
        // Accuracy and AUC by version and over time (five points each), and the nodes' train loss by version
        // (four: version 0 folded no update).
        #expect(svg.polylinePointCounts == [5, 5, 5, 5, 4])
        #expect(svg.texts.contains("Growda federation report: fedbuff, 5 versions"))
        #expect(svg.texts.contains("st-marys") && svg.texts.contains("city"))
        #expect(svg.texts.contains("mean local train loss"))
        #expect(!svg.texts.contains { $0.contains("no server-side evaluation") })
        // One bar per hospital and the legend's swatch; nothing was refused, so no refused bars.
        #expect(svg.rectFills.filter { $0 == ChartColor.green.hex }.count == 3)
        #expect(!svg.rectFills.contains(ChartColor.red.hex))
    }

    @Test func uploadsRecordedAddAccuracyAgainstDataUploaded() async throws {
        let dir = try TemporaryDirectory(prefix: "growda-report")
        try Self.makeState(at: dir.path("state"), versions: 5, evaluated: true, bytesPerUpdate: 524_288)
        let out = dir.path("chart.svg")
        try await Self.report(["--state", dir.path("state"), "--out", out])
        let svg = try SVGSummary(contentsOf: out)
        #expect(svg.width == "1200" && svg.height == "1200")
        // The four panels as before, then accuracy and AUC against MiB uploaded (five points each) and the
        // upload by version (five: version 0 uploaded nothing, then 1 MiB per version).
        #expect(svg.polylinePointCounts == [5, 5, 5, 5, 4, 5, 5, 5])
        #expect(svg.texts.contains("Evaluation accuracy and AUC against data uploaded"))
        #expect(svg.texts.contains("MiB uploaded by the hospitals"))
        let history = try StateReader(folder: dir.path("state")).history()
        #expect(history.map(\.updateBytes) == [0, 1_048_576, 1_048_576, 1_048_576, 1_048_576])
    }

    @Test func pngIsTheChartSizeAndNotBlank() async throws {
        let dir = try TemporaryDirectory(prefix: "growda-report")
        try Self.makeState(at: dir.path("state"), versions: 4, evaluated: true)
        let out = dir.path("chart.png")
        try await Self.report(["--state", dir.path("state"), "--out", out])

        let image = try PNG.read(contentsOf: out)
        #expect(image.width == 1200 && image.height == 800)
        let levels = Set(image.pixels)
        #expect(levels.count >= 20, "only \(levels.count) gray levels")
        let dark = image.pixels.filter { $0 < 100 }.count
        #expect(dark > 2000, "only \(dark) dark pixels: is the text drawn?")
    }

    @Test func historyWithoutEvaluationSaysSoAndStillDrawsLossAndBars() async throws {
        let dir = try TemporaryDirectory(prefix: "growda-report")
        try Self.makeState(at: dir.path("state"), versions: 3, evaluated: false)
        let out = dir.path("chart.svg")
        try await Self.report(["--state", dir.path("state"), "--out", out])

        let svg = try SVGSummary(contentsOf: out)
        #expect(svg.polylinePointCounts == [2])
        let note = svg.texts.joined(separator: " ")
        #expect(note.contains("no server-side evaluation (run growda serve --eval DIR)"))
        #expect(svg.texts.contains("st-marys"))
        #expect(ReportCommand.summary(try StateReader(folder: dir.path("state")).history()).contains("3 versions"))
    }

    @Test func singleVersionDrawsDotsInBothFormats() async throws {
        let dir = try TemporaryDirectory(prefix: "growda-report")
        try Self.makeState(at: dir.path("state"), versions: 1, evaluated: true)
        try await Self.report(["--state", dir.path("state"), "--out", dir.path("one.svg")])
        try await Self.report(["--state", dir.path("state"), "--out", dir.path("one.png")])

        let svg = try SVGSummary(contentsOf: dir.path("one.svg"))
        #expect(svg.polylinePointCounts.isEmpty)
        #expect(svg.circles == 4)  // accuracy and AUC, by version and over time
        #expect(svg.texts.contains { $0.contains("no update accepted yet") })
        #expect(try PNG.read(contentsOf: dir.path("one.png")).width == 1200)
    }

    @Test func aFederationFolderMeansItsStateFolder() throws {
        let dir = try TemporaryDirectory(prefix: "growda-report")
        try FileManager.default.createDirectory(atPath: dir.path("fed"), withIntermediateDirectories: true)
        try "model.name = small28\n".write(toFile: dir.path("fed/federation.conf"), atomically: true, encoding: .utf8)
        #expect(try ReportCommand.stateFolder(for: dir.path("fed")) == dir.path("fed/state"))
        try FileManager.default.createDirectory(atPath: dir.path("fed/kept"), withIntermediateDirectories: true)
        try "state.dir = kept\n".write(toFile: dir.path("fed/federation.conf"), atomically: true, encoding: .utf8)
        #expect(try ReportCommand.stateFolder(for: dir.path("fed")) == dir.path("fed/kept"))
        #expect(try ReportCommand.stateFolder(for: dir.path("fed/kept")) == dir.path("fed/kept"))
    }

    @Test func aFolderWithoutStateIsNamedWithWhatToGive() async throws {
        let dir = try TemporaryDirectory(prefix: "growda-report")
        let missing = dir.path("nowhere")
        let missingError = await #expect(throws: CLIError.self) {
            try await Self.report(["--state", missing, "--out", dir.path("c.svg")])
        }
        #expect(missingError?.description.contains(missing) == true)
        #expect(missingError?.description.contains("give --state") == true)
        let emptyError = await #expect(throws: CLIError.self) {
            try await Self.report(["--state", dir.path("."), "--out", dir.path("c.svg")])
        }
        #expect(emptyError?.description.contains("holds no Growda state") == true)
        #expect(!FileManager.default.fileExists(atPath: dir.path("c.svg")))
    }

    @Test func outputMustBeSVGOrPNG() {
        #expect(throws: (any Error).self) { try Growda.parseAsRoot(["report", "--state", "s", "--out", "c.jpg"]) }
        #expect(ChartFormat(path: "a/B.PNG") == .png && ChartFormat(path: "c.svg") == .svg)
    }
}

/// A clock for the store that moves `step` seconds each time it is read.
private final class StepClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    private let step: TimeInterval

    init(start: Date, step: TimeInterval) {
        current = start
        self.step = step
    }

    /// The current time, then advances the clock.
    func next() -> Date {
        lock.withLock {
            defer { current += step }
            return current
        }
    }
}

/// What a test needs of an SVG file: it parses as XML, and its size, polylines, circles and texts.
private final class SVGSummary: NSObject, XMLParserDelegate {
    var width = "", height = ""
    var polylinePointCounts: [Int] = []
    var circles = 0
    var rectFills: [String] = []
    var texts: [String] = []
    private var inText = false

    init(contentsOf path: String) throws {
        super.init()
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        parser.delegate = self
        guard parser.parse() else {
            throw CLIError("\(path) is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?")")
        }
    }

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch element {
        case "svg":
            width = attributes["width"] ?? ""
            height = attributes["height"] ?? ""
        case "polyline":
            polylinePointCounts.append((attributes["points"] ?? "").split(separator: " ").count)
        case "circle":
            circles += 1
        case "rect":
            rectFills.append(attributes["fill"] ?? "")
        case "text":
            inText = true
            texts.append("")
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { texts[texts.count - 1] += string }
    }

    func parser(
        _ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?
    ) {
        if element == "text" { inText = false }
    }
}
