import ArgumentParser
import Foundation
import GrowdaAggregator
import GrowdaConsole
import GrowdaDashboard
import GrowdaFederation
import GrowdaProvisioning
import GrowdaTensor
import Logging
import ServiceLifecycle

/// `growda serve`: the aggregator.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the aggregator: collect sealed updates, apply buffered FedAvg, publish new models.",
        discussion: """
            Reads the federation folder that holds FILE (keys, node registry) and its settings: \
            \(AggregatorConfiguration.knownKeys.map(\.name).joined(separator: ", ")). `growda federation \
            init` lists them all in FILE, each with what it means and allows. Any other key is an error \
            naming its line and the nearest known key, and nothing starts; --check-config checks FILE \
            the same way and exits, binding nothing. Stops gracefully on SIGTERM or SIGINT; every \
            accepted update is on disk before it counts, so a restart (even after kill -9) carries on \
            from the same version or a newer one. With an evaluation set (--eval or eval.dir) it keeps the \
            best version by eval.metric beside the latest (eval.keep_best). When a stop rule fires \
            (stop.max_versions, stop.plateau) it stops making versions, logs and reports why, and keeps \
            running until SIGTERM: nodes get the final model, later updates are refused as `stopped`. A \
            restart with the rule still holding stays stopped; raise or remove the rule to go on.
            """)

    @Option(
        help: ArgumentHelp("The federation's federation.conf, made by `growda federation init`.", valueName: "file"))
    var config: String

    @Option(help: "State folder (default: state.dir in the config, else FEDERATION/state).")
    var state: String?

    @Option(
        help: "A labelled folder (a signal CSV for ecg187) to evaluate each new version on (accuracy, AUC and loss go into the history).")
    var eval: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Serve Prometheus metrics at http://HOST:PORT/metrics (off unless given).", valueName: "port"))
    var metricsPort: Int?

    @Option(help: ArgumentHelp("The address the metrics endpoint binds (an IP address).", valueName: "host"))
    var metricsHost = "127.0.0.1"

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Serve the federation dashboard and REST API at http://HOST:PORT/ (off unless given or console.port).",
            valueName: "port"))
    var consolePort: Int?

    @Option(
        help: ArgumentHelp(
            "The address the dashboard binds (default console.host, else 127.0.0.1); beyond this machine it warns "
                + "unless TLS is configured (console.tls_certificate, console.tls_key).",
            valueName: "host"))
    var consoleHost: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Flag(
        help: """
            Check FILE and exit, starting nothing: every key known, every value valid. Prints the settings \
            in effect and exits 0, or every problem and exits 1.
            """)
    var checkConfig = false

    @Flag(help: "With --check-config, print the result as JSON.")
    var json = false

    func validate() throws {
        if json && !checkConfig { throw ValidationError("--json goes with --check-config.") }
        if let problem = ServiceLogging.problem(with: logLevel) { throw ValidationError(problem) }
        if let metricsPort, !(1...65535).contains(metricsPort) {
            throw ValidationError("--metrics-port must be a TCP port (1–65535), got \(metricsPort).")
        }
        if let consolePort, !(1...65535).contains(consolePort) {
            throw ValidationError("--console-port must be a TCP port (1–65535), got \(consolePort).")
        }
        if !MetricsServer.isIPAddress(metricsHost) {
            throw ValidationError(
                "--metrics-host must be an IP address such as 127.0.0.1 or 0.0.0.0, got \(metricsHost).")
        }
    }

    func run() async throws {
        if checkConfig {
            let check = ConfigCheck(file: config)
            if json {
                try Terminal.printJSON(check)
            } else {
                print(check.text())
            }
            if !check.ok { throw ExitCode(1) }
            return
        }
        ServiceLogging.bootstrap(level: logLevel)
        let logger = Logger(label: "growda-aggregator")
        let configuration = try Self.configuration(file: config, state: state, eval: eval)
        BLAS.setThreads(1)
        let service = try buildAggregator(configuration, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: service)]
        if let metricsPort {
            services.append(
                .init(
                    service: try MetricsServer(
                        aggregator: service.aggregator, host: metricsHost, port: metricsPort, logger: logger)))
        }
        if let console = try Self.consoleSettings(configuration.console, port: consolePort, host: consoleHost) {
            services.append(
                .init(
                    service: try Dashboard.server(
                        aggregator: service.aggregator, stateFolder: configuration.statePath, settings: console,
                        logger: logger)))
            logger.info("federation dashboard", metadata: ["url": "\(console.url())"])
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The dashboard's settings from the configuration and the flags; nil when no port is given.
    static func consoleSettings(_ console: ConsoleConfiguration, port: Int?, host: String?) throws -> ConsoleSettings? {
        guard let port = port ?? console.port else { return nil }
        var tls: ConsoleSettings.TLSFiles?
        if let certificate = console.tlsCertificatePath, let key = console.tlsKeyPath {
            tls = .init(certificatePath: certificate, keyPath: key)
        }
        return ConsoleSettings(
            title: "Growda federation", host: host ?? console.host, port: port, tokenPath: console.tokenPath,
            passwordPath: console.passwordPath, tls: tls, sessionLifetime: .seconds(console.sessionMinutes * 60))
    }

    /// The aggregator configuration for a federation.conf path, with command-line overrides.
    static func configuration(file: String, state: String?, eval: String?) throws -> AggregatorConfiguration {
        let url = URL(fileURLWithPath: file)
        guard url.lastPathComponent == Federation.configFileName else {
            throw CLIError(
                "--config must be the federation's \(Federation.configFileName) (made by `growda federation init`), got \(file)"
            )
        }
        let directory = url.deletingLastPathComponent().path
        // Every problem in the file first, then the rest of the folder (keys, registry).
        var configuration = try AggregatorConfiguration(
            config: try ConfigCheck.load(file, federationDirectory: directory), federationDirectory: directory)
        _ = try Federation.load(directory: directory)
        if let state { configuration.statePath = state }
        if let eval { configuration.evalPath = eval }
        return configuration
    }
}
