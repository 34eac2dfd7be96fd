import ArgumentParser
import Foundation
import GrowdaConsole
import GrowdaDesk
import GrowdaFederation
import GrowdaTensor
import Logging
import ServiceLifecycle

/// `growda-node`: the agent a hospital runs beside its image folder.
public struct GrowdaNodeCommand: AsyncParsableCommand {
    /// The command's name, abstract and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "growda-node",
        abstract: "The Growda hospital agent: trains the shared model on local images; only sealed updates leave.",
        version: growdaVersion,
        subcommands: [Run.self, Status.self]
    )

    /// Creates the root command (argument parsing fills it in).
    public init() {}
}

extension GrowdaNodeCommand {
    /// `growda-node run`.
    public struct Run: AsyncParsableCommand {
        /// The subcommand's name and help.
        public static let configuration = CommandConfiguration(
            abstract: "Join the federation: fetch the latest model, train locally, send sealed updates, repeat.",
            discussion: """
                Runs until SIGTERM or SIGINT. The state folder keeps the latest verified global model \
                (model.safetensors, usable with `growda predict --model`), the update counter and every \
                update not yet acknowledged, so a restart loses and double-counts nothing. An update \
                not acknowledged in time is sent again after --resend-after seconds, then after twice \
                as long each time up to --resend-max, so a slow link is not flooded with copies. With \
                --diagnose-with best the node also keeps the best version by the aggregator's evaluation \
                metric as diagnose.safetensors (diagnose with that file; training goes on from the latest). \
                When the aggregator has stopped making versions (a stop rule), the node stops training and \
                keeps the final model, asking now and then whether versions resumed.
                """)

        @Option(help: "The node bundle made by `growda node add` (mode 0600).")
        var bundle: String

        @Option(help: "The hospital's labelled PNG or DICOM images, DIR/<class>/*.png or *.dcm (or a .csv of signals).")
        var data: String

        @Option(help: "Folder for the node's state (default: ./growda-node-state).")
        var state: String = "growda-node-state"

        @Option(parsing: .unconditional, help: "Local epochs per update.")
        var epochs = 1

        @Option(parsing: .unconditional, help: "Samples per optimizer step.")
        var batch = 32

        @Option(parsing: .unconditional, help: "Local learning rate.")
        var lr: Float = 1e-3

        @Option(
            parsing: .unconditional,
            help: "Local weight decay (decoupled for adam, L2 for sgd); keeps many rounds on a small shard from overfitting.")
        var weightDecay: Float = NodeConfiguration.defaultWeightDecay

        @Option(help: "Local optimizer: adam or sgd.")
        var optimizer: String = "adam"

        @Flag(help: "Augment local samples while training (images: warp and brightness; ECG beats: shift, gain, wander, noise).")
        var augment = false

        @Option(parsing: .unconditional, help: "Label smoothing ε in [0, 0.5) of the local loss.")
        var labelSmoothing: Float = 0

        @Flag(help: "Weight classes by inverse local frequency.")
        var classWeights = false

        @Option(parsing: .unconditional, help: "Seconds between heartbeats.")
        var heartbeat: Double = 2

        @Option(
            parsing: .unconditional,
            help: """
                Seconds before an unacknowledged update is sent again; each resend doubles the wait, \
                up to --resend-max, and every wait is ±20% at random.
                """)
        var resendAfter: Double = 10

        @Option(
            parsing: .unconditional,
            help: "Longest wait in seconds between resends of one update (default: 8 × --resend-after).")
        var resendMax: Double?

