import Foundation
import GrowdaAggregator
import GrowdaBench
import GrowdaConsole
import GrowdaDashboard
import GrowdaNN
import GrowdaNode
import GrowdaSafetensors
import GrowdaTestKit
import Logging
import Testing

/// The federation dashboard and the aggregator's REST API against a real aggregator with two nodes.
@Suite(.serialized) struct DashboardTests {
    @Test func theDashboardShowsTheFederationLearningLive() async throws {
        let running = try await RunningDashboard(
            hospitals: 2, settings: ["fedbuff.k": "2", "fedbuff.max_staleness": "50"])
        defer { running.stop() }
        let port = running.port
        let auth = running.bearer
        let aggregator = running.aggregator
        let dashboard = running.dashboard
        let client = LoopbackHTTPClient(port: port)

        // Version 0 only, before any node runs.
        let before = try client.request("GET", "/api/v1/status", headers: auth)
        #expect(before.status == 200)
        let beforeObject = try #require(JSONSerialization.jsonObject(with: Data(before.body)) as? [String: Any])
        #expect(beforeObject["role"] as? String == "aggregator")
        let federation = try #require(beforeObject["federation"] as? [String: Any])
        #expect(federation["version"] as? Int == 0)
        let page = try client.request("GET", "/", headers: auth.merging(["Accept": "text/html"]) { $1 })
        #expect(page.status == 200)
        #expect(page.text.contains("hospital-1"))
        #expect(page.text.contains("<svg"))
        #expect(page.text.contains("/assets/dashboard.js"))

        try running.startNodes()
        #expect(eventually(seconds: 60) { (aggregator.status()?.version ?? 0) >= 2 })
        // The status runs ahead of the store by a group commit: wait until the history has the version too.
        #expect(
            eventually(seconds: 30) {
                let reply = try? client.request("GET", "/api/v1/versions?limit=1", headers: auth)
                let rows = reply.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [[String: Any]] }
                return (rows?.last?["version"] as? Int ?? 0) >= 2
            })

        // The live stream carries panels for the new version, with the chart.
        let stream = try LoopbackHTTPClient(port: port).stream(
            "/events", headers: auth, until: "\"chart\"", seconds: 10)
        #expect(stream.status == 200)
        #expect(stream.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        #expect(stream.text.contains("event: panels"))
        #expect(stream.text.contains("<svg"))

        let versions = try client.request("GET", "/api/v1/versions?limit=2", headers: auth)
        #expect(versions.status == 200)
        let rows = try #require(JSONSerialization.jsonObject(with: Data(versions.body)) as? [[String: Any]])
        #expect(rows.count == 2)
        #expect((rows.last?["version"] as? Int ?? 0) >= 2)
        #expect(try client.request("GET", "/api/v1/versions?limit=0", headers: auth).status == 400)
        #expect(try client.request("GET", "/api/v1/versions?limit=many", headers: auth).status == 400)

        let metrics = try client.request("GET", "/api/v1/metrics", headers: auth)
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("\"points\""))
        let nodes = try client.request("GET", "/api/v1/nodes", headers: auth)
        let nodeRows = try #require(JSONSerialization.jsonObject(with: Data(nodes.body)) as? [[String: Any]])
        #expect(nodeRows.map { $0["name"] as? String } == ["hospital-1", "hospital-2"])
        #expect(nodeRows.allSatisfy { ($0["accepted"] as? Int ?? 0) >= 1 })

        let model = try client.request("GET", "/api/v1/model", headers: auth)
        #expect(model.status == 200)
        let held = try Model(checkpoint: SafetensorsFile(bytes: model.body), origin: "download")
        #expect(held.spec.name == "small28")
        #expect(model.headers["x-growda-model-version"].flatMap(Int.init) ?? 0 >= 2)
        #expect(try client.request("GET", "/api/v1/model?version=999999", headers: auth).status == 404)
        #expect(try client.request("GET", "/api/v1/model?version=best", headers: auth).status == 404)
        #expect(try client.request("GET", "/api/v1/model?version=-1", headers: auth).status == 400)

        let prometheus = try client.request("GET", "/metrics", headers: auth)
        #expect(prometheus.status == 200)
        #expect(prometheus.text.contains("growda_"))
        #expect(try LoopbackHTTPClient(port: port).request("GET", "/metrics").status == 401)
        #expect(dashboard.refusals.byReason["bad_request"] == 3)
    }

    /// The Prometheus endpoint on its own port, now on Hummingbird: /metrics, and 404 for the rest.
    @Test func theMetricsEndpointServesTheExposition() async throws {
        let fed = try LocalFederation(hospitals: 1)
        let aggregator = try Aggregator(configuration: try fed.aggregatorConfiguration(), logger: testLogger("agg"))
        let aggRun = Background("aggregator") { try aggregator.run() }
        defer {
            aggregator.stop()
            aggRun.wait(seconds: 20)
        }
        #expect(eventually(seconds: 20) { aggregator.status() != nil })
        let server = try MetricsServer(aggregator: aggregator, port: 0, logger: testLogger("metrics"))
        let serving = server.runInBackground()
        defer { serving.cancel() }
        let port = try await server.waitUntilListening(seconds: 60)
        let client = LoopbackHTTPClient(port: port)
        let metrics = try client.request("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.text.contains("growda_model_version"))
        #expect(try client.request("GET", "/other").status == 404)
    }
}
