import Foundation
import GrowdaConsole
import GrowdaDiagnosis
import HTTPTypes
import Hummingbird
import Logging

/// A hospital's diagnosis desk (`growda-node run --console-port P`): a clinician drops in chest X-rays
/// (PNG or DICOM) and gets class probabilities, the decision and a Grad-CAM overlay from the newest global
/// model the node holds, beside the node's own state. It runs inside the node on the hospital's server:
/// uploads are diagnosed in memory and never stored, logged or sent to the aggregator.
public enum Desk {
    /// Which of the node's models the desk diagnoses with.
    public enum ModelChoice: String, Sendable {
        /// STATE/model.safetensors, the latest global version.
        case latest
        /// STATE/diagnose.safetensors, the best version by the aggregator's metric (the latest until there is one).
        case best
    }

    /// A desk for the node whose state folder is `stateFolder`.
    public static func server(
        stateFolder: String, nodeName: String, model choice: ModelChoice, settings: ConsoleSettings,
        credentials: ConsoleCredentials? = nil, logger: Logger
    ) throws -> ConsoleServer {
        let files = DeskFiles(stateFolder: stateFolder, choice: choice)
        let models = DiagnosticianCache(
            unavailable: "this node holds no global model yet: it gets one from the aggregator when it first "
                + "connects (see the node's state on this page)"
        ) { files.locateModel() }
        return try ConsoleServer(
            settings: settings, credentials: credentials, methods: OpenAPIDocument.methods(servedBy: .node),
            logger: logger
        ) { router, toolkit in
            router.get("/") { _, _ -> Response in
                respond(DeskView.page(title: settings.title, nodeName: nodeName), type: "text/html; charset=utf-8")
            }
            router.get("/assets/desk.js") { _, _ in respond(DeskView.script, type: "text/javascript; charset=utf-8") }
            let api = router.group("/api/v1")
            api.get("/openapi.json") { _, _ in
                respond(OpenAPIDocument.served(by: .node), type: "application/json")
            }
            api.get("/status") { _, _ -> Response in
                guard let node = files.status() else {
                    throw ConsoleError(
                        .unavailable, "the node has not written its status yet (STATE/status.json); try again shortly")
                }
                let console: [String: Any] = [
                    "refused": toolkit.refusals.byReason, "served": toolkit.refusals.servedCount,
                ]
                let reply: [String: Any] = ["role": "node", "node": node, "console": console]
                return respond(
                    Array(try JSONSerialization.data(withJSONObject: reply, options: [.sortedKeys])),
                    type: "application/json")
            }
            api.get("/model") { request, _ -> Response in
                let asked = request.uri.queryParameters["version"].map(String.init) ?? "latest"
                guard asked == "latest" || asked == "best" else {
                    throw ConsoleError(
                        .badRequest, "a node holds only its latest model (and its best, with --diagnose-with best): "
                            + "version must be latest or best, got '\(asked.prefix(40))'")
                }
                guard let (path, bytes) = files.modelBytes(best: asked == "best") else {
                    throw ConsoleError(.notFound, "this node holds no \(asked) model yet")
                }
                var response = respond(bytes, type: "application/octet-stream")
                response.headers[.contentDisposition] =
                    "attachment; filename=\"\(URL(fileURLWithPath: path).lastPathComponent)\""
                return response
            }
            DiagnosisRoutes.add(to: api, toolkit: toolkit, models: models)
        }
    }

    static func respond(_ text: String, type: String) -> Response { ConsoleResponse.text(text, type: type) }

    static func respond(_ bytes: [UInt8], type: String) -> Response { ConsoleResponse.bytes(bytes, type: type) }
}

/// The node's files the desk reads (it never writes any).
struct DeskFiles: Sendable {
    let stateFolder: String
    let choice: Desk.ModelChoice

    var latestPath: String { stateFolder + "/model.safetensors" }
    var bestPath: String { stateFolder + "/diagnose.safetensors" }
    var statusPath: String { stateFolder + "/status.json" }

    /// The model to diagnose with, keyed by its path, size and modification time.
    func locateModel() -> DiagnosticianCache.Located? {
        let candidates = choice == .best ? [bestPath, latestPath] : [latestPath]
        for path in candidates {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let modified = attributes[.modificationDate] as? Date, let size = attributes[.size] as? Int
            else { continue }
            return .init(key: "\(path)|\(size)|\(modified.timeIntervalSince1970)", origin: path) {
                try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            }
        }
        return nil
    }

    func modelBytes(best: Bool) -> (String, [UInt8])? {
        let path = best ? bestPath : latestPath
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return (path, [UInt8](data))
    }

    /// status.json as the node last wrote it.
    func status() -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: statusPath) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
