import ArgumentParser
import Dispatch
import Foundation
import GrowdaAggregation
import GrowdaAggregator
import GrowdaData
import GrowdaNN
import GrowdaNode
import GrowdaProvisioning
import GrowdaStore
import GrowdaTensor
import GrowdaTransport
import GrowdaWire
import Logging

/// `growda simulate`: a whole federation on this machine, with real processes and faults.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a whole local federation: an aggregator and N real growda-node processes over tcp on 127.0.0.1.",
        discussion: """
            Provisions a throw-away federation (or keeps it in --out), splits --data among the hospitals \
            (synthetic chest X-rays when --data is not given; for ecg187 a signal CSV split by record, \
            synthetic ECG records without it), starts the aggregator and one growda-node \
            process per hospital, injects the faults asked for, shows live progress, and ends with a \
            report: accuracy and AUC per version against wall time, updates accepted and refused by \
            reason, staleness, bytes received, and the final model's path. Beside the federation's \
            figures it shows a centralized reference: the same model trained on all the hospitals' samples \
            in one place (--reference-epochs; on by default for synthetic data), scored on the same \
            evaluation set: the ceiling federated training approaches on this data.
            """)

    @Option(
        help: """
            PNG or DICOM images to split among hospitals, DIR/<class>/ (default: synthetic chest X-rays); for ecg187 \
            a signal CSV (record column, or X_beats.csv beside it), split by record (default: synthetic beats).
            """)
    var data: String?

    @Option(
        help: ArgumentHelp(
            "ecg187: the side file naming each row's record (row,record columns), if not --data's X_beats.csv.",
            valueName: "file"))
    var records: String?

    @Option(help: "Model: \(ModelSpec.referenceNames.joined(separator: ", ")).")
    var model = "small28"

    @Option(parsing: .unconditional, help: "Number of hospitals.")
    var hospitals = 4

    @Flag(help: "Split the data evenly (same class mix everywhere).")
    var iid = false

    @Option(parsing: .unconditional, help: "Dirichlet label skew, e.g. 0.5 (smaller: more skew, unequal sizes).")
    var alpha: Double?

    @Option(help: "Aggregation: async (FedBuff) or sync (FedAvg rounds).")
    var mode = "async"

    @Option(parsing: .unconditional, help: "Stop after this many seconds.")
    var duration: Double?

    @Option(parsing: .unconditional, help: "Stop once this many new versions exist.")
    var versions: Int?

    @Option(parsing: .unconditional, help: "How many hospitals run slowly.")
    var stragglers = 0

    @Option(parsing: .unconditional, help: "How much slower the stragglers are (e.g. 4).")
    var slowdown: Double = 4

    @Option(help: ArgumentHelp("Kill COUNT hospitals with SIGKILL at SEC seconds.", valueName: "sec:count"))
    var dropAfter: String?

    @Option(help: ArgumentHelp("Start COUNT hospitals only at SEC seconds.", valueName: "sec:count"))
    var lateJoin: String?

    @Option(
        help:
            "A labelled folder (ecg187: a signal CSV) the aggregator evaluates each version on (default: synthetic with synthetic data; ecg187: 20% of --data's records held out)."
    )
    var eval: String?

    @Option(
        help:
            "Keep the run here: DIR/federation (as `growda federation init` makes it), DIR/report.json, the final model."
    )
    var out: String?

    @Option(parsing: .unconditional, help: "Local epochs per update.")
    var epochs = 1

    @Option(parsing: .unconditional, help: "Local batch size.")
    var batch = 32

    @Option(parsing: .unconditional, help: "Local learning rate.")
    var lr: Float = 1e-3

    @Option(help: "Local optimizer of every hospital: adam or sgd (momentum 0.9; DP-SGD learns better with it).")
    var optimizer = "adam"

    @Flag(help: "Every hospital weights classes by inverse local frequency (growda-node run --class-weights).")
    var classWeights = false

    @Option(parsing: .unconditional, help: "Local weight decay of every hospital (growda-node run --weight-decay).")
    var weightDecay: Float = NodeConfiguration.defaultWeightDecay

    @Flag(help: "Augment every hospital's local samples while training (growda-node run --augment).")
    var augment = false

    @Option(parsing: .unconditional, help: "Label smoothing of every hospital's local loss (growda-node run --label-smoothing).")
    var labelSmoothing: Float = 0

    @Option(parsing: .unconditional, help: "The aggregator's server learning rate (federation.conf server.lr).")
    var serverLr: Double = AggregationConfig.defaultServerLearningRate

    @Option(parsing: .unconditional, help: "FedBuff buffer size K (default: min(4, hospitals)).")
    var k: Int?

    @Option(help: "FedBuff's buffer rule (federation.conf fedbuff.robust): none, trimmed_mean:B or median.")
    var robust = "none"

    @Option(help: "Norm clipping (federation.conf clip_norm): none, C, or adaptive:Q[:W].")
    var clipNorm = "none"

    @Option(help: "The largest share of one buffer a hospital may send (federation.conf fedbuff.max_share), or none.")
    var maxShare = "none"

    @Option(
        help: ArgumentHelp(
            "Make hospital I (1-based) hostile: scale=F (sends F times its delta), random (noise of its delta's norm) or label-flip.",
            valueName: "i:behaviour"))
    var hostile: String?

    @Option(parsing: .unconditional, help: "Synthetic images per class when --data is not given.")
    var synthPerClass = 300

    @Option(parsing: .unconditional, help: "ecg187 without --data: synthetic ECG records (patients) for the hospitals.")
    var synthRecords = 20

    @Option(parsing: .unconditional, help: "ecg187 without --data: beats per synthetic record.")
    var synthBeats = 150

    @Option(
        parsing: .unconditional,
        help: "Record the first time the evaluation AUC reaches this (default: the centralized reference's AUC − 0.02, or 0.9 without one).")
    var targetAuc: Double?

    @Option(
        parsing: .unconditional,
        help: "Epochs of the centralized reference run after the federation; 0: none (default: 20 for synthetic data, 0 with --data).")
    var referenceEpochs: Int?

    @Option(
        help: ArgumentHelp(
            "How hospitals compress their updates (federation.conf wire.codec): \(UpdateCodec.allowed).",
            valueName: "codec"))
    var codec = "none"

    @Option(parsing: .unconditional, help: "Seed for the split and the hospitals.")
    var seed: UInt64 = 1

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @OptionGroup(title: "Privacy (written to federation.conf's privacy.* keys)")
    var privacy: PrivacyOptions

    func validate() throws {
        guard hospitals >= 1 && hospitals <= 200 else { throw ValidationError("--hospitals must be in 1…200") }
        guard ModelSpec.referenceNames.contains(model) else {
            throw ValidationError("--model must be one of \(ModelSpec.referenceNames.joined(separator: ", "))")
        }
        guard iid != (alpha != nil) else { throw ValidationError("give exactly one of --iid and --alpha A") }
        if let alpha, !(alpha > 0) { throw ValidationError("--alpha must be positive") }
        guard mode == "async" || mode == "sync" else { throw ValidationError("--mode must be async or sync") }
        guard (duration != nil) != (versions != nil) else {
            throw ValidationError("give exactly one of --duration SEC and --versions V")
        }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
        if let versions, versions < 1 { throw ValidationError("--versions must be at least 1") }
        guard UpdateCodec(codec) != nil else {
            throw ValidationError("--codec takes \(UpdateCodec.allowed), got '\(codec)'")
        }
        guard stragglers >= 0 && stragglers <= hospitals else {
            throw ValidationError("--stragglers must be in 0…--hospitals")
        }
        guard slowdown >= 1 else { throw ValidationError("--slowdown must be at least 1") }
        _ = try Fault.parse(dropAfter, flag: "--drop-after", hospitals: hospitals)
        _ = try Fault.parse(lateJoin, flag: "--late-join", hospitals: hospitals)
        if let k, k < 1 { throw ValidationError("--k must be at least 1") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard ["adam", "sgd"].contains(optimizer) else { throw ValidationError("--optimizer must be adam or sgd") }
        guard weightDecay >= 0, weightDecay < 1 else { throw ValidationError("--weight-decay must be in [0, 1)") }
        guard labelSmoothing >= 0, labelSmoothing < 0.5 else {
            throw ValidationError("--label-smoothing must be in [0, 0.5)")
        }
        guard serverLr > 0, serverLr.isFinite else { throw ValidationError("--server-lr must be a positive number") }
        guard synthPerClass >= 1 else { throw ValidationError("--synth-per-class must be at least 1") }
        if signals && data == nil && synthRecords < hospitals {
            throw ValidationError("--synth-records must be at least --hospitals (a record goes to one hospital whole)")
        }
        guard synthBeats >= 1 else { throw ValidationError("--synth-beats must be at least 1") }
        if records != nil && !signals {
            throw ValidationError(
                "--records names the records of a signal CSV; it needs --model ecg187 and --data FILE.csv")
        }
        if signals, let data, !data.hasSuffix(".csv") {
            throw ValidationError("--model \(model) takes signals: give --data a .csv file, not \(data)")
        }
        if signals, let eval, !eval.hasSuffix(".csv") {
            throw ValidationError("--model \(model) takes signals: give --eval a .csv file, not \(eval)")
        }
        if let targetAuc, !(targetAuc > 0 && targetAuc <= 1) {
            throw ValidationError("--target-auc must be greater than 0 and at most 1")
        }
        if let referenceEpochs, !(0...1000).contains(referenceEpochs) {
            throw ValidationError("--reference-epochs must be in 0…1000")
        }
        try privacy.check()
        _ = try hostileNode()
        do {
            _ = try AggregationConfig(settings: aggregationSettings)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The federation.conf aggregation keys the run sets.
    var aggregationSettings: [String: String] {
        [
            "mode": mode, "fedbuff.k": String(k ?? min(4, hospitals)), "sync.deadline_seconds": "60",
            "server.lr": String(serverLr), "fedbuff.robust": robust, "clip_norm": clipNorm,
            "fedbuff.max_share": maxShare,
        ]
    }

    /// `--hostile` read: the hostile hospital's index (0-based) and behaviour; nil without the option.
    func hostileNode() throws -> (index: Int, behaviour: HostileBehaviour)? {
        guard let hostile else { return nil }
        let parts = hostile.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let i = Int(parts[0]), (1...hospitals).contains(i),
            let behaviour = HostileBehaviour(String(parts[1]))
        else {
            throw ValidationError(
                "--hostile takes I:BEHAVIOUR with I in 1…\(hospitals) and BEHAVIOUR \(HostileBehaviour.allowed), "
                    + "got '\(hostile)'")
        }
        return (i - 1, behaviour)
    }

    /// Whether the model takes signals (a CSV) rather than images.
    var signals: Bool { ModelSpec.reference(model, classes: ["?"])?.inputShape.count == 2 }

    /// A timed fault: at `seconds`, `count` hospitals.
    struct Fault {
        var seconds: Double
        var count: Int

        static func parse(_ text: String?, flag: String, hospitals: Int) throws -> Fault? {
            guard let text else { return nil }
            let parts = text.split(separator: ":")
            guard parts.count == 2, let s = Double(parts[0]), s >= 0, let c = Int(parts[1]), c >= 1, c <= hospitals
            else {
                throw ValidationError("\(flag) takes SEC:COUNT with COUNT in 1…\(hospitals), got '\(text)'")
            }
            return Fault(seconds: s, count: c)
        }
    }

    /// The side of the synthetic images for an image `model`: its input's height (nil for a signal model, whose
    /// synthetic data are ECG records).
    var syntheticSide: Int? {
        guard let shape = ModelSpec.reference(model, classes: ["a"])?.inputShape, shape.count == 3 else { return nil }
        return shape[1]
    }

    func run() async throws {
        let start = Date()
        let keep = out != nil
        let root = URL(
            fileURLWithPath: out
                ?? FileManager.default.temporaryDirectory
                .appendingPathComponent("growda-sim-\(UUID().uuidString)").path
        ).standardizedFileURL.path
        if keep, let existing = try? FileManager.default.contentsOfDirectory(atPath: root), !existing.isEmpty {
            throw CLIError("\(root) is not empty; give --out a new or empty folder (or remove it)")
        }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(atPath: root) } }
        let say: (String) -> Void = { message in if !json { Terminal.note(message) } }

        // 1. Data: split among hospitals (synthetic when none is given), and the evaluation set.
        let names = (1...hospitals).map { String(format: "hospital-%02d", $0) }
        let prepared =
            signals
            ? try prepareSignals(root: root, names: names, say: say)
            : try prepareImages(root: root, names: names, say: say)

        // 2. The federation: keys, config with free ports and the run's settings, one bundle per hospital.
        let fedDir = root + "/federation"
        typealias Key = AggregatorConfiguration.Key
        var settings: [Federation.LocalSetting] =
            [.init(Key.modelSeed, String(seed))]
            + aggregationSettings.sorted { $0.key < $1.key }.map { .init($0.key, $0.value) }
            + [.init(Key.lostAfterSeconds, "10"), .init(Key.wireCodec, codec)]
        let hostileNode = try hostileNode()
        if let evalPath = prepared.evalPath {
            settings.append(.init(Key.evalDir, URL(fileURLWithPath: evalPath).standardizedFileURL.path))
        }
        settings += privacy.settings
        let federation = try Federation.createLocal(
            directory: fedDir, model: model, classes: prepared.classNames, settings: settings, nodes: names,
            bundles: root + "/bundles"
        ).federation

        // 3. The aggregator, in this process.
        let logger = Logger(label: "growda-simulate")
        var aggConfig = try AggregatorConfiguration(federation: federation)
        aggConfig.statePath = fedDir + "/state"
        let aggregator = try Aggregator(configuration: aggConfig, logger: quietLogger())
        let aggregatorDone = DispatchSemaphore(value: 0)
        let aggregatorThread = Thread {
            do { try aggregator.run() } catch { logger.error("aggregator failed", metadata: ["error": "\(error)"]) }
            aggregatorDone.signal()
        }
        aggregatorThread.start()

        // 4. The hospitals, as real processes.
        let nodeBinary = try Self.nodeExecutable()
        let late = try Fault.parse(lateJoin, flag: "--late-join", hospitals: hospitals)
        let drop = try Fault.parse(dropAfter, flag: "--drop-after", hospitals: hospitals)
        let lateSet = Set(names.suffix(late?.count ?? 0))
        let slowSet = Set(names.prefix(stragglers))
        var processes: [String: Process] = [:]
        try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
        func launch(_ name: String, index: Int) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: nodeBinary)
            var arguments = [
                "run", "--bundle", "\(root)/bundles/\(name).bundle", "--data", prepared.hospitalPaths[index],
                "--state", "\(root)/nodes/\(name)", "--epochs", String(epochs), "--batch", String(batch),
                "--lr", String(lr), "--optimizer", optimizer, "--weight-decay", String(weightDecay), "--seed", String(seed &+ UInt64(index)), "--heartbeat", "1", "--resend-after", "5",
                "--log-level", "notice",
            ]
            if slowSet.contains(name) { arguments += ["--slowdown", String(slowdown)] }
            if let hostileNode, hostileNode.index == index { arguments += ["--hostile", "\(hostileNode.behaviour)"] }
            if augment { arguments.append("--augment") }
            if labelSmoothing > 0 { arguments += ["--label-smoothing", String(labelSmoothing)] }
            if classWeights { arguments.append("--class-weights") }
            // Synchronous rounds need no node flag: the aggregator announces its mode in snapshot replies.
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["OPENBLAS_NUM_THREADS"] = "1"
            process.environment = environment
            let log = "\(root)/logs/\(name).log"
            guard FileManager.default.createFile(atPath: log, contents: nil) else {
                throw CLIError("cannot create the log file \(log)")
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            processes[name] = process
        }
        for (i, name) in names.enumerated() where !lateSet.contains(name) { try launch(name, index: i) }
        say(
            "started the aggregator and \(processes.count) hospital(s)"
                + (stragglers > 0 ? "; \(stragglers) straggler(s) \(slowdown)× slower" : "")
                + (late.map { "; \($0.count) join at \($0.seconds) s" } ?? "")
                + (drop.map { "; \($0.count) killed at \($0.seconds) s" } ?? ""))

        // 5. Watch, inject faults, stop at the limit.
        let progress = Terminal.ProgressLine(enabled: !json, steps: true)
        var lateStarted = false, dropped = false
        var peakResident = 0
        var baseVersion: UInt64 = 0
        var elapsed = 0.0
        var uploads: [(at: Date, bytes: Int)] = []  // the hospitals' update bytes received so far, over time
        while true {
            try await Task.sleep(for: .milliseconds(250))
            elapsed = Date().timeIntervalSince(start)
            if let late, !lateStarted, elapsed >= late.seconds {
                lateStarted = true
                for (i, name) in names.enumerated() where lateSet.contains(name) { try launch(name, index: i) }
                progress.finish()
                say("\(String(format: "%.0f", elapsed)) s: \(late.count) late hospital(s) joined")
            }
            if let drop, !dropped, elapsed >= drop.seconds {
                dropped = true
                let victims = names.filter { processes[$0]?.isRunning == true && !slowSet.contains($0) }.suffix(
                    drop.count)
                for name in victims { kill(processes[name]!.processIdentifier, SIGKILL) }
                progress.finish()
                say("\(String(format: "%.0f", elapsed)) s: killed \(victims.joined(separator: ", ")) with SIGKILL")
            }
            guard let status = aggregator.status() else { continue }
            peakResident = max(peakResident, status.resident_bytes)
            uploads.append((Date(), status.nodes.reduce(0) { $0 + ($1.update_bytes ?? 0) }))
            if baseVersion == 0 && elapsed < 1 { baseVersion = 0 }
            let alive = status.nodes.filter { $0.state.isAlive }.count
            progress.update(
                fraction: duration.map { elapsed / $0 } ?? Double(status.version) / Double(versions ?? 1),
                "\(String(format: "%5.1f", elapsed)) s  version \(status.version)  \(accuracyText(aggConfig.statePath))"
                    + "  \(String(format: "%.1f", status.accepted_per_second_last_minute)) updates/s  \(alive)/\(hospitals) alive"
            )
            if let duration, elapsed >= duration { break }
            if let versions, status.version >= UInt64(versions) { break }
            if processes.values.allSatisfy({ !$0.isRunning }) && (late == nil || lateStarted) {
                progress.finish()
                say("every hospital has stopped; ending the run")
                break
            }
        }
        progress.finish()

        // 6. Stop everything gracefully, then report.
        for process in processes.values where process.isRunning { process.terminate() }
        for process in processes.values { process.waitUntilExit() }
        let finalStatus = aggregator.status()
        aggregator.stop()
        aggregatorDone.wait()

        let reader = try StateReader(folder: aggConfig.statePath)
        let history = try reader.history()
        try reader.close()
        let created0 = history.first?.createdAt ?? start
        let policy = aggConfig.privacy
        let ledgers = policy == nil ? [:] : try PrivacyOptions.ledgers(names.map { (name: $0, state: "\(root)/nodes/\($0)") })
        let timelines = try policy.map { try PrivacyOptions.timelines(ledgers, delta: $0.delta) } ?? [:]
        let versionsOut = history.map { entry in
            Report.Version(
                version: entry.version, seconds: entry.createdAt.timeIntervalSince(created0),
                accuracy: entry.evaluation?.accuracy,
                auc: entry.evaluation?.auc, updates: entry.updatesFolded, mean_staleness: entry.meanStaleness,
                epsilon: policy == nil ? nil : PrivacyOptions.largestEpsilon(timelines, before: entry.createdAt),
                uploaded_bytes: uploads.last { $0.at <= entry.createdAt }?.bytes ?? 0)
        }
        let privacyReport = try policy.map { p in
            try PrivacyOptions.report(p, ledgers: ledgers, states: names.map { (name: $0, state: "\(root)/nodes/\($0)") })
        }
        let finalModel = root + "/final-\(model).safetensors"
        if let last = history.last, let checkpoint = last.checkpoint {
            try? FileManager.default.removeItem(atPath: finalModel)
            try FileManager.default.copyItem(atPath: aggConfig.statePath + "/" + checkpoint, toPath: finalModel)
        }
        // 7. The centralized reference: the same samples in one place, scored on the same evaluation set.
        let synthetic = data == nil
        var reference: Reference?
        let referenceRuns = referenceEpochs ?? (synthetic ? 20 : 0)
        if let evalPath = prepared.evalPath, referenceRuns > 0 {
            let line = Terminal.ProgressLine(enabled: !json)
            reference = try Self.centralizedReference(
                model: model, train: prepared.trainSet.map { .loaded($0) } ?? .path(prepared.trainPath),
                eval: evalPath, epochs: referenceRuns, batch: batch,
                optimizer: optimizer == "sgd"
                    ? .sgd(learningRate: lr, momentum: 0.9, weightDecay: weightDecay)
                    : .adam(learningRate: lr, weightDecay: weightDecay),
                augment: augment, labelSmoothing: labelSmoothing, seed: seed, progress: { line.update(fraction: 0, $0) })
            line.finish()
        }
        let target = Self.target(explicit: targetAuc, reference: reference?.auc)
        let best = versionsOut.filter { $0.auc != nil }.max { ($0.auc!, $1.version) < ($1.auc!, $0.version) }
        let report = Report(
            mode: mode, model: model, hospitals: hospitals, wall_seconds: elapsed, versions: versionsOut,
            accepted: finalStatus?.accepted ?? 0, rejected: (finalStatus?.refused ?? [:]).filter { $0.value > 0 },
            queue_dropped: finalStatus?.queue_dropped ?? 0, staleness_p50: finalStatus?.staleness_p50,
            staleness_p95: finalStatus?.staleness_p95, staleness_max: finalStatus?.staleness_max,
            bytes_received: finalStatus?.bytes_received ?? 0,
            codec: UpdateCodec(codec)?.description ?? codec,
            uploads: Dictionary(uniqueKeysWithValues: (finalStatus?.nodes ?? []).map { node in
                (node.name, Upload(updates: node.updates_received ?? 0, bytes: node.update_bytes ?? 0))
            }),
            aggregator_resident_bytes: finalStatus?.resident_bytes ?? 0, aggregator_peak_resident_bytes: peakResident,
            data: prepared.description, eval_images: prepared.evalCount, sample_kind: prepared.sampleKind,
            eval_source: prepared.evalSource, eval_records: prepared.evalRecords,
            hospital_records: prepared.hospitalRecords, reference: reference,
            seconds_to_target_auc: versionsOut.first { ($0.auc ?? 0) >= target }?.seconds, target_auc: target,
            best_version: best?.version, best_accuracy: best?.accuracy, best_auc: best?.auc,
            best_seconds: best?.seconds,
            final_accuracy: versionsOut.last?.accuracy, final_auc: versionsOut.last?.auc,
            final_model: keep ? finalModel : "(removed with the temporary folder; use --out to keep it)",
            node_exits: Dictionary(uniqueKeysWithValues: processes.map { ($0.key, $0.value.terminationStatus) }),
            privacy: privacyReport,
            robust: Robustness(
                rule: robust, clip_norm: clipNorm, max_share: maxShare,
                hostile: hostileNode.map { "\(names[$0.index]): \($0.behaviour)" },
                suspects: Dictionary(
                    uniqueKeysWithValues: (finalStatus?.nodes ?? []).map { node in
                        let suspects = Suspects(
                            clipped: node.clipped ?? 0, outliers: node.outliers ?? 0, over_share: node.over_share ?? 0)
                        return (node.name, suspects)
                    }),
                buffer_bytes: finalStatus?.buffer_bytes))
        if keep {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: root + "/report.json"))
        }
        if json { try Terminal.printJSON(report) } else { print(Self.text(report)) }
    }

    private func accuracyText(_ statePath: String) -> String {
        guard let reader = try? StateReader(folder: statePath) else { return "acc  n/a  auc  n/a" }
        defer { try? reader.close() }
        guard let evaluation = (try? reader.history())?.last(where: { $0.evaluation != nil })?.evaluation else {
            return "acc  n/a  auc  n/a"
        }
        return "acc \(fmt(evaluation.accuracy, 3))  auc \(fmt(evaluation.auc, 3))"
    }

    private func quietLogger() -> Logger {
        var logger = Logger(label: "growda-aggregator") { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        logger.logLevel = .warning
        return logger
    }

    /// The growda-node executable beside this one.
    static func nodeExecutable() throws -> String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidates = [
            me.deletingLastPathComponent().appendingPathComponent("growda-node").path,
            Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("growda-node").path,
        ].compactMap { $0 }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw CLIError(
                "cannot find the growda-node executable beside growda (looked in \(candidates.joined(separator: ", "))); "
                    + "build both with `swift build -c release`")
        }
        return found
    }
}

extension String {
    /// Makes the folder this path is in, returning the path.
    func ensuringFolder() throws -> String {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: self).deletingLastPathComponent().path, withIntermediateDirectories: true)
        return self
    }
}
