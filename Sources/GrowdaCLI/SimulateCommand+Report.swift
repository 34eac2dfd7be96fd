import Foundation

extension SimulateCommand {
    /// The run's report (JSON keys are stable).
    struct Report: Codable {
        struct Version: Codable {
            var version: UInt64
            var seconds: Double
            var accuracy: Double?
            var auc: Double?
            var updates: Int
            var mean_staleness: Double?
            /// With a privacy policy: the largest ε any hospital had spent when the version was made.
            var epsilon: Double?
            /// The bytes of every update the hospitals had uploaded when the version was made (sampled by the
            /// run's progress loop every 0.25 s).
            var uploaded_bytes: Int = 0
        }
        var mode: String
        var model: String
        var hospitals: Int
        var wall_seconds: Double
        var versions: [Version]
        var accepted: Int
        var rejected: [String: Int]
        var queue_dropped: Int
        var staleness_p50: Double?
        var staleness_p95: Double?
        var staleness_max: Int?
        var bytes_received: Int
        /// The codec the hospitals compressed their updates with (wire.codec).
        var codec: String = "none"
        /// Per hospital: the update messages the aggregator received from it and their bytes on the wire.
        var uploads: [String: Upload] = [:]
        /// Resident memory of the process running the aggregator (this one), at the end and at most.
        var aggregator_resident_bytes: Int
        var aggregator_peak_resident_bytes: Int
        /// What the hospitals held: "synthetic …" or the --data folder or file, and the evaluation set's size
        /// (images or beats, as `sample_kind` says).
        var data: String
        var eval_images: Int
        /// "images" or "beats" (nil: images).
        var sample_kind: String? = nil
        /// Where the evaluation set came from (e.g. "held out of --data: 4 whole records").
        var eval_source: String? = nil
        /// Signal CSVs naming records: records in the evaluation set and at each hospital.
        var eval_records: Int? = nil
        var hospital_records: [Int]? = nil
        /// The centralized reference (nil when none was run).
        var reference: Reference?
        var seconds_to_target_auc: Double?
        var target_auc: Double
        /// The version with the highest evaluation AUC, and its figures and time.
        var best_version: UInt64?
        var best_accuracy: Double?
        var best_auc: Double?
        var best_seconds: Double?
        var final_accuracy: Double?
        var final_auc: Double?
        var final_model: String
        var node_exits: [String: Int32]
        /// With a privacy policy: the policy and each hospital's ε at the end (its ledger).
        var privacy: PrivacyReport?
        /// The buffer rule, the hostile hospital and each hospital's suspect updates (nil in older reports).
        var robust: Robustness? = nil
    }

    /// How the run defended against a hostile hospital, and what it caught.
    struct Robustness: Codable {
        /// fedbuff.robust, clip_norm and fedbuff.max_share as set.
        var rule: String, clip_norm: String, max_share: String
        /// "hospital-01: scale=-10", or nil when every hospital was honest.
        var hostile: String?
        /// Per hospital: updates clipped, outliers, held back over their share.
        var suspects: [String: Suspects]
        /// The bytes the aggregator's buffer held at the end.
        var buffer_bytes: Int?
    }

    /// One hospital's suspect updates.
    struct Suspects: Codable {
        var clipped: Int, outliers: Int, over_share: Int
    }

    /// What one hospital uploaded.
    struct Upload: Codable {
        var updates: Int
        var bytes: Int
        /// Bytes per update message (nil before the first).
        var bytes_per_update: Double?

        init(updates: Int, bytes: Int) {
            self.updates = updates
            self.bytes = bytes
            bytes_per_update = updates > 0 ? Double(bytes) / Double(updates) : nil
        }
    }

    /// The privacy a run spent.
    struct PrivacyReport: Codable {
        var dp_clip: Double?, dp_noise: Double?, update_clip: Double?, update_noise: Double?
        var delta: Double
        var max_epsilon: Double?
        /// Each hospital's ε (nil: unbounded) and updates counted.
        var epsilon_by_hospital: [String: Double?]
        var updates_by_hospital: [String: Int]
        /// Hospitals that stopped training because their budget was spent.
        var budget_spent: [String]
    }

