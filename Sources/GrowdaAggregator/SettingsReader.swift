import GrowdaAggregation
import GrowdaProvisioning

/// Reads typed values from a `federation.conf` and notes every problem, each as a line naming the file,
/// the line and the key, going on with the default so that one pass finds them all.
struct SettingsReader {
    /// The file being read.
    let config: FederationConfig
    /// Every key Growda reads, with what each allows (named in problems).
    let registry: [FederationConfig.KnownKey]
    /// The problems found so far, each with the line it is about (nil for none).
    private var found: [(line: Int?, text: String)] = []

    /// The problems found so far, in file order (those about no line last).
    var problems: [String] {
        found.enumerated().sorted { a, b in
            (a.element.line ?? .max, a.offset) < (b.element.line ?? .max, b.offset)
        }.map(\.element.text)
    }

    init(config: FederationConfig, registry: [FederationConfig.KnownKey]) {
        self.config = config
        self.registry = registry
    }

    /// Notes each key the file sets that is not in the registry, with the nearest known key.
    mutating func checkKeysAreKnown() {
        found += config.unknownKeys(known: registry.map(\.name)).map { ($0.line, $0.description) }
    }

    /// Notes `PATH line N: KEY REASON`.
    mutating func fail(_ key: String, _ reason: String) {
        note(config.line(of: key), "\(key) \(reason)")
    }

    /// Notes that `key`'s value is not one the key allows, naming what it allows.
    mutating func invalid(_ key: String) {
        let allowed = registry.first { $0.name == key }?.allowed ?? "see `growda federation init`"
        fail(key, "= \(config[key] ?? "") is not valid; allowed: \(allowed)")
    }

    /// The number `key` holds, or `fallback` when the file does not set it; a value that does not parse or
    /// fails `isAllowed` is noted and gives `fallback`.
    mutating func number<T: LosslessStringConvertible>(
        _ key: String, _ fallback: T, isAllowed: (T) -> Bool
    ) -> T {
        guard let text = config[key] else { return fallback }
        guard let value = T(text), isAllowed(value) else {
            invalid(key)
            return fallback
        }
        return value
    }

    /// The path `key` holds, nil when the file does not set it; an empty value is noted.
    mutating func path(_ key: String) -> String? {
        guard let value = config[key] else { return nil }
        if value.isEmpty {
            fail(key, "is empty; give a path, or comment the line out (# \(key) = …) to leave it unset")
            return nil
        }
        return value
    }

    /// What `body` (a typed getter of ``FederationConfig``) returns, or `fallback` with its error noted.
    mutating func read<T>(_ fallback: T, _ body: () throws(ProvisioningError) -> T) -> T {
        do throws(ProvisioningError) {
            return try body()
        } catch .configInvalid(_, let line, let key, let reason) {
            note(line, "\(key) \(reason)")
        } catch {
            found.append((nil, error.description))
        }
        return fallback
    }

    /// The aggregation rule the file's aggregation keys give. Each key is first checked alone (so every bad
    /// value is named, not just the first), then all together; on a problem, the defaults.
    mutating func aggregation() -> AggregationConfig {
        let keys = config.keys.filter(AggregationConfig.settingKeys.contains)
        let settings = Dictionary(uniqueKeysWithValues: keys.map { ($0, config[$0]!) })
        let before = found.count
        for key in keys {
            do throws(AggregationConfigError) {
                _ = try AggregationConfig(settings: [key: settings[key]!])
            } catch {
                note(config.line(of: key), "\(error)")
            }
        }
        guard found.count == before else { return AggregationConfig() }
        do throws(AggregationConfigError) {
            return try AggregationConfig(settings: settings)
        } catch {
            note(config.line(of: error.key), "\(error)")
            return AggregationConfig()
        }
    }

    /// Notes `PATH line N: TEXT` (`PATH: TEXT` without a line).
    private mutating func note(_ line: Int?, _ text: String) {
        found.append((line, config.path + (line.map { " line \($0)" } ?? "") + ": " + text))
    }
}
