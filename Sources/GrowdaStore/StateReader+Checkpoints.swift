import Foundation

/// Which version's checkpoint to read from a state folder.
public enum CheckpointChoice: Equatable, Sendable {
    /// The best version by the evaluation metric.
    case best
    /// The current version.
    case latest
    /// Version N.
    case version(UInt64)
}

/// A checkpoint read from a state folder: its version, whether it is the best, and its bytes.
public struct KeptCheckpoint: Sendable {
    /// The version.
    public var version: UInt64
    /// Whether it is the best version by the evaluation metric.
    public var isBest: Bool
    /// The checkpoint's safetensors bytes, exactly as the aggregator saved them.
    public var bytes: [UInt8]
    /// Where they were read.
    public var path: String
}

/// Why a checkpoint cannot be read: the sentence names the versions that exist.
public struct CheckpointLookupError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and what exists.
    public var description: String
    /// Whether the version asked for does not exist or has no kept checkpoint (rather than a read failure).
    public var isMissing: Bool
}

extension StateReader {
    /// The bytes of the chosen version's checkpoint; throws ``CheckpointLookupError`` naming the versions
    /// whose checkpoints exist when it has none. The caller checks the bytes load as a model.
    public func checkpoint(_ choice: CheckpointChoice) throws -> KeptCheckpoint {
        let federation = try federation()
        let history = try history()
        let version: UInt64
        switch choice {
        case .best:
            guard let best = federation.best else {
                throw CheckpointLookupError(
                    description: "\(folder) records no best version: the aggregator keeps one only with an evaluation "
                        + "set (eval.dir in federation.conf, or growda serve --eval DIR) and eval.keep_best = true, "
                        + "once a version is evaluated. \(Self.kept(history))", isMissing: true)
            }
            version = best.version
        case .latest:
            guard let current = federation.currentVersion else {
                throw CheckpointLookupError(description: "\(folder) holds no version yet", isMissing: true)
            }
            version = current
        case .version(let n):
            version = n
        }
        guard let record = history.first(where: { $0.version == version }) else {
            let range = history.isEmpty ? "none" : "v\(history.first!.version)–v\(history.last!.version)"
            throw CheckpointLookupError(
                description: "version \(version) was never made (versions made: \(range)). \(Self.kept(history))",
                isMissing: true)
        }
        guard let file = record.checkpoint else {
            throw CheckpointLookupError(
                description: "version \(version)'s checkpoint was pruned (the aggregator keeps the newest few, "
                    + "version 0 and the best). \(Self.kept(history))", isMissing: true)
        }
        let source = path(of: file)
        let bytes: [UInt8]
        do {
            bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
        } catch {
            throw CheckpointLookupError(
                description: "cannot read version \(version)'s checkpoint \(source): \(error) (pruned while reading? "
                    + "try again)", isMissing: false)
        }
        return KeptCheckpoint(
            version: version, isBest: federation.best.map { $0.version == version } ?? false, bytes: bytes,
            path: source)
    }

    /// `Checkpoints kept: v0, v612, v2596–v2600.`
    public static func kept(_ history: [VersionRecord]) -> String {
        let versions = history.filter { $0.checkpoint != nil }.map(\.version)
        guard !versions.isEmpty else { return "No checkpoint is kept." }
        var runs: [(UInt64, UInt64)] = []
        for v in versions {
            if let last = runs.last, last.1 + 1 == v { runs[runs.count - 1].1 = v } else { runs.append((v, v)) }
        }
        let text = runs.map { $0.0 == $0.1 ? "v\($0.0)" : "v\($0.0)–v\($0.1)" }.joined(separator: ", ")
        return "Checkpoints kept: \(text)."
    }
}
