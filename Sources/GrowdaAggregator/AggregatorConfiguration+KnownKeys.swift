import GrowdaAggregation
import GrowdaNN
import GrowdaProvisioning
import GrowdaWire

extension AggregatorConfiguration {
    /// Every key Growda reads from `federation.conf`, documented, in the order `growda federation init`
    /// writes them: the aggregator's own (``Key``), the aggregation rule's
    /// (``AggregationConfig/settingDescriptions``) and GrowdaProvisioning's (``FederationConfig/knownKeys``),
    /// grouped by section.
    ///
    /// This is the one registry: `growda federation init` documents exactly these keys, and
    /// ``init(config:federationDirectory:)`` refuses any other. A new setting is added here (or in the
    /// module that reads it, whose list this gathers), or the aggregator will not start with it set.
    public static let knownKeys: [FederationConfig.KnownKey] = {
        let all = FederationConfig.knownKeys + ownKeys + aggregationKeys + privacyKeys + consoleKeys
        return FederationConfig.Section.allCases.flatMap { section in all.filter { $0.section == section } }
    }()

    /// The aggregation rule's keys, as GrowdaAggregation documents them.
    static var aggregationKeys: [FederationConfig.KnownKey] {
        AggregationConfig.settingDescriptions.map {
            FederationConfig.KnownKey(
                $0.key, section: .aggregation, meaning: $0.meaning, allowed: $0.allowed, default: $0.defaultValue)
        }
    }

    /// `small28 (input 1×28×28), …`: the reference models and the input each takes.
    static var modelNames: String {
        ModelSpec.referenceNames.map { name in
            let shape = ModelSpec.reference(name, classes: Default.modelClasses)?.inputShape ?? []
            return "\(name) (input \(shape.map(String.init).joined(separator: "×")))"
        }.joined(separator: ", ")
    }

