import Foundation
import GrowdaAggregator
import GrowdaConsole
import GrowdaDiagnosis
import GrowdaStore
import HTTPTypes
import Hummingbird
import Logging

/// The federation dashboard (`growda serve --console-port P`): a live page for admins (learning curves by
/// version and over time, hospitals, queue and admission, refusals, staleness) and the aggregator's side of
/// the REST API under /api/v1. Read-only: it reads the status the aggregator publishes and its state
/// folder, and never touches the processing thread.
public enum Dashboard {
    /// How often an open page gets fresh panels.
    static let refreshInterval: Duration = .seconds(2)

    /// A console server for `aggregator`, whose state is in `stateFolder`; /api/v1/predict and /explain
    /// answer with the latest global model.
    public static func server(
        aggregator: Aggregator, stateFolder: String, settings: ConsoleSettings, credentials: ConsoleCredentials? = nil,
        logger: Logger
    ) throws -> ConsoleServer {
        let data = DashboardData(status: { aggregator.status() }, stateFolder: stateFolder)
        let metrics = AggregatorMetrics()
        let models = DiagnosticianCache(unavailable: "the aggregator holds no model yet") {
            guard let version = aggregator.status()?.version else { return nil }
            return .init(key: "v\(version)", origin: "version \(version)'s checkpoint") {
                try data.checkpoint(.version(version)).bytes
            }
        }
        return try ConsoleServer(
            settings: settings, credentials: credentials, methods: OpenAPIDocument.methods(servedBy: .aggregator),
            logger: logger
        ) { router, toolkit in
            addPages(router, data: data, toolkit: toolkit)
            addAPI(router, data: data, toolkit: toolkit)
            DiagnosisRoutes.add(to: router.group("/api/v1"), toolkit: toolkit, models: models)
            router.get("/metrics") { _, _ in MetricsServer.exposition(metrics.render(aggregator.status())) }
        }
    }

    static func currentStatus(_ data: DashboardData) throws -> AggregatorStatus {
        guard let status = data.status() else {
            throw ConsoleError(.unavailable, "the aggregator has not published its status yet; try again in a second")
        }
        return status
    }

    // MARK: Pages

    static func addPages(_ router: Router<ConsoleContext>, data: DashboardData, toolkit: ConsoleToolkit) {
        router.get("/") { _, _ -> Response in
            let status = try currentStatus(data)
            let history = try data.history(asOf: status.version)
            let html = DashboardView.page(
                title: toolkit.settings.title,
                panels: DashboardView.panels(status, consoleRefusals: toolkit.refusals.byReason),
                chartSVG: history.chartSVG)
            return page(html)
        }
        router.get("/assets/dashboard.js") { _, _ in
            asset(DashboardView.script, type: "text/javascript; charset=utf-8")
        }
        router.get("/events") { _, _ -> Response in
            let sentChartFor = LastSent()
            return toolkit.eventStream(interval: refreshInterval) {
                guard let status = data.status() else { return [] }
                var payload: [String: Any] = [
                    "version": status.version,
                    "panels": DashboardView.panels(status, consoleRefusals: toolkit.refusals.byReason),
                ]
                if sentChartFor.changed(to: status.version), let history = try? data.history(asOf: status.version) {
                    payload["chart"] = history.chartSVG
                }
                guard let json = try? JSONSerialization.data(withJSONObject: payload) else { return [] }
                return [EventStream.Event(name: "panels", data: String(decoding: json, as: UTF8.self))]
            }
        }
    }

    // MARK: The API

