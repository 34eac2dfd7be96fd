import Foundation
import GrowdaAggregator
import GrowdaCrypto
import GrowdaData
import GrowdaNN
import GrowdaNode
import GrowdaProvisioning
import GrowdaStore
import GrowdaTestKit
import GrowdaTransport
import GrowdaWire
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `growda status`, `nodes`, `history` and the metrics endpoint against a real aggregator on free ports.
@Suite(.serialized) struct StatusTests {
    /// What a `growda` run printed and how it ended.
    struct Run {
        var code: Int32
        var out: String
        var err: String
    }

    /// Runs the built `growda` executable with `arguments` and waits for it.
    static func growda(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = productsDirectory().appendingPathComponent("growda")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            code: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
            err: String(decoding: errData, as: UTF8.self))
    }

    /// One JSON object from a command's output.
    static func object(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Two nodes train, forged updates are refused; the CLI's figures are the aggregator's; stopped nodes
    /// turn lost and `--check` says so; the history is on disk.
    @Test func statusNodesCheckMetricsAndHistory() throws {
        let fed = try LocalFederation(
            hospitals: 2,
            settings: ["fedbuff.k": "2", "fedbuff.max_staleness": "50", "liveness.lost_after_seconds": "1"])
        let aggregator = try Aggregator(configuration: try fed.aggregatorConfiguration(), logger: testLogger("agg"))
        let aggRun = Background("aggregator") { try aggregator.run() }
        defer {
            aggregator.stop()
            aggRun.wait(seconds: 20)
        }

        let (agents, runs) = try fed.startNodes(2)
        #expect(eventually(seconds: 60) { (aggregator.status()?.version ?? 0) >= 2 })

        // Forged updates: sealed with a key that is not hospital-1's.
        let bundle = try NodeBundle.read(path: fed.dir.path("bundles/hospital-1.bundle"))
        let context = try ZMQContext()
        let push = try ZMQSocket(.push, context: context)
        try push.connect(bundle.endpoints.updates)
        let model = try Model(reference: "small28", classes: SyntheticXray.classNames)
        let zero = try model.delta(from: model.parameters)
        let forger = try SecretBoxKey.generate()
        for seq in 1...2 {
            let forged = UpdateMessage(
                node: bundle.nodeID, seq: UInt64(1000 + seq), baseVersion: 0, sampleCount: 10, metrics: [:],
                delta: zero)
            try push.send(try WireEncoder.encode(forged, nodeKey: forger))
        }
        push.close()
        #expect(eventually(seconds: 20) { aggregator.status()?.refused["bad_mac"] == 2 })

        // Stop the nodes: with lost_after_seconds = 1 both turn lost, and nothing changes the counts after.
        for agent in agents { agent.stop() }
        for run in runs { #expect(run.wait(seconds: 30)) }
        #expect(eventually(seconds: 20) { aggregator.status()?.nodes.allSatisfy { $0.state == .lost } == true })

        let status = try Self.growda(["status", "--federation", fed.federation.directory, "--json"])
        #expect(status.code == 0, "\(status.err)")
        let counted = try #require(aggregator.status())
        let json = try Self.object(status.out)
        #expect(json["accepted"] as? Int == counted.accepted)
        #expect((json["accepted"] as? Int ?? 0) >= 2)
        #expect(json["version"] as? Int == Int(counted.version))
        #expect((json["refused"] as? [String: Int])?["bad_mac"] == 2)
        let rows = try #require(json["nodes"] as? [[String: Any]])
        #expect(rows.compactMap { $0["name"] as? String } == ["hospital-1", "hospital-2"])
        #expect(rows.compactMap { $0["state"] as? String } == ["lost", "lost"])
        #expect(rows.compactMap { $0["accepted"] as? Int } == counted.nodes.map(\.accepted))
        #expect(json["nodes_lost"] as? Int == 2)
        #expect(json["health"] as? String == "critical")
        #expect(json.keys.contains("queue_oldest_seconds"))  // absent values are null, not left out

        // The screen: every line fits in 100 columns.
        let screen = try Self.growda(["status", "--federation", fed.federation.directory])
        #expect(screen.code == 0)
        #expect(screen.out.contains("hospital-2") && screen.out.contains("bad_mac 2"))
        #expect(screen.out.split(separator: "\n").allSatisfy { $0.count <= 100 })

        // --check: both of two nodes lost is critical; with the lost fraction raised to 1, degraded.
        let critical = try Self.growda(["status", "--federation", fed.federation.directory, "--check"])
        #expect(critical.code == 2)
        #expect(critical.out.hasPrefix("critical:") && critical.out.contains("2 of 2 nodes lost"))
        let degraded = try Self.growda([
            "status", "--federation", fed.federation.directory, "--check", "--max-lost-fraction", "1",
        ])
        #expect(degraded.code == 1)
        #expect(degraded.out.hasPrefix("degraded:"))

        let nodes = try Self.growda(["nodes", "--federation", fed.federation.directory, "--json"])
        #expect(nodes.code == 0)
        let nodeRows = try #require(JSONSerialization.jsonObject(with: Data(nodes.out.utf8)) as? [[String: Any]])
        #expect(nodeRows.compactMap { $0["name"] as? String } == ["hospital-1", "hospital-2"])

        // The aggregator stops: the status endpoint is dead (exit 2 with a message naming it), and the
        // history is read from the state folder alone.
        aggregator.stop()
        #expect(aggRun.wait(seconds: 20))
        let dead = try Self.growda(["status", "--federation", fed.federation.directory, "--timeout", "0.5"])
        #expect(dead.code == 2)
        #expect(dead.err.contains("no answer from the aggregator at tcp://127.0.0.1:"))

        let reader = try StateReader(folder: fed.statePath)
        let versions = try reader.history().count
        try reader.close()
        let csv = try Self.growda(["history", "--state", fed.statePath, "--csv"])
        #expect(csv.code == 0)
        let lines = csv.out.split(separator: "\r\n")
        #expect(lines.first?.hasPrefix("version,created_at,updates_folded") == true)
        #expect(lines.count == versions + 1)
        #expect(versions >= 3)
        let viaFederation = try Self.growda(["history", "--federation", fed.federation.directory, "--json"])
        let array = try #require(JSONSerialization.jsonObject(with: Data(viaFederation.out.utf8)) as? [Any])
        #expect(array.count == versions)
    }

    /// `growda serve --metrics-port`, as a process: the version gauge and refusals by reason over HTTP on
    /// 127.0.0.1, 404 elsewhere, and a clean stop on SIGTERM. (A process of its own, so the endpoint's tasks
    /// never wait for this test process's thread pool, which other tests keep busy.)
    @Test func metricsEndpointServesTheSameFigures() throws {
        let fed = try LocalFederation(hospitals: 1)
        let port = try FreePorts.take(1)[0]
        let serve = try CrashTests.launch(
            "growda", ["serve", "--config", fed.configPath, "--metrics-port", String(port), "--log-level", "warning"],
            log: fed.dir.path("serve.log"))
        defer { if serve.isRunning { serve.terminate() } }
        func scrape() -> HTTP.Response? { try? HTTP.get(port: port, path: "/metrics") }
        #expect(eventually(seconds: 30) { scrape()?.status == 200 })

        // A forged update (sealed with another key) is counted under its reason.
        let bundle = try NodeBundle.read(path: fed.dir.path("bundles/hospital-1.bundle"))
        let context = try ZMQContext()
        let push = try ZMQSocket(.push, context: context)
        try push.connect(bundle.endpoints.updates)
        let model = try Model(reference: "small28", classes: SyntheticXray.classNames)
        let forged = UpdateMessage(
            node: bundle.nodeID, seq: 1, baseVersion: 0, sampleCount: 10, metrics: [:],
            delta: try model.delta(from: model.parameters))
        try push.send(try WireEncoder.encode(forged, nodeKey: try SecretBoxKey.generate()))
        push.close()
        #expect(
            eventually(seconds: 20) {
                scrape()?.body.contains("growda_refused_total{reason=\"bad_mac\"} 1\n") == true
            })

        let text = try #require(scrape()).body
        let status = try Self.object(
            try Self.growda(["status", "--federation", fed.federation.directory, "--json"]).out)
        let version = try #require(status["version"] as? Int)
        #expect(text.contains("# TYPE growda_model_version gauge"))
        #expect(text.contains("growda_model_version \(Double(version))\n"))
        #expect(text.contains("growda_refused_total{reason=\"stale\"} 0\n"))
        #expect(text.contains("growda_nodes{state=\"never_seen\"} 1.0\n"))
        #expect(try HTTP.get(port: port, path: "/other").status == 404)

        serve.terminate()
        serve.waitUntilExit()
        #expect(serve.terminationStatus == 0)
    }

    /// A failing sibling service stops the group: with its metrics port already taken, `growda serve` exits
    /// with an error naming the endpoint and a non-zero status instead of running on (or hanging).
    @Test func serveExitsWithAnErrorWhenItsMetricsPortIsTaken() throws {
        let fed = try LocalFederation(hospitals: 1)
        let port = try FreePorts.take(1)[0]
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(bound == 0 && listen(listener, 1) == 0)
        let serve = try CrashTests.launch(
            "growda", ["serve", "--config", fed.configPath, "--metrics-port", String(port), "--log-level", "warning"],
            log: fed.dir.path("serve.log"))
        defer { if serve.isRunning { serve.terminate() } }
        // A generous bound so a broken build fails instead of hanging the suite; no duration is asserted.
        #expect(eventually(seconds: 60) { !serve.isRunning })
        if serve.isRunning { serve.terminate() }
        serve.waitUntilExit()
        #expect(serve.terminationStatus != 0)
        let log = (try? String(contentsOfFile: fed.dir.path("serve.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("metrics endpoint 127.0.0.1:\(port)"), "serve.log: \(log)")
    }
}

/// A minimal HTTP/1.1 client over a POSIX socket, for the metrics endpoint on 127.0.0.1.
enum HTTP {
    struct Response {
        var status: Int
        var body: String
    }

    /// `GET path` on 127.0.0.1:`port`; reads until the server closes or the body is complete.
    static func get(port: Int, path: String) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw HTTPError("connect to port \(port): \(String(cString: strerror(errno)))") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { throw HTTPError("send failed") }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
            if let response = parse(received) { return response }
        }
        guard let response = parse(received) else { throw HTTPError("incomplete response: \(received.count) bytes") }
        return response
    }

    /// The response when the header and `Content-Length` bytes of body have arrived.
    private static func parse(_ bytes: [UInt8]) -> Response? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let head = text[..<end.lowerBound].split(separator: "\r\n")
        guard let statusLine = head.first, let code = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        let length = head.dropFirst().compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first
        let body = String(text[end.upperBound...])
        if let length, body.utf8.count < length { return nil }
        return Response(status: code, body: body)
    }

    struct HTTPError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
