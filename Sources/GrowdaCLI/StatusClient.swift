import ArgumentParser
import Foundation
import GrowdaAggregator
import GrowdaCrypto
import GrowdaProvisioning
import GrowdaTransport
import GrowdaWire

/// Where an aggregator's status socket is, and the admin key its requests are sealed with.
struct StatusEndpoint: Sendable {
    /// The ZeroMQ endpoint, e.g. `tcp://127.0.0.1:7704`.
    var url: String
    /// The federation's admin key (never printed).
    var adminKey: SecretBoxKey
    /// Where the key came from, named in messages.
    var keySource: String

    /// The endpoint and key of the federation folder at `directory`: `status.bind_host` (an any-address
    /// bind is reached on loopback) and `port.status` from its federation.conf, and its keys/admin.key.
    static func federation(_ directory: String) throws -> StatusEndpoint {
        let federation = try Federation.load(directory: directory)
        let config = federation.config
        var host = try config.host(
            AggregatorConfiguration.Key.statusBindHost, default: AggregatorConfiguration.Default.statusHost)
        if host == "0.0.0.0" || host == "*" { host = "127.0.0.1" }
        if host == "::" { host = "::1" }
        let port = try config.port(
            AggregatorConfiguration.Key.statusPort, default: AggregatorConfiguration.Default.statusPort)
        return StatusEndpoint(
            url: "tcp://\(host.contains(":") ? "[\(host)]" : host):\(port)", adminKey: try federation.adminKey(),
            keySource: federation.adminKeyPath)
    }
}

/// The connection flags `growda status` and `growda nodes` share.
struct StatusConnectionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The federation's folder (made by `growda federation init`, or DIR/federation after `growda simulate --out DIR`): its status endpoint and admin key.",
            valueName: "dir"))
    var federation: String?

    @Option(help: ArgumentHelp("The aggregator's status endpoint, e.g. tcp://127.0.0.1:7704.", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("The federation's admin key file (keys/admin.key), with --endpoint.", valueName: "file"))
    var adminKey: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Seconds to wait for the aggregator's answer.", valueName: "seconds"))
    var timeout: Double = 2

    func validate() throws {
        switch (federation, endpoint, adminKey) {
        case (nil, nil, nil):
            throw ValidationError("Give --federation DIR, or --endpoint URL with --admin-key FILE.")
        case (.some, nil, nil), (nil, .some, .some):
            break
        case (.some, _, _):
            throw ValidationError("Give either --federation or --endpoint with --admin-key, not both.")
        case (nil, .some, nil):
            throw ValidationError("--endpoint needs --admin-key FILE (the federation's keys/admin.key).")
        case (nil, nil, .some):
            throw ValidationError("--admin-key needs --endpoint URL (or give --federation DIR instead).")
        }
        if let endpoint, !(endpoint.hasPrefix("tcp://") || endpoint.hasPrefix("ipc://")) {
            throw ValidationError("--endpoint must be a ZeroMQ endpoint such as tcp://127.0.0.1:7704, got \(endpoint).")
        }
        guard timeout > 0, timeout <= 600 else {
            throw ValidationError("--timeout must be greater than 0 and at most 600 seconds, got \(timeout).")
        }
    }

    /// The endpoint and key these flags name.
    func resolve() throws -> StatusEndpoint {
        if let federation { return try StatusEndpoint.federation(federation) }
        guard let endpoint, let adminKey else { throw CLIError("give --federation DIR or --endpoint with --admin-key") }
        do {
            return StatusEndpoint(
                url: endpoint, adminKey: try KeyFile.read(SecretBoxKey.self, path: adminKey), keySource: adminKey)
        } catch {
            throw CLIError("--admin-key \(adminKey): \(error)")
        }
    }
}

/// Why a status query failed; each message names the endpoint and what to check.
enum StatusClientError: Error, CustomStringConvertible {
    /// Nothing answered in time.
    case noAnswer(endpoint: String, timeout: Double, keySource: String)
    /// An answer came that the admin key does not open, or that is not a status reply.
    case badReply(endpoint: String, reason: String, keySource: String)
    /// The answer's JSON is not a status this build understands.
    case undecodable(endpoint: String, detail: String)
    /// The socket could not be set up.
    case transport(endpoint: String, detail: String)

