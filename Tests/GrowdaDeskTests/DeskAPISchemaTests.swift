import Foundation
import GrowdaTestKit
import Testing

/// The desk's REST API against its OpenAPI document, by schemathesis.
@Suite(
    .serialized,
    .enabled(if: Schemathesis.executable != nil, "needs schemathesis (pip install schemathesis)"))
struct DeskAPISchemaTests {
    @Test func everyResponseMatchesTheDocumentAndNoInputMakesA5xx() async throws {
        let desk = try await DeskTests.RunningDesk()
        defer { desk.stop() }
        let token = try #require(desk.auth["Authorization"]?.split(separator: " ").last.map(String.init))
        let (status, output) = try Schemathesis.run(
            documentURL: "http://127.0.0.1:\(desk.port)/api/v1/openapi.json", token: token)
        #expect(status == 0, "\(output.suffix(4000))")
        #expect(desk.server.refusals.byReason["internal_error"] == nil)
    }
}