    /// The keys in ``Key``, documented.
    static var ownKeys: [FederationConfig.KnownKey] {
        typealias Known = FederationConfig.KnownKey
        return [
            Known(
                Key.modelName, section: .model,
                meaning: "The model every hospital trains; used when the state folder is new (a running "
                    + "federation keeps its model).",
                allowed: modelNames, default: Default.modelName),
            Known(
                Key.modelClasses, section: .model,
                meaning: "The class names in label order (label 0 first), comma-separated, e.g. "
                    + "bacterial,normal,viral. Each hospital's data folder holds one sub-folder of PNG images per "
                    + "class, named exactly so (DATA/bacterial/*.png, DATA/normal/*.png, DATA/viral/*.png).",
                allowed: "two or more distinct names, separated by commas",
                default: Default.modelClasses.joined(separator: ",")),
            Known(
                Key.modelSeed, section: .model,
                meaning: "The seed of the initial model's random weights; used when the state folder is new.",
                allowed: "a whole number from 0 to \(UInt64.max)", default: String(Default.modelSeed)),
            Known(
                Key.modelInit, section: .model,
                meaning: "A checkpoint to start from instead of random weights, when the state folder is new "
                    + "(e.g. a model trained centrally with growda train).",
                allowed: "the path of a .safetensors checkpoint of model.name with these classes", default: nil,
                example: "/srv/growda/start.safetensors"),
            Known(
                Key.statusBindHost, section: .network,
                meaning: "Where the operators' status socket (growda status, growda nodes) binds. Status "
                    + "requests are sealed with the admin key; keep it on this machine unless operators query "
                    + "from elsewhere.",
                allowed: "an IPv4 or IPv6 address, or a host name", default: Default.statusHost),
            Known(
                Key.statusPort, section: .network,
                meaning: "Port of the status socket (ROUTER).",
                allowed: "1 to 65535, unlike the node-facing ports", default: String(Default.statusPort)),
            Known(
                Key.wireCodec, section: .network,
                meaning: "How hospitals compress their updates before sealing them, announced to every node in "
                    + "its snapshot replies: fp16 halves an update, int8 quarters it (stochastic rounding, "
                    + "unbiased), topk:F sends the largest fraction F of the values with their indices and keeps "
                    + "the rest for the next update (error feedback), topk-int8:F does both. The aggregator "
                    + "takes every encoding, so nodes may switch at any time. See Protocol.md, \"Compressed "
                    + "updates\".",
                allowed: UpdateCodec.allowed, default: "none"),
            Known(
                Key.maxUpdateNorm, section: .limits,
                meaning: "Updates whose delta has a larger L2 norm are refused (norm_too_large).",
                allowed: "a number > 0", default: plain(Default.maxUpdateNorm)),
            Known(
                Key.lostAfterSeconds, section: .limits,
                meaning: "A node not heard from (updates or heartbeats) for this many seconds is lost: "
                    + "synchronous rounds stop waiting for it and growda status counts it.",
                allowed: "a number of seconds > 0, at most \(plain(lostAfterLimit))",
                default: plain(Default.lostAfterSeconds)),
            Known(
                Key.queueCapacity, section: .limits,
                meaning: "The most updates waiting to be processed; more are dropped and counted (nodes resend "
                    + "them).",
                allowed: "\(queueCapacityRange.lowerBound) to \(queueCapacityRange.upperBound)",
                default: String(Default.queueCapacity)),
            Known(
                Key.queueBytes, section: .limits,
                meaning: "The most bytes of updates waiting to be processed (536870912 = 512 MiB).",
                allowed: "a whole number of bytes ≥ \(minimumBufferBytes) (1 MiB)", default: String(Default.queueBytes)),
            Known(
                Key.admissionBytes, section: .limits,
                meaning: "Admission: the most bytes of updates queued or on their way with leave to send, "
                    + "together (134217728 = 128 MiB); a node asks leave before it sends.",
                allowed: "a whole number of bytes ≥ \(minimumBufferBytes) (1 MiB)",
                default: String(Default.admissionBytes)),
            Known(
                Key.stateDir, section: .folders,
                meaning: "The aggregator's state folder (SQLite, checkpoints, pending updates); a relative path "
                    + "is inside the federation folder. growda serve --state overrides it.",
                allowed: "a folder path", default: Default.stateDir),
            Known(
                Key.evalDir, section: .folders,
                meaning: "A labelled folder (one sub-folder per class), or for a signal model such as ecg187 a "
                    + "signal CSV, to evaluate each new version on; its accuracy and AUC go into the history and "
                    + "growda status. growda serve --eval overrides it.",
                allowed: "a folder path, or a .csv file", default: nil, example: "/srv/growda/eval"),
            Known(
                Key.evalMetric, section: .evaluation,
                meaning: "With evaluation (eval.dir or growda serve --eval): the metric that ranks versions, for "
                    + "the best version and stop.plateau. auc is the macro one-vs-rest AUC (undefined when the "
                    + "evaluation set lacks a class); accuracy the fraction classified correctly.",
                allowed: EvalMetric.allCases.map(\.rawValue).joined(separator: " or "),
                default: Default.evalMetric.rawValue),
            Known(
                Key.evalKeepBest, section: .evaluation,
                meaning: "With evaluation: keep the best version by eval.metric beside the latest. It is recorded "
                    + "in the state folder, its checkpoint is never pruned, growda status shows it and how many "
                    + "versions followed without improvement, growda model export --best writes it, and nodes "
                    + "run with --diagnose-with best receive it.",
                allowed: "true or false", default: String(Default.evalKeepBest)),
            Known(
                Key.stopMaxVersions, section: .evaluation,
                meaning: "Stop making versions once this version is made. The aggregator keeps running: it answers "
                    + "nodes with the final model, refuses later updates as stopped (acknowledged, so nodes do "
                    + "not resend them) and growda status says why it stopped. 0: never.",
                allowed: "a whole number ≥ 0", default: "0"),
            Known(
                Key.stopPlateau, section: .evaluation,
                meaning: "Stop making versions once this many evaluated versions have followed the best version "
                    + "without beating it on eval.metric; then as stop.max_versions. Needs evaluation (eval.dir or "
                    + "growda serve --eval) and eval.keep_best = true. 0: never.",
                allowed: "a whole number ≥ 0", default: "0"),
        ]
    }

    /// `x` as a config file writes it: without a fraction when it is whole.
    static func plain(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}
