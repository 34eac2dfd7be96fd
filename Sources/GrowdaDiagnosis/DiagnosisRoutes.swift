import Foundation
import GrowdaConsole
import HTTPTypes
import Hummingbird
import Synchronization

/// Where a console's model comes from, loaded again only when it changed: the node's model file, or the
/// aggregator's latest checkpoint.
public final class DiagnosticianCache: Sendable {
    /// A model to load: a key that changes when the model does, its bytes, and a name for errors.
    public struct Located: Sendable {
        /// Changes whenever the model does (a path with its modification time, a version number).
        public var key: String
        /// Reads the checkpoint's bytes.
        public var bytes: @Sendable () throws -> [UInt8]
        /// Names the checkpoint in errors.
        public var origin: String

        /// A located model.
        public init(key: String, origin: String, bytes: @escaping @Sendable () throws -> [UInt8]) {
            self.key = key
            self.origin = origin
            self.bytes = bytes
        }
    }

    private let locate: @Sendable () throws -> Located?
    private let unavailable: String
    private let loaded = Mutex<(key: String, diagnostician: Diagnostician)?>(nil)

    /// A cache over `locate` (nil: no model yet, answered 503 with `unavailable`).
    public init(unavailable: String, locate: @escaping @Sendable () throws -> Located?) {
        self.locate = locate
        self.unavailable = unavailable
    }

    /// A cache that always holds one model (benchmarks).
    public convenience init(fixed diagnostician: Diagnostician) {
        self.init(unavailable: "") { nil }
        loaded.withLock { $0 = ("fixed", diagnostician) }
    }

    /// The current model; throws a 503 ``ConsoleError`` when there is none.
    public func current() throws -> Diagnostician {
        let located: Located?
        do {
            located = try locate()
        } catch {
            throw ConsoleError(.unavailable, "the model cannot be found now (\(error)); try again shortly")
        }
        guard let located else {
            if let held = loaded.withLock({ $0 }) { return held.diagnostician }
            throw ConsoleError(.unavailable, unavailable)
        }
        if let held = loaded.withLock({ $0 }), held.key == located.key { return held.diagnostician }
        let fresh: Diagnostician
        do {
            fresh = try Diagnostician(checkpoint: located.bytes(), origin: located.origin)
        } catch {
            throw ConsoleError(.unavailable, "the model \(located.origin) cannot be loaded now (\(error)); try again shortly")
        }
        loaded.withLock { $0 = (located.key, fresh) }
        return fresh
    }
}

/// POST /api/v1/predict and /api/v1/explain, the same on both consoles: the body is one image file (PNG or
/// DICOM); nothing uploaded is kept.
public enum DiagnosisRoutes {
    /// The media types an upload may declare (or none).
    static let acceptedTypes = ["image/png", "application/dicom", "application/octet-stream"]
    static let fileNameHeader = HTTPField.Name("X-Growda-Filename")!

    /// Adds both routes under `api` (the /api/v1 group).
    public static func add(to api: RouterGroup<ConsoleContext>, toolkit: ConsoleToolkit, models: DiagnosticianCache) {
        api.post("/predict") { request, _ -> Response in
            try await answer(request, toolkit: toolkit, models: models, explain: false)
        }
        api.post("/explain") { request, _ -> Response in
            try await answer(request, toolkit: toolkit, models: models, explain: true)
        }
    }

    static func answer(
        _ request: Request, toolkit: ConsoleToolkit, models: DiagnosticianCache, explain: Bool
    ) async throws -> Response {
        if let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
            .lowercased(), !acceptedTypes.contains(type)
        {
            throw ConsoleError(
                .unsupportedMediaType,
                "the body is declared as \(type): send the image file itself as image/png, application/dicom or "
                    + "application/octet-stream")
        }
        let target = request.uri.queryParameters["class"].map(String.init)
        if let target, target.count > 64 {
            throw ConsoleError(.badRequest, "class must be a class name or index (at most 64 characters)")
        }
        let includeImage: Bool
        switch request.uri.queryParameters["image"].map(String.init) {
        case nil, "true": includeImage = true
        case "false": includeImage = false
        case let other?: throw ConsoleError(.badRequest, "image must be true or false, got '\(other.prefix(20))'")
        }
        let name = request.headers[fileNameHeader].map { "upload \($0.prefix(200))" } ?? "the uploaded file"
        let bytes = try await toolkit.upload(request, what: "one PNG or DICOM image")
        let diagnostician = try models.current()
        let diagnosis: Diagnosis
        do {
            diagnosis = try diagnostician.diagnose(
                bytes, name: name, explain: explain, targetClass: target, includeImage: includeImage)
        } catch let error as DiagnosisError {
            switch error {
            case .notAnImage(let text): throw ConsoleError(.unsupportedMediaType, text)
            case .unusable(let text): throw ConsoleError(.unprocessable, text)
            case .unknownClass(let text): throw ConsoleError(.badRequest, text)
            }
        }
        return try ConsoleResponse.json(diagnosis)
    }
}