    static func addAPI(_ router: Router<ConsoleContext>, data: DashboardData, toolkit: ConsoleToolkit) {
        let api = router.group("/api/v1")
        api.get("/openapi.json") { _, _ in
            bytes(OpenAPIDocument.served(by: .aggregator), type: "application/json")
        }
        api.get("/status") { _, _ -> Response in
            let reply = StatusReply(
                role: "aggregator", federation: try currentStatus(data),
                console: .init(refused: toolkit.refusals.byReason, served: toolkit.refusals.servedCount))
            return try json(reply)
        }
        api.get("/nodes") { _, _ -> Response in
            try json(try currentStatus(data).nodes)
        }
        api.get("/versions") { request, _ -> Response in
            var limit: Int?
            if let text = request.uri.queryParameters["limit"] {
                guard let n = Int(text), (1...1_000_000).contains(n) else {
                    throw ConsoleError(
                        .badRequest, "limit must be a whole number from 1 to 1000000, got '\(text.prefix(40))'")
                }
                limit = n
            }
            let status = try currentStatus(data)
            var history = try data.history(asOf: status.version).history
            if let limit, history.count > limit { history = Array(history.suffix(limit)) }
            return bytes(Array(try HistoryExport.json(history, pretty: false).utf8), type: "application/json")
        }
        api.get("/metrics") { _, _ -> Response in
            let status = try currentStatus(data)
            let history = try data.history(asOf: status.version).history
            let start = history.first?.createdAt ?? Date()
            let points = history.map { record in
                MetricsPoint(
                    version: record.version, seconds: record.createdAt.timeIntervalSince(start),
                    accuracy: record.evaluation?.accuracy, auc: record.evaluation?.auc, loss: record.evaluation?.loss,
                    train_loss: record.trainMetrics["train_loss"])
            }
            return try json(MetricsHistory(points: points))
        }
        api.get("/model") { request, _ -> Response in
            let text = request.uri.queryParameters["version"].map(String.init) ?? "latest"
            let choice: CheckpointChoice
            switch text {
            case "latest": choice = .latest
            case "best": choice = .best
            default:
                guard text.count <= 19, let n = UInt64(text) else {
                    throw ConsoleError(.badRequest, "version must be latest, best or a version number, got '\(text)'")
                }
                choice = .version(n)
            }
            let kept: KeptCheckpoint
            do {
                kept = try data.checkpoint(choice)
            } catch let error as CheckpointLookupError {
                throw ConsoleError(error.isMissing ? .notFound : .unavailable, error.description)
            }
            var response = bytes(kept.bytes, type: "application/octet-stream")
            response.headers[modelVersionHeader] = String(kept.version)
            response.headers[.contentDisposition] = "attachment; filename=\"growda-v\(kept.version).safetensors\""
            return response
        }
    }

    static let modelVersionHeader = HTTPField.Name("X-Growda-Model-Version")!

    struct StatusReply: Encodable {
        struct Console: Encodable {
            var refused: [String: Int]
            var served: Int
        }
        var role: String
        var federation: AggregatorStatus
        var console: Console
    }

    struct MetricsPoint: Encodable {
        var version: UInt64
        var seconds: Double
        var accuracy: Double?
        var auc: Double?
        var loss: Double?
        var train_loss: Double?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(version, forKey: .version)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(accuracy, forKey: .accuracy)
            try c.encode(auc, forKey: .auc)
            try c.encode(loss, forKey: .loss)
            try c.encode(train_loss, forKey: .train_loss)
        }
        enum CodingKeys: String, CodingKey { case version, seconds, accuracy, auc, loss, train_loss }
    }

    struct MetricsHistory: Encodable {
        var points: [MetricsPoint]
    }

    // MARK: Responses

    static func json(_ value: some Encodable) throws -> Response { try ConsoleResponse.json(value) }

    static func bytes(_ bytes: [UInt8], type: String) -> Response { ConsoleResponse.bytes(bytes, type: type) }

    static func page(_ html: String) -> Response { ConsoleResponse.page(html) }

    static func asset(_ text: String, type: String) -> Response { ConsoleResponse.text(text, type: type) }
}

/// The version whose chart an event stream last sent (so the SVG is sent again only when it changed).
final class LastSent: @unchecked Sendable {
    private let lock = NSLock()
    private var version: UInt64?

    func changed(to version: UInt64) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if self.version == version { return false }
        self.version = version
        return true
    }
}