        @Flag(
            help:
                "After each acknowledged update, wait for a newer global model (synchronous rounds); only for an aggregator that does not announce its mode (this release's does)."
        )
        var waitForNewModel = false

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Warn (log and status.json) when the aggregator has not answered for this many seconds: it is down or unreachable, or this bundle's key is not the federation's.",
                valueName: "seconds"))
        var noAnswerWarning: Double = 60

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Report an error (log, status.json, `growda-node status` exit 2) after this many seconds without an answer.",
                valueName: "seconds"))
        var noAnswerError: Double = 300

        @Option(parsing: .unconditional, help: "Straggler simulation: make each training step this many times slower.")
        var slowdown: Double = 1

        @Option(
            help: ArgumentHelp(
                "Hostile simulation, to test robust aggregation: send scale=F times the delta, random noise of its norm, or train on flipped labels (label-flip).",
                valueName: "behaviour"))
        var hostile: String?

        @Option(
            parsing: .unconditional, help: "Stop after this many acknowledged updates (default: run until stopped).")
        var maxUpdates: Int?

        @Option(parsing: .unconditional, help: "Threads for training.")
        var threads = 1

        @Option(parsing: .unconditional, help: "Seed for local shuffling and augmentation.")
        var seed: UInt64 = 1

        @Option(
            help: ArgumentHelp(
                "Which model to keep for diagnosis: latest (model.safetensors) or best, the best version by the aggregator's evaluation metric (also kept, as diagnose.safetensors).",
                valueName: "latest|best"))
        var diagnoseWith: String = "latest"

        @Option(
            parsing: .unconditional,
            help: ArgumentHelp(
                "Serve the diagnosis desk at http://HOST:PORT/ (off unless given): upload X-rays, see the "
                    + "diagnosis and its Grad-CAM heat map; nothing uploaded is kept or sent.",
                valueName: "port"))
        var consolePort: Int?

        @Option(
            help: ArgumentHelp(
                "The address the desk binds; beyond this machine it warns unless --console-tls-certificate and "
                    + "--console-tls-key are given.",
                valueName: "host"))
        var consoleHost = "127.0.0.1"

        @Option(
            help: ArgumentHelp(
                "The desk's token file (mode 0600; default: the bundle's path with .console-token for .bundle, as "
                    + "growda node add writes it).",
                valueName: "file"))
        var consoleToken: String?

        @Option(
            help: ArgumentHelp(
                "A password file made by growda console password: the password opens the desk as the token does.",
                valueName: "file"))
        var consolePassword: String?

        @Option(help: ArgumentHelp("Serve the desk over HTTPS with this PEM certificate chain.", valueName: "file"))
        var consoleTlsCertificate: String?

        @Option(help: ArgumentHelp("The PEM private key of --console-tls-certificate (mode 0600).", valueName: "file"))
        var consoleTlsKey: String?

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "info"

        /// The desk token's default path for `bundle`: NAME.console-token beside NAME.bundle.
        public static func defaultConsoleToken(forBundle bundle: String) -> String {
            (bundle.hasSuffix(".bundle") ? String(bundle.dropLast(".bundle".count)) : bundle) + ".console-token"
        }

        /// Creates the subcommand (argument parsing fills it in).
        public init() {}

        /// Checks the flags before anything runs.
        public func validate() throws {
            guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
            guard lr > 0 else { throw ValidationError("--lr must be positive") }
            guard weightDecay >= 0, weightDecay < 1 else { throw ValidationError("--weight-decay must be in [0, 1)") }
            guard labelSmoothing >= 0, labelSmoothing < 0.5 else {
                throw ValidationError("--label-smoothing must be in [0, 0.5)")
            }
            guard ["adam", "sgd"].contains(optimizer) else { throw ValidationError("--optimizer must be adam or sgd") }
            guard heartbeat > 0, resendAfter > 0 else {
                throw ValidationError("--heartbeat and --resend-after must be positive")
            }
            if let resendMax, resendMax < resendAfter {
                throw ValidationError("--resend-max must be at least --resend-after (\(resendAfter))")
            }
            guard noAnswerWarning > 0, noAnswerError >= noAnswerWarning else {
                throw ValidationError(
                    "--no-answer-warning must be greater than 0 and --no-answer-error at least --no-answer-warning "
                        + "(got \(noAnswerWarning) and \(noAnswerError))")
            }
            guard slowdown >= 1 else { throw ValidationError("--slowdown must be at least 1") }
            if let hostile, HostileBehaviour(hostile) == nil {
                throw ValidationError("--hostile must be \(HostileBehaviour.allowed), got '\(hostile)'")
            }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
            if let maxUpdates, maxUpdates < 1 { throw ValidationError("--max-updates must be at least 1") }
            if let problem = ServiceLogging.problem(with: logLevel) { throw ValidationError(problem) }
            if let consolePort, !(1...65535).contains(consolePort) {
                throw ValidationError("--console-port must be a TCP port (1–65535), got \(consolePort)")
            }
            if (consoleTlsCertificate == nil) != (consoleTlsKey == nil) {
                throw ValidationError("--console-tls-certificate and --console-tls-key go together: give both")
            }
            guard NodeConfiguration.DiagnoseModel(rawValue: diagnoseWith) != nil else {
                throw ValidationError("--diagnose-with must be latest or best, got \(diagnoseWith)")
            }
        }

        /// Builds the node and runs it until SIGTERM or SIGINT.
        public func run() async throws {
            ServiceLogging.bootstrap(level: logLevel)
            let logger = Logger(label: "growda-node")
            var config = NodeConfiguration(bundlePath: bundle, dataPath: data, statePath: state)
            config.localEpochs = epochs
            config.batchSize = batch
            config.learningRate = lr
            config.weightDecay = weightDecay
            config.optimizer = NodeConfiguration.OptimizerName(rawValue: optimizer)!
            config.augment = augment
            config.labelSmoothing = labelSmoothing
            config.classWeights = classWeights
            config.heartbeatInterval = .milliseconds(Int(heartbeat * 1000))
            config.resendAfter = .milliseconds(Int(resendAfter * 1000))
            config.resendMaximum = resendMax.map { .milliseconds(Int($0 * 1000)) }
            config.waitForNewModel = waitForNewModel
            config.noAnswerWarning = .milliseconds(Int(noAnswerWarning * 1000))
            config.noAnswerError = .milliseconds(Int(noAnswerError * 1000))
            config.slowdown = slowdown
            config.hostile = hostile.flatMap(HostileBehaviour.init)
            config.maxUpdates = maxUpdates
            config.threads = threads
            config.seed = seed
            config.diagnoseWith = NodeConfiguration.DiagnoseModel(rawValue: diagnoseWith) ?? .latest
            BLAS.setThreads(1)
            let service: NodeService
            do {
                service = try buildNode(config, logger: logger)
            } catch {
                FileHandle.standardError.write(Data("growda-node: \(error)\n".utf8))
                throw ExitCode(2)
            }
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)
            ]
            if let consolePort {
                let tls = consoleTlsCertificate.map { certificate in
                    ConsoleSettings.TLSFiles(certificatePath: certificate, keyPath: consoleTlsKey ?? "")
                }
                let settings = ConsoleSettings(
                    title: "Growda diagnosis desk", host: consoleHost, port: consolePort,
                    tokenPath: consoleToken ?? Self.defaultConsoleToken(forBundle: bundle),
                    passwordPath: consolePassword, tls: tls)
                do {
                    let desk = try Desk.server(
                        stateFolder: state, nodeName: service.agent.bundle.nodeName,
                        model: config.diagnoseWith == .best ? .best : .latest, settings: settings, logger: logger)
                    services.append(.init(service: desk))
                } catch {
                    FileHandle.standardError.write(Data("growda-node: diagnosis desk: \(error)\n".utf8))
                    throw ExitCode(2)
                }
                logger.info("diagnosis desk", metadata: ["url": "\(settings.url())"])
            }
            let group = ServiceGroup(
                configuration: .init(
                    services: services,
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            do {
                try await group.run()
            } catch let error as NodeError {
                FileHandle.standardError.write(Data("growda-node: \(error)\n".utf8))
                throw ExitCode(error.exitCode)
            }
        }
    }
}

