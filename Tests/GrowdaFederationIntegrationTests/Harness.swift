import Foundation
import GrowdaAggregator
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
        var federation = try Federation.create(directory: dir.path("federation"))
        var config = federation.config
        let ports = try FreePorts.take(4)
        try config.set(FederationConfig.Key.updatesPort, String(ports[0]))
        try config.set(FederationConfig.Key.modelsPort, String(ports[1]))
        try config.set(FederationConfig.Key.snapshotsPort, String(ports[2]))
        try config.set("port.status", String(ports[3]))
        try config.set("model.name", "small28")
        try config.set("model.classes", SyntheticXray.classNames.joined(separator: ","))
        for (key, value) in settings { try config.set(key, value) }
        try config.write(path: federation.configPath, overwrite: true)
        federation = try Federation.load(directory: dir.path("federation"))
        hospitals = (1...count).map { "hospital-\($0)" }
        for (i, name) in hospitals.enumerated() {
            try FileManager.default.createDirectory(atPath: dir.path("bundles"), withIntermediateDirectories: true)
            _ = try federation.addNode(name: name, bundlePath: dir.path("bundles/\(name).bundle"))
            try SyntheticXray.write(perClass: perClass, size: 28, seed: UInt64(100 + i), to: dir.path("data/\(name)"))
        }
        self.federation = federation
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