    var description: String {
        switch self {
        case .noAnswer(let endpoint, let timeout, let keySource):
            return """
                no answer from the aggregator at \(endpoint) within \(fmt(timeout, 1)) s. Check that `growda serve` \
                is running for this federation, that status.bind_host and port.status in its federation.conf \
                match this endpoint, and that \(keySource) is that federation's admin key (requests sealed with \
                another key are refused unanswered); a longer --timeout helps a busy aggregator.
                """
        case .badReply(let endpoint, let reason, let keySource):
            return """
                the answer from \(endpoint) was refused (\(reason)): it does not open with \(keySource). Is this \
                endpoint the aggregator of that federation?
                """
        case .undecodable(let endpoint, let detail):
            return
                "the status from \(endpoint) could not be read (\(detail)); is growda the same version on both sides?"
        case .transport(let endpoint, let detail):
            return "cannot reach \(endpoint): \(detail); check the endpoint's form (tcp://HOST:PORT)"
        }
    }
}

/// Asks an aggregator for its status over its status ROUTER with a DEALER: the request is sealed with
/// the admin key; the reply must open with the same key and echo the request's id.
struct StatusClient {
    /// Where to ask.
    let endpoint: StatusEndpoint
    /// How long to wait for the answer, in seconds.
    let timeout: Double

    /// The aggregator's status.
    func fetch(what: String = "summary") throws -> AggregatorStatus {
        let url = endpoint.url
        let context: ZMQContext
        let dealer: ZMQSocket
        var configuration = SocketConfiguration()
        configuration.linger = .zero
        configuration.heartbeat = nil
        configuration.maxMessageSize = 64 << 20
        do {
            context = try ZMQContext()
            dealer = try ZMQSocket(.dealer, context: context, configuration: configuration)
            try dealer.connect(url)
        } catch {
            throw StatusClientError.transport(endpoint: url, detail: "\(error)")
        }
        defer {
            dealer.close()
            context.shutdown()
        }
        let requestID = UInt64.random(in: 1...UInt64.max)
        do {
            let frames = try WireEncoder.encode(
                StatusRequest(requestID: requestID, what: what), adminKey: endpoint.adminKey)
            try dealer.send(frames, dontWait: true)
        } catch {
            throw StatusClientError.noAnswer(endpoint: url, timeout: timeout, keySource: endpoint.keySource)
        }
        let keys = OperatorKeyring(adminKey: endpoint.adminKey)
        var limits = WireLimits.standard
        limits.maxMessageBytes = 64 << 20
        let poller = ZMQPoller()
        _ = poller.add(dealer)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                throw StatusClientError.noAnswer(endpoint: url, timeout: timeout, keySource: endpoint.keySource)
            }
            let ready: [PollEvents]
            do {
                ready = try poller.poll(timeout: .milliseconds(Int(left * 1000) + 1))
            } catch {
                throw StatusClientError.transport(endpoint: url, detail: "\(error)")
            }
            guard ready[0].contains(.readable) else { continue }
            let frames: [Frame]
            do {
                guard let received = try dealer.tryReceive() else { continue }
                frames = received
            } catch {
                throw StatusClientError.transport(endpoint: url, detail: "\(error)")
            }
            switch WireDecoder.open(frames.map(\.bytes), keys: keys, limits: limits) {
            case .success(.statusReply(let reply)) where reply.requestID == requestID:
                do {
                    return try JSONDecoder().decode(AggregatorStatus.self, from: Data(reply.json.utf8))
                } catch {
                    throw StatusClientError.undecodable(endpoint: url, detail: "\(error)")
                }
            case .success(.statusReply):
                continue  // an answer to another request: not ours
            case .success:
                throw StatusClientError.badReply(
                    endpoint: url, reason: "not a status reply", keySource: endpoint.keySource)
            case .failure(let reason):
                throw StatusClientError.badReply(
                    endpoint: url, reason: reason.rawValue, keySource: endpoint.keySource)
            }
        }
    }
}