extension GrowdaNodeCommand {
    /// `growda-node status`: what the node last wrote of itself in its state folder.
    public struct Status: ParsableCommand {
        /// The subcommand's name and help.
        public static let configuration = CommandConfiguration(
            abstract: "Show what a node last said of itself (its state folder's status.json).",
            discussion: """
                A running node rewrites status.json every few seconds: model version held, outbox, updates \
                sent and acknowledged, and whether the aggregator answers. Exit status: 0 ok, 1 warning \
                (no answer for --no-answer-warning seconds), 2 error (no answer for --no-answer-error \
                seconds, or no readable status), so a monitoring script can call it.
                """)

        @Option(help: "The node's state folder (as given to `growda-node run --state`).")
        var state: String = "growda-node-state"

        @Flag(help: "Print the status as one JSON object.")
        var json = false

        /// Creates the subcommand (argument parsing fills it in).
        public init() {}

        /// Prints the status and exits with its level.
        public func run() throws {
            let status: NodeStatus
            do {
                status = try NodeStatus.read(stateFolder: state)
            } catch {
                FileHandle.standardError.write(Data("growda-node status: \(error)\n".utf8))
                throw ExitCode(2)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(status), as: UTF8.self))
            } else {
                print(Self.text(status, now: Date().timeIntervalSince1970))
            }
            if status.exitCode != 0 { throw ExitCode(status.exitCode) }
        }

        /// The status as a few lines for a person.
        static func text(_ status: NodeStatus, now: Double) -> String {
            var lines = [
                "node      \(status.node_name) (id \(status.node_id)), written \(Int(max(0, now - status.written_at))) s ago",
                "model     \(status.model_version.map { "v\($0)" } ?? "none yet")",
                "updates   \(status.sent) sent, \(status.resent) resent, \(status.acknowledged) acknowledged, "
                    + "\(status.outbox) waiting",
                status.revoked ? "contact   revoked: this node has stopped" : "contact   \(status.contact.rawValue)"
                    + (status.contact == .ok ? "" : " (\(Int(status.seconds_without_answer)) s without an answer)"),
            ]
            if let codec = status.codec, let last = status.last_update_bytes {
                lines.append(
                    "upload    \(codec), last update \(Self.bytesText(last)), \(Self.bytesText(status.update_bytes ?? 0)) "
                        + "since the node started")
            }
            if let p = status.privacy { lines.append("privacy   " + Self.privacyText(p)) }
            if let message = status.message { lines.append("check     " + message) }
            return lines.joined(separator: "\n")
        }

        /// `12.3 KiB` below a mebibyte, `4.21 MiB` above.
        static func bytesText(_ bytes: Int) -> String {
            bytes < 1 << 20
                ? String(format: "%.1f KiB", Double(bytes) / 1024) : String(format: "%.2f MiB", Double(bytes) / 1048576)
        }

        /// `ε 3.21 of 8 at δ 1e-05 after 12 updates (DP-SGD clip 1, σ 1.5)`, and whether the budget is spent.
        static func privacyText(_ p: NodePrivacyStatus) -> String {
            var rule: [String] = []
            func g(_ x: Double) -> String { String(format: "%g", x) }
            if let c = p.dp_clip, let s = p.dp_noise { rule.append("DP-SGD clip \(g(c)), σ \(g(s))") }
            if let c = p.update_clip { rule.append("update clip \(g(c)), z \(g(p.update_noise ?? 0))") }
            let spent = p.epsilon.map { String(format: "%.2f", $0) } ?? "unbounded"
            var text = "ε \(spent)" + (p.max_epsilon.map { " of \(g($0))" } ?? "")
                + " at δ \(String(format: "%g", p.delta)) after \(p.updates) update\(p.updates == 1 ? "" : "s")"
                + (rule.isEmpty ? "" : " (\(rule.joined(separator: "; ")))")
            if p.budget_spent { text += "; budget spent: this node trains no more" }
            return text
        }
    }
}
