import Foundation
import Testing

@testable import GrowdaAggregation

@Suite("Aggregation config: defaults, parsing, validation")
struct AggregationConfigTests {
    @Test func defaults() throws {
        let config = AggregationConfig()
        #expect(config.mode == .async(bufferSize: 4, maxStaleness: 8))
        #expect(config.serverLearningRate == 0.5)
        #expect(config.staleness == .polynomial(exponent: 0.5))
        #expect(config.serverOptimizer == .none)
        #expect(config.clipNorm == nil)
        try config.validate()
        #expect(try AggregationConfig(settings: [:]) == config)
        #expect(AggregationConfig.recommended(nodeCount: 2).mode == .async(bufferSize: 2, maxStaleness: 8))
        #expect(AggregationConfig.recommended(nodeCount: 20).mode == .async(bufferSize: 4, maxStaleness: 8))
    }

    @Test func parsesEveryKey() throws {
        let config = try AggregationConfig(settings: [
            "mode": "sync", "sync.quorum": "0.5", "sync.deadline_seconds": " 30 ", "fedbuff.k": "6",
            "server.lr": "0.01", "staleness": "hinge:10:4", "server.optimizer": "adam:0.9:0.99:1e-3",
            "clip_norm": "2.5",
        ])
        #expect(
            config
                == AggregationConfig(
                    mode: .sync(quorum: 0.5, deadlineSeconds: 30), serverLearningRate: 0.01,
                    staleness: .hinge(slope: 10, threshold: 4),
                    serverOptimizer: .adam(beta1: 0.9, beta2: 0.99, tau: 0.001), clipNorm: 2.5))
        let async = try AggregationConfig(settings: [
            "fedbuff.k": "3", "fedbuff.max_staleness": "0", "staleness": "constant", "server.optimizer": "momentum",
            "clip_norm": "none",
        ])
        #expect(async.mode == .async(bufferSize: 3, maxStaleness: 0))
        #expect(async.staleness == .constant && async.serverOptimizer == .momentum(beta: 0.9))
        #expect(try AggregationConfig(settings: ["staleness": "polynomial"]).staleness == .polynomial(exponent: 0.5))
        #expect(try AggregationConfig(settings: ["staleness": "polynomial:1"]).staleness == .polynomial(exponent: 1))
        #expect(try AggregationConfig(settings: ["server.optimizer": "adam"]).serverOptimizer == .defaultAdam)
    }

    @Test func settingsRoundTrip() throws {
        let configs = [
            AggregationConfig(),
            AggregationConfig(
                mode: .sync(quorum: 0.75, deadlineSeconds: 120.5), serverLearningRate: 0.003,
                staleness: .hinge(slope: 0.5, threshold: 2),
                serverOptimizer: .adam(beta1: 0.9, beta2: 0.999, tau: 1e-5),
                clipNorm: 10),
            AggregationConfig(staleness: .constant, serverOptimizer: .momentum(beta: 0.95)),
        ]
        for config in configs {
            #expect(try AggregationConfig(settings: config.settings) == config)
            let json = try JSONEncoder().encode(config)
            #expect(try JSONDecoder().decode(AggregationConfig.self, from: json) == config)
        }
        #expect(AggregationConfig().settings["staleness"] == "polynomial:0.5")
        #expect(AggregationConfig().settings["fedbuff.k"] == "4")
    }

    /// Each bad value fails with its key, the value and what is allowed.
    @Test func errorsNameTheKeyAndAllowedValues() {
        func error(_ settings: [String: String]) -> AggregationConfigError? {
            do {
                _ = try AggregationConfig(settings: settings)
                return nil
            } catch {
                return error
            }
        }
        #expect(error(["fedbuff.kk": "4"]) == .unknownKey(key: "fedbuff.kk", known: AggregationConfig.settingKeys))
        #expect(error(["fedbuff.k": "0"]) == .outOfRange(key: "fedbuff.k", value: "0", allowed: "an integer ≥ 1"))
        #expect(
            error(["fedbuff.k": "four"]) == .invalidValue(key: "fedbuff.k", value: "four", allowed: "an integer ≥ 1"))
        #expect(error(["fedbuff.max_staleness": "-1"])?.key == "fedbuff.max_staleness")
        #expect(error(["mode": "batch"]) == .invalidValue(key: "mode", value: "batch", allowed: "async | sync"))
        #expect(error(["server.lr": "0"])?.key == "server.lr")
        #expect(error(["server.lr": "nan"]) == .invalidValue(key: "server.lr", value: "nan", allowed: "a number > 0"))
        #expect(error(["staleness": "hinge:10"])?.isInvalidValue(key: "staleness") == true)
        #expect(error(["staleness": "linear"])?.isInvalidValue(key: "staleness") == true)
        #expect(error(["staleness": "constant:1"])?.isInvalidValue(key: "staleness") == true)
        #expect(error(["staleness": "polynomial:-1"])?.key == "staleness")
        #expect(error(["server.optimizer": "adam:0.9:1.5:1e-3"])?.key == "server.optimizer")
        #expect(error(["server.optimizer": "adam:0.9:0.99"])?.isInvalidValue(key: "server.optimizer") == true)
        #expect(error(["server.optimizer": "momentum:1"])?.key == "server.optimizer")
        #expect(error(["server.optimizer": "sgd"])?.isInvalidValue(key: "server.optimizer") == true)
        #expect(error(["clip_norm": "-1"])?.key == "clip_norm")
        // Keys of the mode not selected are checked too.
        #expect(error(["mode": "async", "sync.quorum": "1.5"])?.key == "sync.quorum")
        #expect(error(["mode": "sync", "sync.deadline_seconds": "0"])?.key == "sync.deadline_seconds")

        let description = String(describing: error(["sync.quorum": "0"])!)
        #expect(description == "sync.quorum = 0 is out of range; allowed: a number in (0, 1]")
        let optimizer = String(describing: error(["server.optimizer": "sgd"])!)
        #expect(optimizer.contains("server.optimizer = sgd") && optimizer.contains("momentum[:beta]"))
    }

    @Test func validateCatchesValuesMadeInCode() {
        let bad: [(AggregationConfig, String)] = [
            (AggregationConfig(mode: .async(bufferSize: 0, maxStaleness: 1)), "fedbuff.k"),
            (AggregationConfig(mode: .sync(quorum: 0, deadlineSeconds: 1)), "sync.quorum"),
            (AggregationConfig(mode: .sync(quorum: 1, deadlineSeconds: .infinity)), "sync.deadline_seconds"),
            (AggregationConfig(serverLearningRate: -1), "server.lr"),
            (AggregationConfig(staleness: .hinge(slope: -1, threshold: 0)), "staleness"),
            (AggregationConfig(serverOptimizer: .adam(beta1: 0.9, beta2: 0.99, tau: 0)), "server.optimizer"),
            (AggregationConfig(clipNorm: 0), "clip_norm"),
        ]
        for (config, key) in bad {
            #expect(throws: AggregationConfigError.self) { try config.validate() }
            do {
                try config.validate()
            } catch {
                #expect(error.key == key)
            }
        }
    }

    /// The factory wraps as configured: clipping outside the optimizer outside the base strategy.
    @Test func makeStrategyBuildsTheConfiguredStack() throws {
        let config = AggregationConfig(serverOptimizer: .defaultAdam, clipNorm: 3)
        let strategy = try config.makeStrategy(parameterCount: 5, version: 7, openedAt: 0)
        let clipping = try #require(strategy as? NormClipping)
        #expect(clipping.maxNorm == 3)
        let adam = try #require(clipping.inner as? ServerAdam)
        #expect(adam.beta1 == 0.9 && adam.beta2 == 0.99 && adam.tau == 0.001)
        let fedbuff = try #require(adam.inner as? FedBuffStrategy)
        #expect(fedbuff.bufferSize == 4 && fedbuff.maxStaleness == 8 && fedbuff.version == 7)
        #expect(strategy.version == 7 && strategy.parameterCount == 5)

        let sync = try AggregationConfig(mode: .defaultSync).makeStrategy(parameterCount: 1, openedAt: 42)
        let plain = try #require(sync as? SyncFedAvgStrategy)
        #expect(plain.quorum == 0.75 && plain.deadlineSeconds == 120 && plain.roundOpenedAt == 42)

        #expect(throws: AggregationConfigError.self) {
            _ = try AggregationConfig(serverLearningRate: 0).makeStrategy(parameterCount: 1, openedAt: 0)
        }
    }
}

extension AggregationConfigError {
    /// Whether this is an unparseable value for `key`.
    func isInvalidValue(key: String) -> Bool {
        if case .invalidValue(key, _, _) = self { return true }
        return false
    }
}
