import Foundation
import GrowdaTestKit
import Testing

/// The dashboard's REST API against its OpenAPI document, by schemathesis.
@Suite(
    .serialized,
    .enabled(if: Schemathesis.executable != nil, "needs schemathesis (pip install schemathesis)"))
struct DashboardAPISchemaTests {
    @Test func everyResponseMatchesTheDocumentAndNoInputMakesA5xx() async throws {
        let running = try await RunningDashboard(hospitals: 1, settings: ["fedbuff.k": "1"])
        defer { running.stop() }
        let (status, output) = try Schemathesis.run(
            documentURL: "http://127.0.0.1:\(running.port)/api/v1/openapi.json", token: running.token)
        #expect(status == 0, "\(output.suffix(4000))")
        #expect(output.contains("passed"))
        #expect(running.dashboard.refusals.byReason["internal_error"] == nil)
    }
}
