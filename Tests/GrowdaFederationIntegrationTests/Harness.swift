import Foundation
import GrowdaAggregator
import GrowdaConsole
import GrowdaDashboard
import GrowdaData
import GrowdaNode
import GrowdaProvisioning
import GrowdaTestKit
import GrowdaTransport
import Logging

/// A small federation in a temporary folder: keys, a config on free ports, synthetic hospitals.
final class LocalFederation: @unchecked Sendable {
    let dir: TemporaryDirectory
    let federation: Federation
    let hospitals: [String]

    /// Provisions `count` hospitals with `perClass` synthetic 28×28 images each and the given settings.
    init(hospitals count: Int, perClass: Int = 6, settings: [String: String] = [:]) throws {
        dir = try TemporaryDirectory(prefix: "growda-fed")
        hospitals = (1...count).map { "hospital-\($0)" }
        federation = try Federation.createLocal(
            directory: dir.path("federation"), model: "small28", classes: SyntheticXray.classNames,
            settings: settings.sorted { $0.key < $1.key }.map { Federation.LocalSetting($0.key, $0.value) },
            nodes: hospitals, bundles: dir.path("bundles")
        ).federation
        for (i, name) in hospitals.enumerated() {
            _ = try SyntheticXray.write(perClass: perClass, size: 28, seed: UInt64(100 + i), to: dir.path("data/\(name)"))
        }
    }

    var configPath: String { federation.configPath }
    var statePath: String { dir.path("federation/state") }

    func aggregatorConfiguration() throws -> AggregatorConfiguration {
        try AggregatorConfiguration(federation: Federation.load(directory: federation.directory))
    }

    func nodeConfiguration(_ index: Int) -> NodeConfiguration {
        let name = hospitals[index]
        var config = NodeConfiguration(
            bundlePath: dir.path("bundles/\(name).bundle"), dataPath: dir.path("data/\(name)"),
            statePath: dir.path("nodes/\(name)"))
        config.batchSize = 6
        config.heartbeatInterval = .milliseconds(300)
        config.resendAfter = .seconds(1)
        config.pollInterval = .milliseconds(150)
        config.validationFraction = 0
        config.seed = UInt64(index + 1)
        return config
    }

    /// Builds the first `count` hospitals' agents and runs each on a thread of its own.
    func startNodes(_ count: Int) throws -> (agents: [NodeAgent], runs: [Background]) {
        var agents: [NodeAgent] = []
        var runs: [Background] = []
        for i in 0..<count {
            let agent = try NodeAgent.build(nodeConfiguration(i), logger: testLogger("node"))
            agents.append(agent)
            runs.append(Background("node\(i)") { try agent.run() })
        }
        return (agents, runs)
    }
}

/// Runs a blocking `run()` on a thread of its own and lets the test wait for it.
final class Background: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private(set) var error: (any Error)?

    init(_ name: String, _ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [self] in
            do { try body() } catch { self.error = error }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Waits up to `seconds`; true when the work ended.
    @discardableResult
    func wait(seconds: Double) -> Bool { done.wait(timeout: .now() + seconds) == .success }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}

/// A logger that prints only warnings and worse (set GROWDA_TEST_LOG=debug to see more).
func testLogger(_ label: String) -> Logger {
    let level = ProcessInfo.processInfo.environment["GROWDA_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    var logger = Logger(label: label) { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    logger.logLevel = level
    return logger
}

/// The directory holding the built executables (growda, growda-node), beside the test bundle.
func productsDirectory() -> URL {
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        return bundle.bundleURL.deletingLastPathComponent()
    }
    return Bundle.main.bundleURL
}

/// A running aggregator of a ``LocalFederation`` with its dashboard on a free port, and nodes on demand.
final class RunningDashboard: @unchecked Sendable {
    let fed: LocalFederation
    let configuration: AggregatorConfiguration
    let aggregator: Aggregator
    let dashboard: ConsoleServer
    let port: Int
    /// The console token's base64 field.
    let token: String
    private let aggregatorRun: Background
    private let serving: Task<Void, any Error>
    private var agents: [NodeAgent] = []
    private var nodeRuns: [Background] = []

    init(hospitals: Int, settings: [String: String]) async throws {
        fed = try LocalFederation(hospitals: hospitals, settings: settings)
        configuration = try fed.aggregatorConfiguration()
        let aggregator = try Aggregator(configuration: configuration, logger: testLogger("agg"))
        self.aggregator = aggregator
        aggregatorRun = Background("aggregator") { try aggregator.run() }
        _ = eventually(seconds: 20) { aggregator.status() != nil }
        let dashboard = try Dashboard.server(
            aggregator: aggregator, stateFolder: configuration.statePath,
            settings: ConsoleSettings(title: "Growda federation", port: 0, tokenPath: configuration.console.tokenPath),
            logger: testLogger("dashboard"))
        self.dashboard = dashboard
        serving = dashboard.runInBackground()
        port = try await dashboard.waitUntilListening(seconds: 60)
        let text = try String(contentsOfFile: configuration.console.tokenPath, encoding: .utf8)
        token = String(text.split(separator: "\n").first { $0.hasPrefix("growda-console-key") }?.split(separator: " ").last ?? "")
    }

    /// `Authorization: Bearer TOKEN`.
    var bearer: [String: String] { ["Authorization": "Bearer \(token)"] }

    /// Starts every hospital's node.
    func startNodes() throws {
        for i in 0..<fed.hospitals.count {
            let agent = try NodeAgent.build(fed.nodeConfiguration(i), logger: testLogger("node"))
            agents.append(agent)
            nodeRuns.append(Background("node\(i)") { try agent.run() })
        }
    }

    /// Stops the nodes, the dashboard and the aggregator.
    func stop() {
        for agent in agents { agent.stop() }
        for run in nodeRuns { run.wait(seconds: 20) }
        serving.cancel()
        aggregator.stop()
        aggregatorRun.wait(seconds: 20)
    }
}
