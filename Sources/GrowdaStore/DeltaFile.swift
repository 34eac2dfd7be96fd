import GrowdaSafetensors

/// The on-disk form of a pending update's delta: a safetensors file with one F32 tensor `delta` of shape
/// `[count]` (the flat parameter delta) and, in `__metadata__`, `format` = `growda-pending-delta`, `node`,
/// `seq` and `base_version`, so a file can be matched to its row and read by any safetensors tool.
enum DeltaFile {
    static let format = "growda-pending-delta"
    static let tensorName = "delta"

    /// Writes the delta of `update` to `path` atomically, durably as `durability` says.
    static func write(
        _ update: AcceptedUpdate, delta: UnsafeBufferPointer<Float>, to path: String, durability: Durability
    ) throws {
        var writer = SafetensorsWriter(metadata: [
            "format": format, "node": String(update.node), "seq": String(update.seq),
            "base_version": String(update.baseVersion),
        ])
        try writer.add(name: tensorName, shape: [delta.count], floats: delta)
        try durability.write(writer.encoded(), to: path)
    }

    /// Reads the delta at `path`, checking that the file belongs to the update `key`.
    static func read(_ path: String, key: UpdateKey) throws -> [Float] {
        let file = try open(path, key: key)
        return try file.floats(tensorName)
    }

    /// Reads the delta at `path` into `destination`, whose count must match the stored delta's.
    static func read(_ path: String, key: UpdateKey, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let file = try open(path, key: key)
        try file.copyFloats(tensorName, into: destination)
    }

    private static func open(_ path: String, key: UpdateKey) throws -> SafetensorsFile {
        let file = try SafetensorsFile(contentsOf: path)
        guard file.metadata["format"] == format else {
            throw StoreError.corruptDelta(path: path, reason: "not a pending delta file (format is not '\(format)')")
        }
        guard file.metadata["node"] == String(key.node), file.metadata["seq"] == String(key.seq) else {
            throw StoreError.corruptDelta(
                path: path,
                reason: "it holds node \(file.metadata["node"] ?? "?") seq \(file.metadata["seq"] ?? "?"), not \(key)")
        }
        return file
    }
}
