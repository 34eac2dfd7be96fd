extension FederationConfig {
    /// The parts of `federation.conf`, in the order `growda federation init` writes them.
    public enum Section: String, CaseIterable, Sendable {
        case model = "Model"
        case aggregation = "Aggregation"
        case privacy = "Privacy"
        case evaluation = "Evaluation and stop rules"
        case network = "Network"
        case console = "Web console"
        case limits = "Limits"
        case folders = "Folders"
    }

    /// A key Growda reads, documented: what it means, what it allows and its default.
    ///
    /// Each module documents its own keys (``FederationConfig/knownKeys`` here, the aggregation rule's in
    /// GrowdaAggregation); GrowdaAggregator's `AggregatorConfiguration.knownKeys` puts them together into
    /// the one registry that `growda federation init` writes and the aggregator checks files against.
    public struct KnownKey: Sendable, Equatable {
        /// The key, e.g. `fedbuff.k`.
        public var name: String
        /// Where `federation init` writes it.
        public var section: Section
        /// What it does, one or more sentences.
        public var meaning: String
        /// What it accepts, e.g. `an integer ≥ 1`.
        public var allowed: String
        /// The value taken when the file does not set the key, as the file would write it; nil for an
        /// optional setting that is off unless set.
        public var defaultValue: String?
        /// For a key without a default: the example value its commented line shows.
        public var example: String?

        /// A documented key; `example` is for keys without a default.
        public init(
            _ name: String, section: Section, meaning: String, allowed: String, default defaultValue: String?,
            example: String? = nil
        ) {
            self.name = name
            self.section = section
            self.meaning = meaning
            self.allowed = allowed
            self.defaultValue = defaultValue
            self.example = example
        }

        /// The comment lines `federation init` writes above the key: its meaning, then what it allows and
        /// its default, wrapped to 100 columns.
        public var commentLines: [String] {
            let fallback = defaultValue.map { "Default: \($0)." } ?? "Not set by default."
            return Self.wrap(meaning) + Self.wrap("Allowed: \(allowed). \(fallback)")
        }

        /// `text` in lines of at most 98 characters (so `# ` and the line fit in 100), broken at spaces.
        static func wrap(_ text: String, width: Int = 98) -> [String] {
            var lines: [String] = []
            var line = ""
            for word in text.split(separator: " ") {
                if !line.isEmpty, line.count + 1 + word.count > width {
                    lines.append(line)
                    line = ""
                }
                line += line.isEmpty ? String(word) : " " + word
            }
            if !line.isEmpty { lines.append(line) }
            return lines
        }
    }

    /// The keys GrowdaProvisioning reads (addresses, ports, the message size limit), documented.
    public static let knownKeys: [KnownKey] = [
        KnownKey(
            Key.endpointHost, section: .network,
            meaning: "The host name or address that nodes connect to; written into every node bundle when the "
                + "node is added, so after a change give the nodes new bundles (growda node revoke, then growda "
                + "node add).",
            allowed: "a host name (agg.example.org), an IPv4 address or an IPv6 address", default: Default.host),
        KnownKey(
            Key.bindHost, section: .network,
            meaning: "The address the aggregator binds its node-facing sockets (updates, models, snapshots) to. "
                + "127.0.0.1 accepts nodes on this machine only: for remote hospitals set 0.0.0.0 (every "
                + "interface) or the address of the interface they reach.",
            allowed: "an IPv4 or IPv6 address, or a host name", default: Default.host),
        KnownKey(
            Key.updatesPort, section: .network,
            meaning: "Port of the PULL socket that receives sealed updates and heartbeats from nodes (written "
                + "into node bundles).",
            allowed: "1 to 65535, unlike the other ports", default: String(Default.updatesPort)),
        KnownKey(
            Key.modelsPort, section: .network,
            meaning: "Port of the PUB socket that broadcasts each signed, sealed global model (written into node "
                + "bundles).",
            allowed: "1 to 65535, unlike the other ports", default: String(Default.modelsPort)),
        KnownKey(
            Key.snapshotsPort, section: .network,
            meaning: "Port of the ROUTER socket that sends the latest model to nodes that ask, such as late "
                + "joiners (written into node bundles).",
            allowed: "1 to 65535, unlike the other ports", default: String(Default.snapshotsPort)),
        KnownKey(
            Key.maxMessageBytes, section: .limits,
            meaning: "The largest message the aggregator accepts, in bytes (67108864 = 64 MiB); larger ones are "
                + "refused as oversize.",
            allowed: "\(maxMessageBytesRange.lowerBound) to \(maxMessageBytesRange.upperBound)",
            default: String(Default.maxMessageBytes)),
    ]

    // MARK: Unknown keys

    /// A key the file sets that is not in the registry it was checked against.
    public struct UnknownKey: Sendable, Equatable, CustomStringConvertible {
        /// The file's path.
        public var path: String
        /// The key as written.
        public var key: String
        /// The line it is on (nil for a key set in memory).
        public var line: Int?
        /// The known key nearest to it by edit distance, when one is near enough to be a likely misspelling.
        public var suggestion: String?

        /// `PATH line 7: unknown key "model.clases" (did you mean "model.classes"?)`.
        public var description: String {
            let place = line.map { " line \($0)" } ?? ""
            let hint =
                suggestion.map { " (did you mean \"\($0)\"?)" }
                ?? " (not a key Growda reads; `growda federation init` writes every key, documented)"
            return "\(path)\(place): unknown key \"\(key)\"\(hint)"
        }
    }

    /// The keys the file sets that are not in `known`, in file order, each with its line and the nearest
    /// known key.
    ///
    /// The parser itself accepts any well-formed key, so tools that read only some keys (`node add` reads
    /// the endpoints) can still load the file; whoever knows every key Growda reads checks with this.
    public func unknownKeys(known: [String]) -> [UnknownKey] {
        let knownSet = Set(known)
        return keys.filter { !knownSet.contains($0) }.map { key in
            UnknownKey(path: path, key: key, line: line(of: key), suggestion: Self.nearest(to: key, among: known))
        }
    }

    /// The key in `candidates` nearest to `key` by edit distance (insertions, deletions, substitutions and
    /// swaps of neighbours each count 1), if it is at most 3 edits and under half of `key`'s length away;
    /// the first such key on a tie.
    static func nearest(to key: String, among candidates: [String]) -> String? {
        let limit = min(3, (key.count - 1) / 2)
        var best: (key: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(key, candidate)
            if distance <= limit, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.key
    }

    /// The optimal-string-alignment distance between `a` and `b`: the fewest insertions, deletions,
    /// substitutions and transpositions of adjacent characters that turn one into the other.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        // d[i][j]: distance between a's first i and b's first j characters; three rows are enough.
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