    /// The report as text: versions, updates, staleness, then what the figures mean.
    static func text(_ r: Report) -> String {
        var lines = [
            "",
            "\(r.mode) federation of \(r.hospitals) hospitals, \(r.model), \(String(format: "%.0f", r.wall_seconds)) s:",
        ]
        let private_ = r.privacy != nil
        lines.append("version  seconds  accuracy  AUC     updates  mean staleness" + (private_ ? "  largest ε" : ""))
        // At most about 25 rows: evenly spaced versions, always the first and the last.
        let stride = max(1, r.versions.count / 24)
        for (i, v) in r.versions.enumerated() where i % stride == 0 || i == r.versions.count - 1 {
            lines.append(
                String(format: "%7d  %7.1f  ", v.version, v.seconds) + "\(fmt(v.accuracy, 4))    \(fmt(v.auc, 4))  "
                    + String(format: "%7d  ", v.updates) + fmt(v.mean_staleness, 2)
                    + (private_ ? "            " + (v.epsilon.map { fmt($0, 3) } ?? "∞") : ""))
        }
        lines.append(
            "updates accepted \(r.accepted); refused \(r.rejected.isEmpty ? "none" : r.rejected.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", "))"
                + "; dropped at the queue \(r.queue_dropped)")
        lines.append(
            "staleness p50 \(fmt(r.staleness_p50, 1)), p95 \(fmt(r.staleness_p95, 1)), max \(r.staleness_max.map(String.init) ?? "n/a")"
        )
        let uploaded = r.uploads.values.reduce((updates: 0, bytes: 0)) { ($0.updates + $1.updates, $0.bytes + $1.bytes) }
        if uploaded.updates > 0 {
            lines.append(
                "uploads (\(r.codec)): \(uploaded.updates) updates, \(mib(uploaded.bytes)), "
                    + String(format: "%.1f KiB", Double(uploaded.bytes) / Double(uploaded.updates) / 1024)
                    + " per update; by hospital "
                    + r.uploads.sorted { $0.key < $1.key }.map { "\($0.key) \(mib($0.value.bytes))" }.joined(separator: ", "))
        }
        lines.append(
            "received \(mib(r.bytes_received)); aggregator process resident \(mib(r.aggregator_resident_bytes)) "
                + "(peak \(mib(r.aggregator_peak_resident_bytes)))")
        lines.append("")
        let kind = r.sample_kind ?? "images"
        lines.append(
            "data: \(r.data) among \(r.hospitals) hospitals"
                + (r.hospital_records.map { " (" + $0.map(String.init).joined(separator: " / ") + " records)" } ?? "")
                + "; every version scored on \(r.eval_images) \(kind)"
                + (r.eval_records.map { " of \($0) records" } ?? "") + " that no hospital trained on"
                + (r.eval_source.map { " (\($0))" } ?? ""))
        if let ref = r.reference {
            lines.append(
                "centralized reference (all \(ref.images) \(kind) in one place, \(ref.epochs) epochs, "
                    + "\(String(format: "%.0f", ref.seconds)) s): accuracy \(fmt(ref.accuracy)), AUC \(fmt(ref.auc)): "
                    + "the ceiling federated training approaches here")
        }
        if let v = r.best_version {
            lines.append(
                "federated, best: v\(v) after \(String(format: "%.0f", r.best_seconds ?? 0)) s, accuracy "
                    + "\(fmt(r.best_accuracy)), AUC \(fmt(r.best_auc))" + Self.gap(r.best_auc, r.reference?.auc))
        }
        lines.append(
            "federated, final: v\(r.versions.last?.version ?? 0), accuracy \(fmt(r.final_accuracy)), AUC "
                + "\(fmt(r.final_auc))" + Self.gap(r.final_auc, r.reference?.auc))
        lines.append(
            "AUC ≥ \(fmt(r.target_auc, 3))\(r.reference?.auc != nil ? " (the reference's − 0.02)" : "") after "
                + (r.seconds_to_target_auc.map { String(format: "%.1f s", $0) } ?? "— (not reached in this run)"))
        if let p = r.privacy { lines.append(PrivacyOptions.text(p)) }
        if let robust = r.robust { lines += Self.text(robust) }
        lines.append("model: \(r.final_model)")
        return lines.joined(separator: "\n")
    }

    /// The robustness lines: the rule, the hostile hospital, and the hospitals with suspect updates.
    static func text(_ r: Robustness) -> [String] {
        var lines = [
            "aggregation: fedbuff.robust \(r.rule), clip_norm \(r.clip_norm), fedbuff.max_share \(r.max_share)"
                + (r.buffer_bytes.map { "; buffer holds \(mib($0))" } ?? "")
                + "; hostile: \(r.hostile ?? "none")"
        ]
        for (name, s) in r.suspects.sorted(by: { $0.key < $1.key }) where s.clipped + s.outliers + s.over_share > 0 {
            lines.append("  \(name): \(s.clipped) clipped, \(s.outliers) outliers, \(s.over_share) held over its share")
        }
        return lines
    }

    /// The AUC whose first crossing the report times: `--target-auc`, else the centralized reference's
    /// AUC less 0.02 (at least 0.5), else 0.9.
    static func target(explicit: Double?, reference: Double?) -> Double {
        explicit ?? reference.map { max(0.5, $0 - 0.02) } ?? 0.9
    }

    /// ` (0.012 below the reference)`, or nothing without both figures.
    static func gap(_ value: Double?, _ reference: Double?) -> String {
        guard let value, let reference else { return "" }
        let d = reference - value
        return d > 0 ? " (\(fmt(d, 3)) below the reference)" : " (at or above the reference)"
    }
}
