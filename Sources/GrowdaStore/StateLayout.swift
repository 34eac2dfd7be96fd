/// Where things live in a state folder, and how its file names are made and read back.
///
/// ```
/// STATE/state.sqlite                                   the database (WAL: also -wal and -shm)
/// STATE/LOCK                                           flock held by the owning aggregator; holds its pid
/// STATE/models/v000000042.safetensors                  the checkpoint of version 42
/// STATE/models/v000000042.optimizer.safetensors        the server optimizer's state after version 42
/// STATE/pending/buffer-0.safetensors, buffer-1.…       the buffer: the sum of the pending updates' deltas;
///                                                      group commits write the two in turn, in place, the
///                                                      database naming the one in force
/// ```
/// Version numbers are zero-padded to nine digits (more when they need it), so a plain listing
/// sorts them. Paths stored in the database are relative to the folder (`models/…`, `pending/…`).
/// Temporary files of interrupted atomic writes are hidden files holding `.tmp-`.
struct StateLayout: Sendable {
    /// The state folder.
    let folder: String

    var databasePath: String { "\(folder)/state.sqlite" }
    var lockPath: String { "\(folder)/LOCK" }
    var modelsFolder: String { "\(folder)/models" }
    var pendingFolder: String { "\(folder)/pending" }

    /// The absolute path of a folder-relative name.
    func path(_ relative: String) -> String { "\(folder)/\(relative)" }

    /// `models/v000000042.safetensors`.
    static func checkpointName(version: UInt64) -> String {
        "models/v\(padded(version)).safetensors"
    }

    /// `models/v000000042.optimizer.safetensors`.
    static func optimizerStateName(version: UInt64) -> String {
        "models/v\(padded(version)).optimizer.safetensors"
    }

    /// `pending/buffer-0.safetensors` or `pending/buffer-1.safetensors`.
    static func bufferName(slot: Int) -> String {
        "pending/buffer-\(slot).safetensors"
    }

    /// The last component of a folder-relative name (`pending/x.safetensors` → `x.safetensors`).
    static func fileName(_ relative: String) -> String {
        relative.split(separator: "/").last.map(String.init) ?? relative
    }

    /// The slot (0 or 1) of a buffer file name, or nil.
    static func parseBufferFile(_ name: String) -> Int? {
        switch name {
        case "buffer-0.safetensors": 0
        case "buffer-1.safetensors": 1
        default: nil
        }
    }

    /// What a file name in `models/` is: a checkpoint or optimizer state and its version, or nil.
    static func parseModelFile(_ name: String) -> (version: UInt64, isOptimizerState: Bool)? {
        guard name.hasPrefix("v"), name.hasSuffix(".safetensors") else { return nil }
        var stem = name.dropFirst().dropLast(".safetensors".count)
        let isOptimizerState = stem.hasSuffix(".optimizer")
        if isOptimizerState { stem = stem.dropLast(".optimizer".count) }
        guard !stem.isEmpty, stem.allSatisfy(\.isASCIIDigit), let version = UInt64(stem) else { return nil }
        return (version, isOptimizerState)
    }

    /// Whether a file name in `pending/` is a per-update delta file of an older Growda (`<node>-<seq>.safetensors`).
    static func isDeltaFile(_ name: String) -> Bool {
        guard name.hasSuffix(".safetensors") else { return false }
        let parts = name.dropLast(".safetensors".count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else { return false }
        return UInt32(parts[0]) != nil && UInt64(parts[1]) != nil
    }

    /// Whether a file name is the temporary file of an interrupted atomic write.
    static func isTemporaryFile(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(".tmp-")
    }

    private static func padded(_ version: UInt64) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
