/// The best version by the server-side evaluation metric, kept beside the latest: its checkpoint is never
/// pruned, however many versions follow (`eval.keep_best`).
public struct BestVersion: Sendable, Equatable {
    /// The version.
    public var version: UInt64
    /// The metric it is best by: `auc` or `accuracy`.
    public var metric: String
    /// Its value of that metric.
    public var value: Double

    /// Makes a best-version record.
    public init(version: UInt64, metric: String, value: Double) {
        self.version = version
        self.metric = metric
        self.value = value
    }
}
